"""Every tool's schemas in the strict dialects models enforce, and null-filled calls as strict models send them.

- OpenAI strict mode: each input schema goes through the OpenAI Agents SDK's own rewrite
  (`ensure_strict_json_schema`) and must come out valid for strict mode (every property required,
  `additionalProperties: false`, only supported keywords) and satisfiable by the null-filled arguments a
  strict model sends. Through the SDK's MCP path (`convert_schemas_to_strict`), exactly the tools with a
  free-form object argument (custom properties, event properties, form fields, api_request's
  query/body/headers) stay non-strict: strict mode cannot express an object of arbitrary keys.
- Gemini function declarations: each schema, after the usual `anyOf: [X, null]` → `nullable` conversion,
  must stay inside Gemini's OpenAPI subset (`GEMINI_KEYS`); output schemas too, as pydantic-ai sends them.
- The server treats `null` as "not given": a call with every optional key null sends Gist exactly the
  requests, and returns exactly the result, of the same call with those keys left out.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
from agents import Agent, FunctionTool, RunContextWrapper
from agents.strict_schema import ensure_strict_json_schema
from agents.tool_context import ToolContext
from conftest import CANARY_KEY, call, call_error, settings_for, text_of
from mcp import Client
from test_agent_framework import TIMEOUT, sandbox_server

from gist_mcp._tools import mcp_tool
from gist_mcp.catalog import CATALOG, VARIANTS, Operation
from gist_mcp.catalog.dynamic import OPERATIONS as DYNAMIC
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server

pytestmark = pytest.mark.anyio

EVERY_OPERATION: tuple[Operation, ...] = (*CATALOG, *VARIANTS, *DYNAMIC)
NULL = {"type": "null"}

OPENAI_STRICT_KEYS = frozenset(
    {
        *("type", "description", "properties", "required", "additionalProperties", "items", "enum", "anyOf"),
        *("default", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
        *("minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "$defs", "$ref"),
    }
)
"""Keywords OpenAI's strict mode supports (Structured Outputs "supported schemas", May 2025 expansion);
not: minProperties/maxProperties, oneOf/allOf/not, patternProperties, propertyNames, const-free tricks."""

GEMINI_KEYS = frozenset(
    {
        *("type", "format", "description", "nullable", "enum", "properties", "required", "items"),
        *("minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "pattern", "default"),
    }
)
"""Gemini's function-declaration Schema (an OpenAPI 3.0 subset) as this project relies on it: no
`additionalProperties`, `anyOf` (beyond the nullable conversion), `oneOf`, `allOf`, `const`, `$ref`."""
GEMINI_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object"})
GEMINI_FORMATS = {"string": {"enum", "date-time"}, "number": {"float", "double"}, "integer": {"int32", "int64"}}

FIXED_NOW = 1_800_000_000.0
"""The emulator clock of the null-fill comparisons, so both runs stamp the same times."""

SAMPLES: dict[str, dict[str, Any]] = {
    "create_user": {"user_id": "u_strict"},
    "update_user": {"user": {"id": 179301}, "name": "Maya P."},
    "get_user": {"user": {"email": "maya.patel@example.com"}},
    "list_users": {},
    "delete_user": {"user": {"user_id": "u_1002"}},
    "create_lead": {"email": "strict@example.com"},
    "update_lead": {"lead": {"id": 179303}, "name": "Sofia R."},
    "get_lead": {"lead": {"id": 179303}},
    "list_leads": {},
    "delete_lead": {"lead": {"email": "sofia.rossi@example.org"}},
    "create_tag": {"name": "Strict"},
    "update_tag": {"tag_id": 71, "name": "Customers"},
    "tag_contacts": {"tag": "Strict", "contacts": [{"email": "maya.patel@example.com"}, {"id": 179302, "untag": True}]},
    "list_tags": {},
    "delete_tag": {"tag_id": 72},
    "get_segment": {"segment_id": 571},
    "list_segments": {},
    "get_campaign": {"campaign_id": 3101},
    "list_campaigns": {},
    "subscribe_to_campaign": {"campaign_id": 3101, "contact": {"email": "maya.patel@example.com"}},
    "unsubscribe_from_campaign": {"campaign_id": 3101, "contact": {"id": 179301}},
    "track_event": {"event_name": "upgraded_plan", "contact": {"user_id": "u_1001"}},
    "list_events": {},
    "list_conversations": {},
    "get_conversation": {"conversation_id": 9002},
    "create_conversation": {"contact": {"email": "maya.patel@example.com"}, "body": "Hello"},
    "reply_to_conversation": {"conversation_id": 9002, "body": "Hi there", "teammate_id": 501},
    "update_conversation": {"conversation_id": 9002, "title": "Renamed"},
    "tag_conversation": {"conversation_id": 9002, "tag": "billing"},
    "delete_conversation": {"conversation_id": 9003},
    "count_conversations": {},
    "list_teams": {},
    "list_teammates": {},
    "list_forms": {},
    "get_form": {"form_id": 801},
    "list_form_submissions": {"form_id": 801},
    "submit_form": {"form_id": 801, "email": "strict@example.com"},
    "list_subscription_types": {},
    "set_subscription": {
        "subscription_type_id": 61,
        "contact": {"email": "maya.patel@example.com"},
        "subscribed": True,
    },
    "import_contacts": {"contacts": [{"email": "imported@example.com"}], "wait": False},
    "get_import_status": {"batch_id": "5001"},
    "api_request": {"method": "GET", "path": "tags"},
    "list_webhook_events": {},
    "wait_for_webhook_event": {"timeout_seconds": 0},
    "list_toolsets": {},
    "enable_toolset": {"toolset": "tags"},
}
"""For each tool, arguments a call succeeds with against the seeded emulator: the required ones, plus an
optional one where the call needs it (a change to make, no 30 s wait)."""
NOT_ON_GIST = frozenset({"list_webhook_events", "wait_for_webhook_event", "list_toolsets", "enable_toolset"})
"""Tools that read this server's own state, not Gist: their null handling is checked on parsing."""


