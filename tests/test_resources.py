"""Segments and campaigns as MCP resources, in both protocol eras."""

from __future__ import annotations

import json

import pytest
from mcp import Client, MCPError
from mcp.types import INVALID_PARAMS

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
    assert templates == {"gist://segments/{segment_id}", "gist://campaigns/{campaign_id}"}


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


async def test_unknown_segment_is_resource_not_found(client: Client) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource("gist://segments/999999")
    assert caught.value.error.code == RESOURCE_NOT_FOUND
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
    assert caught.value.error.code == RESOURCE_NOT_FOUND


async def test_resources_list_survives_a_gist_outage(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=401, times=None)
    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert uris == {"gist://segments", "gist://campaigns"}
