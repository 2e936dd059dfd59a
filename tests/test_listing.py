"""Every list tool through MCP: paging with and without Gist's `pages`, cursors, and the concurrent fetch."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import CANARY_KEY, call, call_error, settings_for
from mcp import Client
from starlette.types import ASGIApp, Receive, Scope, Send
from virtual_time import unix_time

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer, create_server

pytestmark = pytest.mark.anyio

FORM = 801
"""The demo form whose submissions `list_form_submissions` pages through."""
PLURAL_PATH = {
    "users": "/contacts",
    "leads": "/contacts",
    "tags": "/tags",
    "segments": "/segments",
    "campaigns": "/campaigns",
    "events": "/events",
    "conversations": "/conversations",
    "teams": "/teams",
    "teammates": "/teammates",
    "forms": "/forms",
    "submissions": f"/forms/{FORM}/submissions",
    "subscription_types": "/subscription_types",
}
"""Each list result's key and the Gist path its tool reads: every tool that lists a Gist collection."""
TOOL = {"submissions": "list_form_submissions"}
EXTRA_ARGUMENTS = {"submissions": {"form_id": FORM}}


def tool_and_arguments(plural: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    return TOOL.get(plural, f"list_{plural}"), {**EXTRA_ARGUMENTS.get(plural, {}), **arguments}


def fill(emulator: GistEmulator, plural: str, total: int) -> list[Any]:
    """Grow the collection `plural` reads to `total` items; return the ids the tool should list."""
    store = emulator.store
    if plural in ("users", "leads"):
        while len(store.contacts) < total:
            n = len(store.contacts)
            user = n % 2 == 0
            store.add_contact(email=f"fill{n}@example.com", user_id=f"fill_{n}" if user else None)
        return [c["id"] for c in store.contacts.values() if c["type"] == plural[:-1]]
    if plural == "tags":
        while len(store.tags) < total:
            store.add_tag(f"fill {len(store.tags)}")
        return list(store.tags)
    if plural == "segments":
        while len(store.segments) < total:
            store.add_segment(f"fill {len(store.segments)}", 1_700_000_000, 1_700_000_000)
        return list(store.segments)
    if plural == "campaigns":
        while len(store.campaigns) < total:
            store.add_campaign(
                name=f"fill {len(store.campaigns)}", status="draft", href=None, email_count=0,
                active_subscriber_count=0, unsubscribed_subscriber_count=0, email_open_rate="0",
                email_click_rate="0", created_at=1_700_000_000, updated_at=1_700_000_000,
            )  # fmt: skip
        return list(store.campaigns)
    contact = next(iter(store.contacts.values()))
    inbox, extras = store.inbox, emulator.extras
    if plural == "conversations":
        while len(inbox.conversations) < total:
            inbox.start(contact, f"fill {len(inbox.conversations)}", None, {})
        return list(inbox.conversations)
    if plural == "teams":
        while len(inbox.teams) < total:
            inbox.add_team(f"fill {len(inbox.teams)}", "", 1_700_000_000)
        return list(inbox.teams)
    if plural == "teammates":
        while len(inbox.teammates) < total:
            inbox.add_teammate(f"fill {len(inbox.teammates)}", f"agent{len(inbox.teammates)}@example.com")
        return list(inbox.teammates)
    if plural == "forms":
        while len(extras.forms) < total:
            extras.add_form(
                title=f"fill {len(extras.forms)}",
                form_type="inline",
                status="live",
                fields=[],
                created_at=1_700_000_000,
            )
        return list(extras.forms)
    if plural == "submissions":
        form = extras.form(FORM)
        while len(extras.submissions_of(FORM)) < total:
            extras.submit(form, f"sub{len(extras.submissions)}@example.com", {"email": "x@example.com"})
        return [s["id"] for s in extras.submissions_of(FORM)]
    if plural == "subscription_types":
        while len(extras.subscription_types) < total:
            extras.add_subscription_type(
                name=f"fill {len(extras.subscription_types)}", description="", status="live", display_order=0
            )
        return list(extras.subscription_types)
    while len(store.events) < total:
        store.add_event(contact, f"fill {len(store.events)}", {})
    return [e["id"] for e in store.events]


def pages_asked(emulator: GistEmulator, path: str) -> list[int]:
    return [int(r.query["page"]) for r in emulator.requests if r.path == path]


@pytest.mark.parametrize("plural", list(PLURAL_PATH))
@pytest.mark.parametrize(("total", "pages"), [(130, [1, 2, 3]), (150, [1, 2, 3, 4])])
async def test_without_pages_every_list_tool_pages_by_number_until_a_short_or_empty_page(
    client: Client, emulator: GistEmulator, plural: str, total: int, pages: list[int]
) -> None:
    emulator.pages = False
    expected = fill(emulator, plural, total)
    emulator.requests.clear()
    result = await call(client, *tool_and_arguments(plural, limit=1000))
    assert sorted(item["id"] for item in result[plural]) == sorted(expected)
    assert (result["count"], result["has_more"], result["next_cursor"]) == (len(expected), False, None)
    assert pages_asked(emulator, PLURAL_PATH[plural]) == pages, "one request per page, none past the end"


@pytest.mark.parametrize("plural", list(PLURAL_PATH))
@pytest.mark.parametrize("links", [True, False])
async def test_cursors_walk_every_list_tool_without_gaps(
    client: Client, emulator: GistEmulator, plural: str, links: bool
) -> None:
    emulator.pages = links
    expected = fill(emulator, plural, 130)
    seen: list[Any] = []
    tool, arguments = tool_and_arguments(plural, limit=35)
    while True:
        result = await call(client, tool, arguments)
        seen += [item["id"] for item in result[plural]]
        if not result["has_more"]:
            break
        arguments = tool_and_arguments(plural, limit=35, cursor=result["next_cursor"])[1]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def crafted(data: object) -> str:
    """A cursor in our encoding holding arbitrary JSON text."""
    raw = data if isinstance(data, str) else json.dumps(data)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        crafted({"p": float("inf"), "o": 0, "f": "x"}),
        crafted({"p": 1, "o": float("nan"), "f": "x"}),
        crafted({"p": 2**63 + 1, "o": 0, "f": "x"}),
        crafted({"p": 1, "o": 2**64, "f": "x"}),
        crafted({"p": 10**7, "o": 0, "f": "x"}),
        crafted({"p": 1.5, "o": 0, "f": "x"}),
        crafted({"p": "2", "o": 0, "f": "x"}),
        crafted({"p": True, "o": 0, "f": "x"}),
        crafted({"p": 0, "o": 0, "f": "x"}),
        crafted({"p": 1, "o": -1, "f": "x"}),
        crafted('{"p": 1e400, "o": 0, "f": "x"}'),
        crafted("[" * 100_000 + "]" * 100_000),
        crafted([1, 2]),
        "A" * 10_000,
        "not base64 at all!",
    ],
)
async def test_hostile_cursors_are_usage_errors_naming_cursor(client: Client, cursor: str) -> None:
    text = await call_error(client, "list_tags", {"cursor": cursor})
    assert text.startswith("cursor:") or "cursor:" in text
    assert "internal" not in text.lower()