def strict(op: Operation) -> dict[str, Any]:
    """The tool's inputSchema after the Agents SDK's strict rewrite."""
    return ensure_strict_json_schema(copy.deepcopy(mcp_tool(op).input_schema))


def nodes(schema: Any) -> list[dict[str, Any]]:
    """Every schema object inside a schema."""
    if isinstance(schema, list):
        return [n for item in schema for n in nodes(item)]
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for key, value in schema.items():
        if key == "properties":
            found += [n for sub in value.values() for n in nodes(sub)]
        elif key in ("items", "anyOf", "additionalProperties", "oneOf", "allOf"):
            found += nodes(value)
    return found


def free_form(schema: dict[str, Any]) -> bool:
    """Whether an argument (or a key inside one) is an object of arbitrary keys."""
    return any(node.get("type") == "object" and "properties" not in node for node in nodes(schema))


def openai_strict_problems(schema: dict[str, Any]) -> list[str]:
    """Why OpenAI strict mode would refuse `schema` (empty when it accepts it)."""
    problems = [] if schema.get("type") == "object" and "anyOf" not in schema else ["root is not a plain object"]
    for node in nodes(schema):
        problems += [f"unsupported keyword {key}" for key in set(node) - OPENAI_STRICT_KEYS]
        if node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                problems.append(f"object without additionalProperties false: {node}")
            if sorted(node.get("required", [])) != sorted(node.get("properties", {})):
                problems.append(f"not every property required: {node}")
    return problems


def null_filled(schema: dict[str, Any], given: Any) -> Any:
    """`given` as a strict model sends it: every property of every object present, null unless given."""
    branches = [b for b in schema.get("anyOf", [schema]) if b != NULL]
    shape = next((b for b in branches if "properties" in b or "items" in b), branches[0])
    if isinstance(given, dict) and "properties" in shape:
        return {key: null_filled(sub, given[key]) if key in given else None for key, sub in shape["properties"].items()}
    if isinstance(given, list) and "items" in shape:
        return [null_filled(shape["items"], item) for item in given]
    return given


def to_gemini(node: Any) -> Any:
    """The usual conversion frameworks apply before Gemini: `anyOf: [X, null]` becomes X with `nullable: true`."""
    if isinstance(node, list):
        return [to_gemini(item) for item in node]
    if not isinstance(node, dict):
        return node
    branches = node.get("anyOf")
    if branches and NULL in branches and len(branches) == 2:
        (rest,) = [b for b in branches if b != NULL]
        node = {k: v for k, v in node.items() if k != "anyOf"} | rest | {"nullable": True}
    return {key: to_gemini(value) for key, value in node.items()}


