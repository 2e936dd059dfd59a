"""Rules over the whole catalogue, and what tools/list advertises for each toolset and mode."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client

from gist_mcp._tools import mcp_tool
from gist_mcp.catalog import CATALOG, TOOLSET_NAMES, Operation, select

pytestmark = pytest.mark.anyio

CONTRACT_TOOLS = {
    "create_user", "update_user", "get_user", "list_users", "delete_user",
    "create_lead", "update_lead", "get_lead", "list_leads", "delete_lead",
    "create_tag", "update_tag", "tag_contacts", "list_tags", "delete_tag",
    "get_segment", "list_segments", "get_campaign", "list_campaigns",
    "subscribe_to_campaign", "unsubscribe_from_campaign",
    "track_event", "list_events",
    "list_conversations", "get_conversation", "create_conversation", "reply_to_conversation",
    "update_conversation", "tag_conversation", "delete_conversation", "count_conversations",
    "list_teams", "list_teammates",
    "list_forms", "get_form", "list_form_submissions", "submit_form",
    "list_subscription_types", "set_subscription",
    "import_contacts", "get_import_status",
    "api_request",
}  # fmt: skip
ALL_BUDGET = 60_000
"""CONTRACT.md: tools/list for every toolset (`all`) stays within this many bytes of compact JSON."""


def schema_nodes(node: Any) -> list[dict[str, Any]]:
    """Every schema object inside a JSON Schema (properties, items, anyOf branches...)."""
    if isinstance(node, list):
        return [n for item in node for n in schema_nodes(item)]
    if not isinstance(node, dict):
        return []
    found = [node]
    for key, value in node.items():
        if key == "properties":
            found += [n for sub in value.values() for n in schema_nodes(sub)]
        elif key in ("items", "additionalProperties", "anyOf"):
            found += schema_nodes(value)
    return found


def test_the_catalogue_is_exactly_the_contracts_tools() -> None:
    assert [op.name for op in CATALOG if op.toolset != "webhooks"] == sorted(
        CONTRACT_TOOLS, key=[op.name for op in CATALOG].index
    )
    assert {op.name for op in CATALOG} >= CONTRACT_TOOLS


@pytest.mark.parametrize("op", CATALOG, ids=lambda op: op.name)
def test_each_tool_follows_the_house_rules(op: Any) -> None:
    tool = mcp_tool(op).model_dump(mode="json", by_alias=True, exclude_none=True)
    assert re.fullmatch(r"[a-z]+(_[a-z]+)+", op.name)
    assert op.toolset in TOOLSET_NAMES
    assert 20 < len(op.description) <= 1024
    reads = ("get", "list", "wait", "count")
    assert op.read_only == (op.name.split("_")[0] in reads), "only get/list/wait/count tools only read"
    assert op.destructive == (op.name.startswith("delete_") or op.name == "api_request")
    assert tool["annotations"]["openWorldHint"] is True
    schema = tool["inputSchema"]
    assert schema["type"] == "object"
    assert not {"anyOf", "oneOf", "allOf", "$ref", "$defs"} & set(schema)
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{op.name}.{name} has no description"
    text = json.dumps(tool)
    assert not any("title" in node for node in schema_nodes(schema)), "generated titles stay out"
    assert '"$ref"' not in text
    assert tool["outputSchema"]["type"] == "object"


def test_every_input_schema_node_is_typed() -> None:
    for op in CATALOG:
        schema = mcp_tool(op).input_schema
        for node in schema_nodes(schema):
            assert {"type", "anyOf", "enum"} & set(node) or node.get("additionalProperties") is not None, (
                op.name,
                node,
            )


def test_read_only_mode_offers_no_tool_that_can_change_data() -> None:
    ops = select(frozenset(TOOLSET_NAMES), read_only=True)
    assert all(op.read_only and not op.destructive for op in ops)
    raw = next(op for op in ops if op.name == "api_request")
    method = mcp_tool(raw).input_schema["properties"]["method"]
    assert method.get("const", method.get("enum", [None])[0]) == "GET"
    assert len(method.get("enum", ["GET"])) == 1


async def test_toolsets_and_read_only_shape_tools_list(make_server: Any) -> None:
    async with Client(make_server(toolsets=frozenset({"tags"}))) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == {"create_tag", "update_tag", "tag_contacts", "list_tags", "delete_tag"}
        assert (await client.list_resources()).resources == []
    async with Client(make_server(read_only=True)) as client:
        tools = (await client.list_tools()).tools
        assert all(t.annotations and t.annotations.read_only_hint for t in tools)
        result = await client.call_tool("api_request", {"method": "POST", "path": "tags", "body": {"name": "x"}})
        assert result.is_error
        assert "method" in result.content[0].text  # type: ignore[union-attr]


async def test_instructions_name_the_toolsets_that_are_on(make_server: Any) -> None:
    server = make_server(toolsets=frozenset({"tags", "segments"}), read_only=True)
    assert "Toolsets on: tags, segments." in (server.instructions or "")
    assert "Read-only mode" in (server.instructions or "")


ALL_BUDGET = 60_000
"""CONTRACT.md: tools/list with every toolset on, as compact JSON, at most this many bytes."""


async def test_the_full_tools_list_stays_within_its_budget(make_server: Any) -> None:
    """The contract's `all` budget: every tool's tools/list entry within ALL_BUDGET bytes of compact JSON."""
    async with Client(make_server()) as client:
        tools = (await client.list_tools()).tools
    payload = json.dumps(
        {"tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]}, separators=(",", ":")
    )
    assert len(tools) == len(CATALOG)
    assert len(payload) <= ALL_BUDGET, f"tools/list is {len(payload)} bytes"


@pytest.mark.parametrize(
    "op", [op for op in CATALOG if "next_cursor" in op.output.model_fields], ids=lambda op: op.name
)
def test_every_tool_that_gives_a_next_cursor_takes_it_back(op: Operation) -> None:
    assert "cursor" in op.input.model_fields