class InFlight:
    """ASGI wrapper counting the requests Gist is answering at once, and every status it sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.now = self.most = 0
        self.statuses: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def spy(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            await send(message)

        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, spy)
        finally:
            self.now -= 1


def wired(emulator: GistEmulator, **changes: Any) -> tuple[Callable[[], GistServer], InFlight]:
    spy = InFlight(emulator.app)
    return lambda: create_server(settings_for(**changes), transport=httpx.ASGITransport(app=spy)), spy


async def test_after_the_first_page_every_page_needed_is_requested_at_once() -> None:
    emulator = GistEmulator(api_keys=(CANARY_KEY,), latency=0.05)
    fill(emulator, "users", 2100)  # 1,050 users among 2,100 contacts: 42 pages of 50
    make, spy = wired(emulator)
    async with Client(make(), cache=None) as client:
        result = await call(client, "list_users", {"limit": 1000})
    assert result["count"] == 1000
    asked = pages_asked(emulator, "/contacts")
    assert asked[0] == 1
    assert sorted(asked) == list(range(1, 41)), "exactly the 40 pages that hold 1,000 users"
    assert spy.most == 39, "after page 1, the other 39 were in flight together"


@pytest.mark.virtual_time
async def test_listings_stay_within_the_rate_budget_without_a_429() -> None:
    emulator = GistEmulator(api_keys=(CANARY_KEY,), rate_limit=(10, 0.5), clock=unix_time)
    users_expected = fill(emulator, "users", 1200)
    make, spy = wired(emulator, rate_limit=(10, 0.5))
    async with Client(make(), cache=None) as client:
        users = await call(client, "list_users", {"limit": 1000})
        leads = await call(client, "list_leads", {"limit": 1000})
    assert (users["count"], leads["count"]) == (len(users_expected), 1200 - len(users_expected))
    assert 429 not in spy.statuses
    assert len(spy.statuses) == 2 * 24, "24 pages each, no retries"