def gemini_problems(schema: dict[str, Any], where: str = "", *, documented: bool = True) -> list[str]:
    """Why a Gemini function declaration would refuse `schema` (converted by `to_gemini` first).

    `documented`: a free-form (property-less) object must say in its description what goes in it, as
    tool arguments do; a result's free-form object is described by its tool.
    """
    problems = [f"{where}: keyword {key}" for key in set(schema) - GEMINI_KEYS]
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in GEMINI_TYPES:
        return [*problems, f"{where}: type {kind!r} is not one Gemini type"]
    if "format" in schema and schema["format"] not in GEMINI_FORMATS.get(kind, set()):
        problems.append(f"{where}: format {schema['format']}")
    if "enum" in schema and kind != "string":
        problems.append(f"{where}: enum on {kind}")
    if kind == "array":
        if "items" not in schema:
            problems.append(f"{where}: array without items")
        else:
            problems += gemini_problems(schema["items"], f"{where}[]", documented=documented)
    if kind == "object":
        properties = schema.get("properties", {})
        if documented and not properties and not schema.get("description") and where:
            problems.append(f"{where}: a free-form object needs a description of what goes in it")
        problems += [
            f"{where}: required {name} is not a property" for name in set(schema.get("required", ())) - set(properties)
        ]
        for name, sub in properties.items():
            problems += gemini_problems(sub, f"{where}.{name}", documented=documented)
    return problems


@pytest.mark.parametrize("op", EVERY_OPERATION, ids=lambda op: f"{op.name}:{op.input.__name__}")
def test_the_agents_sdk_strict_rewrite_gives_a_valid_schema_the_null_fill_satisfies(op: Operation) -> None:
    rewritten = strict(op)
    assert openai_strict_problems(rewritten) == []
    sample = SAMPLES[op.name] if op.input.__name__ != "ReadOnlyApiRequestInput" else {"path": "tags"}
    arguments = null_filled(rewritten, sample)
    jsonschema.validate(arguments, rewritten)
    assert op.parse(arguments).model_dump() == op.parse(sample).model_dump(), "null must mean 'not given'"


@pytest.mark.parametrize("op", EVERY_OPERATION, ids=lambda op: f"{op.name}:{op.input.__name__}")
def test_input_and_output_schemas_fit_the_gemini_subset(op: Operation) -> None:
    tool = mcp_tool(op)
    assert gemini_problems(to_gemini(tool.input_schema)) == []
    assert gemini_problems(to_gemini(tool.output_schema), documented=False) == []


def test_the_schemas_say_exactly_one_in_words_not_with_keywords() -> None:
    for op in EVERY_OPERATION:
        for node in nodes(mcp_tool(op).input_schema):
            assert not {"minProperties", "maxProperties", "oneOf", "allOf", "const", "additionalProperties"} & set(node)


async def _run(tool: str, arguments: dict[str, Any]) -> tuple[bool, Any, list[tuple[Any, ...]]]:
    """Call `tool` on a fresh server and emulator: (is_error, result or error text, the Gist requests it sent)."""
    emulator = GistEmulator(api_keys=(CANARY_KEY,), clock=lambda: FIXED_NOW)
    assert (
        emulator.extras.add_batch([{"email": "queued@example.com"}])["id"] == SAMPLES["get_import_status"]["batch_id"]
    )
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app))
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    content = result.structured_content if not result.is_error else text_of(result)
    sent = [(r.method, r.path, r.query_items, r.json) for r in emulator.requests]
    return result.is_error, content, sent


@pytest.mark.parametrize("tool", [name for name in SAMPLES if name not in NOT_ON_GIST and name != "list_toolsets"])
async def test_a_null_filled_call_does_exactly_what_the_call_without_those_keys_does(tool: str) -> None:
    """What a strict model sends (every optional key null) against what a person writes (keys left out)."""
    op = next(op for op in CATALOG if op.name == tool)
    filled = null_filled(strict(op), SAMPLES[tool])
    assert filled != SAMPLES[tool] or not mcp_tool(op).input_schema["properties"].keys() - SAMPLES[tool].keys()
    as_written = await _run(tool, SAMPLES[tool])
    as_strict = await _run(tool, filled)
    assert as_written[0] is False, as_written[1]
    assert as_strict == as_written
    assert as_written[2], "the call reached Gist"


