"""Confirmation by elicitation before destructive calls: asked when the client can, honoured both ways.

SDK clients that declare form elicitation answer accept, decline and cancel, on both protocol eras
(handshake: a server-to-client request; 2026-07-28: an input-required round trip); a client without
elicitation and `GIST_CONFIRM=never` run the call as before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MODES, call, call_error
from mcp import Client
from mcp.types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult, ErrorData

from gist_mcp.catalog.bulk import CONFIRM_IMPORT_OVER
from gist_mcp.catalog.tags import CONFIRM_UNTAG_OVER
from gist_mcp.emulator import GistEmulator
from gist_mcp.errors import GistConfigError
from gist_mcp.server import GistServer
from gist_mcp.settings import Settings

pytestmark = pytest.mark.anyio


class User:
    """An elicitation callback that answers `action` and records every question it was asked."""

    def __init__(self, action: str, confirm: bool = True) -> None:
        self.action = action
        self.confirm = confirm
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        assert isinstance(params, ElicitRequestFormParams), "confirmations are form-mode elicitations"
        assert params.requested_schema["properties"]["confirm"]["type"] == "boolean"
        content = {"confirm": self.confirm} if self.action == "accept" else None
        return ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


def _lead(emulator: GistEmulator) -> int:
    return int(emulator.add_contact(email="goner@example.com")["id"])


@pytest.mark.parametrize("mode", MODES)
async def test_accept_deletes(mode: str, make_server: Callable[..., GistServer], emulator: GistEmulator) -> None:
    lead = _lead(emulator)
    user = User("accept")
    async with Client(make_server(), mode=mode, cache=None, elicitation_callback=user) as client:
        await call(client, "delete_lead", {"lead": {"email": "goner@example.com"}})
    assert lead not in emulator.contacts
    assert user.questions == [
        "Permanently delete the lead with email goner@example.com and all its data from Gist? This cannot be undone."
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("action", "confirm", "said"),
    [("decline", True, "declined"), ("cancel", True, "cancelled"), ("accept", False, "declined")],
)
async def test_no_changes_nothing(
    mode: str, action: str, confirm: bool, said: str, make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    lead = _lead(emulator)
    requests_before = len(emulator.requests)
    user = User(action, confirm)
    async with Client(make_server(), mode=mode, cache=None, elicitation_callback=user) as client:
        text = await call_error(client, "delete_lead", {"lead": {"id": lead}})
    assert text.startswith(f"Not done: the user {said} the confirmation, so nothing was changed in Gist. ")
    assert f"They were asked: Permanently delete the lead with id {lead} " in text
    assert lead in emulator.contacts
    assert len(emulator.requests) == requests_before, "Gist was called although the user said no"


async def test_a_client_failing_to_ask_changes_nothing(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    lead = _lead(emulator)

    async def broken(context: Any, params: ElicitRequestParams) -> ErrorData:
        return ErrorData(code=-32603, message="the dialog crashed")

    async with Client(make_server(), mode="legacy", cache=None, elicitation_callback=broken) as client:
        text = await call_error(client, "delete_lead", {"lead": {"id": lead}})
    assert text == "Not done: the confirmation could not be asked (the dialog crashed), so nothing was changed in Gist."
    assert lead in emulator.contacts


@pytest.mark.parametrize("mode", MODES)
async def test_client_without_elicitation_is_not_asked(
    mode: str, make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    lead = _lead(emulator)
    async with Client(make_server(), mode=mode, cache=None) as client:
        await call(client, "delete_lead", {"lead": {"id": lead}})
    assert lead not in emulator.contacts


async def test_confirm_never_turns_it_off(make_server: Callable[..., GistServer], emulator: GistEmulator) -> None:
    lead = _lead(emulator)
    user = User("decline")
    async with Client(make_server(confirm=False), mode="legacy", cache=None, elicitation_callback=user) as client:
        await call(client, "delete_lead", {"lead": {"id": lead}})
    assert lead not in emulator.contacts
    assert user.questions == []


def test_gist_confirm_setting() -> None:
    assert Settings.from_env({}).confirm is True
    assert Settings.from_env({"GIST_CONFIRM": "ask"}).confirm is True
    assert Settings.from_env({"GIST_CONFIRM": "Never"}).confirm is False
    with pytest.raises(GistConfigError, match="GIST_CONFIRM must be one of ask, never, not 'sometimes'"):
        Settings.from_env({"GIST_CONFIRM": "sometimes"})


async def _questions(make_server: Callable[..., GistServer], tool: str, arguments: dict[str, Any]) -> list[str]:
    """The questions a declining user was asked for one call."""
    user = User("decline")
    async with Client(make_server(), mode="auto", cache=None, elicitation_callback=user) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error == bool(user.questions)
    return user.questions


async def test_each_rule_says_what_changes(make_server: Callable[..., GistServer], emulator: GistEmulator) -> None:
    tag_id = next(iter(emulator.tags))
    assert await _questions(make_server, "delete_tag", {"tag_id": tag_id}) == [
        f"Delete tag {tag_id} and remove it from every contact that has it? This cannot be undone."
    ]
    conversation = await _questions(make_server, "delete_conversation", {"conversation_id": 1})
    assert conversation == ["Permanently delete conversation 1 and all its messages? This cannot be undone."]
    assert await _questions(make_server, "delete_user", {"user": {"user_id": "u-9"}}) == [
        "Permanently delete the user with user id u-9 and all its data from Gist? This cannot be undone."
    ]
    assert await _questions(make_server, "api_request", {"method": "DELETE", "path": "/tags/1"}) == [
        "Send DELETE /tags/1 to Gist? Whatever it names is deleted and cannot be restored."
    ]
    assert await _questions(make_server, "api_request", {"method": "GET", "path": "/tags"}) == []


async def test_untag_over_the_threshold_asks(make_server: Callable[..., GistServer]) -> None:
    many = [{"email": f"c{i}@example.com", "untag": True} for i in range(CONFIRM_UNTAG_OVER + 1)]
    assert await _questions(make_server, "tag_contacts", {"tag": "vip", "contacts": many}) == [
        f"Remove the tag 'vip' from {CONFIRM_UNTAG_OVER + 1} contacts?"
    ]
    # At the threshold, or re-tagging the extra one (last mention wins), no question.
    assert not await _questions(make_server, "tag_contacts", {"tag": "vip", "contacts": many[:-1]})
    again = [*many, {"email": many[-1]["email"]}]
    assert not await _questions(make_server, "tag_contacts", {"tag": "vip", "contacts": again})


async def test_big_import_asks(make_server: Callable[..., GistServer]) -> None:
    records = [{"email": f"i{i}@example.com"} for i in range(CONFIRM_IMPORT_OVER + 1)]
    assert await _questions(make_server, "import_contacts", {"contacts": records, "wait": False}) == [
        f"Import {CONFIRM_IMPORT_OVER + 1:,} contacts into Gist (creating or updating each)?"
    ]


async def test_bad_arguments_are_not_asked_about(make_server: Callable[..., GistServer]) -> None:
    user = User("accept")
    async with Client(make_server(), mode="legacy", cache=None, elicitation_callback=user) as client:
        text = await call_error(client, "delete_lead", {"lead": {}})
    assert "lead" in text
    assert user.questions == []


def test_readme_states_the_thresholds() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"more than {CONFIRM_UNTAG_OVER} contacts in one call" in readme
    assert f"more than {CONFIRM_IMPORT_OVER:,} records" in " ".join(readme.split())
