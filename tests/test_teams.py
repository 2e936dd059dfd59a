"""The teams toolset through MCP (both eras), checked against the emulator's inbox."""

from __future__ import annotations

import pytest
from conftest import call, call_error
from mcp import Client

from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio


async def test_list_teams_gives_each_team_and_its_members(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "list_teams", {})
    stored = emulator.store.inbox.teams
    assert [t["id"] for t in result["teams"]] == sorted(stored)
    support = result["teams"][0]
    assert (support["name"], support["teammate_ids"]) == (stored[41]["name"], stored[41]["teammate_ids"])
    assert emulator.requests[-1].path == "/teams"


async def test_list_teammates_pages_with_a_cursor(client: Client, emulator: GistEmulator) -> None:
    first = await call(client, "list_teammates", {"limit": 4})
    rest = await call(client, "list_teammates", {"limit": 4, "cursor": first["next_cursor"]})
    assert first["has_more"]
    assert not rest["has_more"]
    teammates = first["teammates"] + rest["teammates"]
    assert [t["id"] for t in teammates] == sorted(emulator.store.inbox.teammates)
    away = next(t for t in teammates if t["name"] == "Sam Okoye")
    assert (away["agent_status"], away["away_mode_enabled"], away["team_ids"]) == ("away", True, [41])


async def test_teams_errors_name_the_next_tool(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=404, path_prefix="/teammates")
    text = await call_error(client, "list_teammates", {})
    assert "404" in text
    assert "list_teammates" in text
    before = len(emulator.requests)
    text = await call_error(client, "list_teams", {"limit": 0})
    assert "limit" in text
    assert len(emulator.requests) == before