async def test_assignee_null_unassigns_when_given_alone_and_both_keys_null_unassigns_in_a_strict_call(
    client: Client, emulator: GistEmulator
) -> None:
    inbox = emulator.store.inbox
    conversation = 9001
    await call(
        client,
        "update_conversation",
        {"conversation_id": conversation, "assignee": {"teammate_id": 502}, "teammate_id": 501},
    )
    assert inbox.conversation(conversation)["assignee"] == {"id": 502, "type": "teammate"}
    await call(client, "update_conversation", {"conversation_id": conversation, "assignee": None, "teammate_id": 501})
    assert inbox.conversation(conversation)["assignee"] is None

    op = next(op for op in CATALOG if op.name == "update_conversation")
    await call(
        client,
        "update_conversation",
        {"conversation_id": conversation, "assignee": {"team_id": 41}, "teammate_id": 501},
    )
    title_only = null_filled(strict(op), {"conversation_id": conversation, "title": "Still assigned"})
    result = await call(client, "update_conversation", title_only)
    assert result["applied"] == ["details"]
    assert inbox.conversation(conversation)["assignee"] == {"id": 41, "type": "team"}
    unassign = null_filled(
        strict(op),
        {"conversation_id": conversation, "assignee": {"teammate_id": None, "team_id": None}, "teammate_id": 501},
    )
    result = await call(client, "update_conversation", unassign)
    assert result["applied"] == ["assignee"]
    assert inbox.conversation(conversation)["assignee"] is None


@pytest.mark.parametrize(
    "value", ["2026-11-27T09:30:00Z", "1795771800", 1795771800], ids=["iso-8601", "unix-string", "unix-number"]
)
async def test_times_are_one_string_type_yet_take_iso_unix_strings_and_numbers(
    client: Client, emulator: GistEmulator, value: str | int
) -> None:
    schema = mcp_tool(next(op for op in CATALOG if op.name == "track_event")).input_schema
    assert schema["properties"]["occurred_at"]["anyOf"] == [{"type": "string"}, NULL]
    await call(client, "track_event", {"event_name": "paid", "contact": {"id": 179301}, "occurred_at": value})
    assert emulator.requests[-1].json["occurred_at"] == 1795771800


async def test_a_contact_reference_with_no_or_two_non_null_keys_names_the_allowed_keys(client: Client) -> None:
    for ref in ({"id": None, "user_id": None, "email": None}, {"id": 179301, "user_id": None, "email": "a@b.co"}):
        text = await call_error(client, "get_user", {"user": ref})
        assert "user: give exactly one of id, user_id, email non-null" in text
        assert "ContactRef" not in text


@pytest.mark.slow
async def test_through_the_agents_sdk_every_tool_without_a_free_form_object_is_strict_and_takes_a_null_fill() -> None:
    """The Agents SDK's MCP path with `convert_schemas_to_strict`, on the sandbox over stdio (no model, no network)."""
    with anyio.fail_after(TIMEOUT * 2):
        async with sandbox_server() as server:
            agent = Agent(name="gist", mcp_servers=[server], mcp_config={"convert_schemas_to_strict": True})
            tools = [
                t for t in await agent.get_mcp_tools(RunContextWrapper(context=None)) if isinstance(t, FunctionTool)
            ]
            schemas = {op.name: mcp_tool(op).input_schema for op in CATALOG}
            assert sorted(t.name for t in tools if not t.strict_json_schema) == sorted(
                t.name for t in tools if free_form(schemas[t.name])
            )
            assert len(tools) - sum(t.strict_json_schema for t in tools) == 8  # examples/README.md gives this count
            get_user = next(t for t in tools if t.name == "get_user")
            arguments = json.dumps(
                null_filled(get_user.params_json_schema, {"user": {"email": "maya.patel@example.com"}})
            )
            context = ToolContext(context=None, tool_name="get_user", tool_call_id="t1", tool_arguments=arguments)
            assert "maya.patel@example.com" in str(await get_user.on_invoke_tool(context, arguments))
