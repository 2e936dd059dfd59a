"""Segments and campaigns as MCP resources, in both protocol eras."""

from __future__ import annotations

import json

import pytest
from mcp import Client, MCPError
from mcp.types import INVALID_PARAMS, ResourceTemplateReference

from gist_mcp import views
from gist_mcp._sdk import is_modern
from gist_mcp.emulator import GistEmulator
from gist_mcp.resources import RESOURCE_NOT_FOUND

pytestmark = pytest.mark.anyio


async def read_json(client: Client, uri: str) -> object:
    result = await client.read_resource(uri)
    return json.loads(result.contents[0].text)  # type: ignore[union-attr]


async def test_resources_list_names_every_segment_and_campaign(client: Client, emulator: GistEmulator) -> None:
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert {"gist://segments", "gist://campaigns"} <= uris
    assert {f"gist://segments/{i}" for i in emulator.segments} <= uris
    assert {f"gist://campaigns/{i}" for i in emulator.campaigns} <= uris
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert templates == {
        "gist://segments/{segment_id}",
        "gist://campaigns/{campaign_id}",
        "gist://conversations/{conversation_id}",
    }
    # Conversations are too many for a picker: completions offer their ids instead.
    assert not any(uri.startswith("gist://conversations/") for uri in uris)


async def test_all_segments_with_counts(client: Client, emulator: GistEmulator) -> None:
    data = await read_json(client, "gist://segments")
    assert isinstance(data, dict)
    assert {s["id"] for s in data["segments"]} == set(emulator.segments)
    assert all(isinstance(s["count"], int) for s in data["segments"])


async def test_one_segment_and_one_campaign(client: Client, emulator: GistEmulator) -> None:
    segment_id = next(iter(emulator.segments))
    segment = await read_json(client, f"gist://segments/{segment_id}")
    assert isinstance(segment, dict)
    assert segment["id"] == segment_id
    assert isinstance(segment["count"], int)
    campaign_id = next(iter(emulator.campaigns))
    campaign = await read_json(client, f"gist://campaigns/{campaign_id}")
    assert isinstance(campaign, dict)
    assert campaign["name"] == emulator.campaigns[campaign_id]["name"]
    campaigns = await read_json(client, "gist://campaigns")
    assert isinstance(campaigns, dict)
    assert len(campaigns["campaigns"]) == len(emulator.campaigns)


def not_found(client: Client) -> int:
    """Resource not found: -32002 on 2025-11-25, -32602 from 2026-07-28 (SEP-2164)."""
    return INVALID_PARAMS if is_modern(client.protocol_version) else RESOURCE_NOT_FOUND


async def test_unknown_segment_is_resource_not_found(client: Client) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource("gist://segments/999999")
    assert caught.value.error.code == not_found(client)
    assert caught.value.error.data == {"uri": "gist://segments/999999"}
    assert "404" in caught.value.error.message
    assert "list_segments" in caught.value.error.message


async def test_malformed_id_is_invalid_params_naming_it(client: Client, emulator: GistEmulator) -> None:
    before = len(emulator.requests)
    with pytest.raises(MCPError) as caught:
        await client.read_resource("gist://segments/abc")
    assert caught.value.error.code == INVALID_PARAMS
    assert "segment_id" in caught.value.error.message
    assert "Traceback" not in caught.value.error.message
    assert len(emulator.requests) == before


async def test_unknown_uri_is_resource_not_found(client: Client) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource("gist://nothing/1")
    assert caught.value.error.code == not_found(client)


async def test_resources_list_survives_a_gist_outage(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=401, times=None)
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert uris == {"gist://segments", "gist://campaigns", "gist://teammates", *views.URIS}


async def test_a_conversation_with_its_latest_messages(client: Client) -> None:
    listed = await client.call_tool("list_conversations", {"limit": 1})
    conversation_id = listed.structured_content["conversations"][0]["id"]  # type: ignore[index]
    data = await read_json(client, f"gist://conversations/{conversation_id}")
    assert isinstance(data, dict)
    assert data["id"] == conversation_id
    assert isinstance(data["messages"], list)
    completion = await client.complete(
        ResourceTemplateReference(type="ref/resource", uri="gist://conversations/{conversation_id}"),
        {"name": "conversation_id", "value": str(conversation_id)[:2]},
    )
    assert str(conversation_id) in completion.completion.values


async def test_teammates_and_teams_in_one_resource(client: Client, emulator: GistEmulator) -> None:
    data = await read_json(client, "gist://teammates")
    assert isinstance(data, dict)
    assert len(data["teammates"]) == len(emulator.store.inbox.teammates)
    assert len(data["teams"]) == len(emulator.store.inbox.teams)
