"""Forms and conversations tolerate the answer shapes gist-api.md marks uncertain, against a Gist stand-in
(`httpx.MockTransport` answering what a test sets; the emulator only speaks the recommended shape)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from conftest import call, call_error, settings_for
from mcp import Client

from gist_mcp.server import create_server

pytestmark = pytest.mark.anyio

Answer = Callable[[httpx.Request], httpx.Response]
FORMS = [
    {"id": 3, "title": "Contact us", "fields": ["email", {"key": "message", "required": True}]},
    {"id": 4, "title": "Newsletter", "fields": []},
]
CONVERSATION = {"id": 5, "state": "open", "title": "Billing", "is_priority": True}


@asynccontextmanager
async def connected(answer: Answer) -> AsyncIterator[Client]:
    server = create_server(settings_for(), transport=httpx.MockTransport(answer))
    async with Client(server) as client:
        yield client


def forms_ignoring_form_id(request: httpx.Request) -> httpx.Response:
    """A Gist that answers `GET /forms?form_id=` with the whole list."""
    return httpx.Response(200, json={"forms": FORMS})


def inbox(patched: dict[str, object]) -> Answer:
    """Conversation 5 with no messages; PATCH answers `patched`; GET /conversations/5 the conversation."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(200, json=patched)
        if request.url.path.endswith("/messages"):
            return httpx.Response(200, json={"messages": []})
        return httpx.Response(200, json={"conversation": CONVERSATION})

    return answer


@pytest.fixture
async def forms() -> AsyncIterator[Client]:
    async with connected(forms_ignoring_form_id) as client:
        yield client


async def test_get_form_picks_the_asked_form_from_a_whole_list_and_reads_bare_field_names(forms: Client) -> None:
    form = await call(forms, "get_form", {"form_id": 3})
    assert (form["id"], form["title"]) == (3, "Contact us")
    assert [(field["name"], field.get("required")) for field in form["fields"]] == [("email", None), ("message", True)]


async def test_get_form_absent_from_the_whole_list_is_not_found(forms: Client) -> None:
    text = await call_error(forms, "get_form", {"form_id": 99})
    assert "no form with id 99" in text


async def test_a_boolean_priority_flag_and_an_empty_thread_are_read_as_they_are() -> None:
    async with connected(inbox({})) as client:
        thread = await call(client, "get_conversation", {"conversation_id": 5})
        assert (thread["id"], thread["priority"], thread["messages"], thread["older_messages"]) == (5, True, [], False)


async def test_tagging_a_conversation_without_messages_changes_nothing_and_says_so() -> None:
    async with connected(inbox({})) as client:
        text = await call_error(client, "tag_conversation", {"conversation_id": 5, "tag": "vip"})
    assert "Conversation 5 has no messages to tag; nothing was changed." in text


async def test_an_update_answered_without_the_conversation_reads_it_back() -> None:
    async with connected(inbox({"ok": True})) as client:
        updated = await call(client, "update_conversation", {"conversation_id": 5, "title": "Billing"})
    assert (updated["id"], updated["title"], updated["applied"]) == (5, "Billing", ["details"])
