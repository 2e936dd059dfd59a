"""Rules over the whole catalogue, and what tools/list advertises for each toolset and mode."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client

from gist_mcp._tools import mcp_tool
from gist_mcp.catalog import CATALOG, DEFAULT_TOOLSETS, TOOLSET_NAMES, Operation, select

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
    assert [b for b in method.get("anyOf", [method]) if b != {"type": "null"}] == [{"enum": ["GET"], "type": "string"}]


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


DEFAULT_BUDGET = 40_000
"""CONTRACT.md: tools/list with the `default` toolsets, as compact JSON, at most this many bytes."""
ALL_BUDGET = 60_000
"""CONTRACT.md: tools/list with every toolset on (`all`), as compact JSON, at most this many bytes."""


REF_KEYS = frozenset({"id", "user_id", "email"})
"""A contact reference's keys: the argument's own description names and explains them."""


def undescribed(schema: dict[str, Any], where: str) -> list[str]:
    """Dotted paths of the arguments, and of the keys of nested objects, that have no description."""
    missing: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        path = f"{where}.{name}"
        if not prop.get("description") and not ("." in where and name in REF_KEYS):
            missing.append(path)
        for branch in [prop, *prop.get("anyOf", [])]:
            for nested in (branch, branch.get("items", {})):
                if "properties" in nested:
                    missing += undescribed(nested, path)
    return missing


async def listed_bytes(server: Any) -> tuple[int, list[dict[str, Any]]]:
    """tools/list of `server` through MCP, as compact JSON: its size in bytes and the tools."""
    async with Client(server) as client:
        tools = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in (await client.list_tools()).tools]
    return len(json.dumps({"tools": tools}, separators=(",", ":"), ensure_ascii=False).encode()), tools


@pytest.mark.parametrize(
    ("toolsets", "budget"),
    [(DEFAULT_TOOLSETS, DEFAULT_BUDGET), (frozenset(TOOLSET_NAMES), ALL_BUDGET)],
    ids=["default", "all"],
)
async def test_tools_list_stays_within_its_budget_with_every_argument_described(
    make_server: Any, toolsets: frozenset[str], budget: int
) -> None:
    """The contract's budgets, measured on what a client receives; the bytes never come from dropping descriptions."""
    size, tools = await listed_bytes(make_server(toolsets=toolsets))
    assert [t["name"] for t in tools] == [op.name for op in select(toolsets, read_only=False)]
    assert size <= budget, f"tools/list is {size} bytes, over {budget}"
    assert [path for t in tools for path in undescribed(t["inputSchema"], t["name"])] == []
    assert all(len(t["annotations"]) == 4 for t in tools), "all four hints stay"


@pytest.mark.parametrize(
    "op", [op for op in CATALOG if "next_cursor" in op.output.model_fields], ids=lambda op: op.name
)
def test_every_tool_that_gives_a_next_cursor_takes_it_back(op: Operation) -> None:
    assert "cursor" in op.input.model_fields
