"""The views in a real browser: Chromium (the system's, from Debian) driven by Playwright, inside a small
test host (tests/views_host.html) that does the host side of the MCP Apps handshake and relays the
views' `tools/call` to a real gist-mcp server on the emulator.

Each view must render its tool's result, complete one action round trip (checked in the emulator's
state), and log no console error (a CSP violation, that is any network use, is one). Screenshots go to
.ci/out/views/; with GIST_MCP_UPDATE_SCREENSHOTS=1 they are also copied to docs/views/ for the README.
Where Chromium or Playwright is missing (a laptop) the tests skip saying so; CI installs both and sets
GIST_MCP_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from gist_mcp import views
from gist_mcp._serve import serve_asgi
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / ".ci" / "out" / "views"
README_SCREENSHOTS = ROOT / "docs" / "views"
VIEWPORT_WIDTH = 900
MAX_SHOT_HEIGHT = 1200
"""Screenshots are cut at this height (a long member table need not fill the README)."""
TIMEOUT_MS = 15_000
"""How long Playwright waits for a view to show something (generous: CI machines are shared)."""

try:
    from playwright.async_api import Frame, Page, async_playwright
except ImportError:  # pragma: no cover - depends on the machine
    async_playwright = None

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.slow]


def _missing() -> str | None:
    if async_playwright is None:
        return "Playwright is not installed (pip install playwright; never `playwright install`)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(autouse=True)
def browser_available() -> None:
    missing = _missing()
    if missing is None:
        return
    if os.environ.get("GIST_MCP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but {missing}")
    pytest.skip(missing)


@dataclass
class Host:
    """The test host: what it serves the page (view, tool input and result) and the browser page."""

    client: Client
    url: str = ""
    page: Any = None
    setup: dict[str, Any] = field(default_factory=dict[str, Any])
    errors: list[str] = field(default_factory=list[str])

    async def open(self, view: views.View, tool: str, arguments: dict[str, Any]) -> Frame:
        """Call `tool` as a model would, and show its result in `view` through the host; the view's frame."""
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error
        page_text = (await self.client.read_resource(view.uri)).contents[0]
        self.setup = {
            "html": getattr(page_text, "text", ""),
            "input": arguments,
            "result": result.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        page: Page = self.page
        await page.goto(self.url)
        await page.wait_for_function("window.hostLog.includes('ui/notifications/initialized')", timeout=TIMEOUT_MS)
        log = await page.evaluate("window.hostLog")
        assert log[:2] == ["ui/initialize", "ui/notifications/initialized"], "the view skipped the handshake"
        frame = page.frame(name=None, url="about:srcdoc")
        assert frame is not None
        return frame

    async def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # The view's whole height in one viewport: Chromium paints no iframe content below the first viewport.
        height = await self.page.evaluate("document.getElementById('view').getBoundingClientRect().height")
        await self.page.set_viewport_size({"width": VIEWPORT_WIDTH, "height": min(int(height), MAX_SHOT_HEIGHT)})
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        if os.environ.get("GIST_MCP_UPDATE_SCREENSHOTS") == "1":
            README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(SCREENSHOTS / f"{name}.png", README_SCREENSHOTS / f"{name}.png")


@pytest.fixture
async def host(make_server: Callable[..., GistServer]) -> AsyncIterator[Host]:
    assert async_playwright is not None
    async with Client(make_server(), mode="legacy", cache=None) as client:
        harness = Host(client)

        async def page(request: Request) -> HTMLResponse:
            return HTMLResponse((ROOT / "tests" / "views_host.html").read_text(encoding="utf-8"))

        async def setup(request: Request) -> JSONResponse:
            return JSONResponse(harness.setup)

        async def relay(request: Request) -> JSONResponse:
            params = json.loads(await request.body())
            result = await client.call_tool(params["name"], params.get("arguments") or {})
            return JSONResponse(result.model_dump(mode="json", by_alias=True, exclude_none=True))

        app = Starlette(routes=[Route("/", page), Route("/setup", setup), Route("/call", relay, methods=["POST"])])
        async with serve_asgi(app) as url, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                harness.url = url + "/"
                harness.page = await browser.new_page(viewport={"width": VIEWPORT_WIDTH, "height": 700})
                harness.page.on("console", lambda m: harness.errors.append(m.text) if m.type == "error" else None)
                harness.page.on("pageerror", lambda e: harness.errors.append(str(e)))
                yield harness
            finally:
                await browser.close()
        assert harness.errors == [], f"console errors: {harness.errors}"


def _view(name: str) -> views.View:
    return next(view for view in views.VIEWS if view.name == name)


def _tags(emulator: GistEmulator, contact_id: int) -> set[str]:
    return {emulator.tags[tag_id]["name"] for tag_id in emulator.contacts[contact_id]["tag_ids"]}


async def test_contact_view_shows_the_profile_and_tags(host: Host, emulator: GistEmulator) -> None:
    user = next(c for c in emulator.contacts.values() if c.get("user_id") and c.get("name"))
    frame = await host.open(_view("contact"), "get_user", {"user": {"id": user["id"]}})
    await frame.wait_for_selector(f"h1:has-text('{user['name']}')", timeout=TIMEOUT_MS)
    profile = await frame.inner_text("#profile")
    assert f"Email\n{user['email']}" in profile
    assert "[object" not in profile
    for tag in _tags(emulator, user["id"]):
        await frame.wait_for_selector(f".chip:has-text('{tag}')", timeout=TIMEOUT_MS)

    await frame.fill("#new-tag", "browser-vip")
    await frame.click("#add-tag")
    await frame.wait_for_selector("#status .ok:has-text('Tagged browser-vip')", timeout=TIMEOUT_MS)
    assert "browser-vip" in _tags(emulator, user["id"])
    await frame.wait_for_selector("#events li, #events span", timeout=TIMEOUT_MS)
    await host.screenshot("contact")

    await frame.click("button[aria-label='Remove tag browser-vip']")
    await frame.wait_for_selector("#status .ok:has-text('Removed browser-vip')", timeout=TIMEOUT_MS)
    assert "browser-vip" not in _tags(emulator, user["id"])


async def test_segment_view_sorts_filters_and_tags_selected_rows(host: Host, emulator: GistEmulator) -> None:
    segment = max(emulator.segments.values(), key=lambda s: len(s["contact_ids"]))
    members = sorted(segment["contact_ids"])
    frame = await host.open(_view("segment"), "get_segment", {"segment_id": segment["id"]})
    await frame.wait_for_selector(f"#summary:has-text('{len(members)} contacts')", timeout=TIMEOUT_MS)
    assert await frame.locator("#rows tr").count() == len(members)

    await frame.click("th[data-key='email']")
    emails = await frame.locator("#rows tr td:nth-child(3)").all_inner_texts()
    assert emails == sorted(emails, key=str.lower) or emails == sorted(emails)
    await frame.click("th[data-key='email']")
    assert await frame.locator("#rows tr td:nth-child(3)").all_inner_texts() == list(reversed(emails))

    first = emulator.contacts[members[0]]["email"]
    await frame.fill("#filter", first)
    assert await frame.locator("#rows tr").count() == 1
    await frame.fill("#filter", "")

    chosen = (await frame.locator("#rows tr td:nth-child(3)").all_inner_texts())[:2]
    for email in chosen:
        await frame.check(f"input[aria-label='Select {email}']")
    await frame.fill("#tag", "browser-segment")
    await frame.click("#tag-selected")
    await frame.wait_for_selector("#status .ok:has-text('Tagged 2 contacts')", timeout=TIMEOUT_MS)
    tagged = {c["email"] for c in emulator.contacts.values() if "browser-segment" in _tags(emulator, c["id"])}
    assert tagged == set(chosen)
    await host.screenshot("segment")


async def test_inbox_view_opens_replies_and_closes(host: Host, emulator: GistEmulator) -> None:
    inbox = emulator.store.inbox
    frame = await host.open(_view("inbox"), "list_conversations", {"state": "open", "limit": 20})
    await frame.wait_for_selector("#list li[tabindex]", timeout=TIMEOUT_MS)
    await frame.wait_for_selector("#teammate option", state="attached", timeout=TIMEOUT_MS)
    await frame.click("#list li[tabindex] >> nth=0")
    await frame.wait_for_selector("#thread .message", timeout=TIMEOUT_MS)
    conversation = inbox.conversations[int(await frame.get_attribute("#thread h2", "data-id") or 0)]
    assert conversation["state"] == "open"
    before = {m["id"] for m in inbox.messages.values() if m["conversation_id"] == conversation["id"]}

    await frame.fill("#reply", "Thanks, we are on it.")
    await frame.click("#send")
    await frame.wait_for_selector("#status .ok:has-text('Reply sent')", timeout=TIMEOUT_MS)
    new = [m for m in inbox.messages.values() if m["conversation_id"] == conversation["id"] and m["id"] not in before]
    assert [m["body"] for m in new] == ["Thanks, we are on it."]
    await frame.wait_for_selector(".message:has-text('Thanks, we are on it.')", timeout=TIMEOUT_MS)
    await host.screenshot("inbox")

    await frame.click("#close")
    await frame.wait_for_selector("#status .ok:has-text('Closed')", timeout=TIMEOUT_MS)
    assert inbox.conversations[conversation["id"]]["state"] == "closed"
