"""Workflow prompts: listed with described arguments, rendered with the caller's values, ids completed.

Every tool a prompt names must exist in the catalogue (a renamed tool would leave a prompt walking the
model to nowhere), and the limits it states are the named constants.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, PromptReference, TextContent

from gist_mcp import prompts
from gist_mcp.catalog import CATALOG
from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio

NAMES = {"win_back_segment", "clean_duplicate_leads", "weekly_digest", "triage_inbox"}


async def _text(client: Client, name: str, arguments: dict[str, str]) -> str:
    result = await client.get_prompt(name, arguments)
    assert len(result.messages) == 1
    assert result.messages[0].role == "user"
    content = result.messages[0].content
    assert isinstance(content, TextContent)
    return content.text


async def test_listed_with_described_arguments(client: Client) -> None:
    assert client.server_capabilities.prompts is not None
    listed = {p.name: p for p in (await client.list_prompts()).prompts}
    assert list(listed) == [workflow.name for workflow in prompts.WORKFLOWS], "in the catalogue's order"
    assert set(listed) == NAMES
    for prompt in listed.values():
        assert prompt.title
        assert prompt.description
        for argument in prompt.arguments or []:
            assert argument.description, f"{prompt.name}.{argument.name} has no description"
    required = {p.name: [a.name for a in p.arguments or [] if a.required] for p in listed.values()}
    assert required == {
        "win_back_segment": ["segment_id"],
        "clean_duplicate_leads": [],
        "weekly_digest": [],
        "triage_inbox": ["teammate_id"],
    }


async def test_every_named_tool_exists() -> None:
    tools = {op.name for op in CATALOG}
    for workflow in prompts.WORKFLOWS:
        required = {a.name: "1" for a in workflow.prompt.arguments or [] if a.required}
        messages = await workflow.prompt.render(required, Context())
        text = str(messages)
        named = set(re.findall(r"`([a-z_]+)`", text))
        assert named, workflow.prompt.name
        assert named <= tools, f"{workflow.prompt.name} names unknown tools {named - tools}"
        assert named == workflow.tools, f"{workflow.prompt.name}: its declared tools differ from those it names"


async def test_rendered_with_the_callers_values(client: Client) -> None:
    async def says(name: str, arguments: dict[str, str], *parts: str) -> str:
        text = " ".join((await _text(client, name, arguments)).split())
        for part in parts:
            assert part in text, f"{name} does not say {part!r}"
        return text

    await says(
        "win_back_segment",
        {"segment_id": "7", "days": "90", "tag": "lapsed"},
        "segment 7",
        "more than 90 days",
        'tag="lapsed"',
        "Change nothing before I say yes",
    )
    await says("win_back_segment", {"segment_id": "7"}, "more than 30 days", 'tag="win-back"')
    await says("triage_inbox", {"teammate_id": "3", "limit": "5"}, "limit=5", "teammate_id=3")
    text = await says("clean_duplicate_leads", {}, f"at most {prompts.MAX_DELETIONS_PER_RUN} in this run")
    assert "created_since_days" not in text
    await says("clean_duplicate_leads", {"created_since_days": "9"}, "created_since_days=9")
    await says("weekly_digest", {"days": "14"}, "last 14 days", "change nothing")


@pytest.mark.parametrize(
    ("name", "arguments", "named"),
    [
        ("win_back_segment", {"segment_id": "7", "days": "0"}, "days"),
        ("win_back_segment", {"segment_id": "7", "days": str(prompts.MAX_DAYS + 1)}, "days"),
        ("win_back_segment", {"segment_id": "seven"}, "segment_id"),
        ("win_back_segment", {}, "segment_id"),
        ("triage_inbox", {"teammate_id": "3", "limit": str(prompts.MAX_TRIAGED + 1)}, "limit"),
        ("weekly_digest", {"day": "3"}, "day: unknown argument"),
    ],
)
async def test_bad_arguments_are_errors_naming_them(
    client: Client, name: str, arguments: dict[str, str], named: str
) -> None:
    with pytest.raises(MCPError) as error:
        await client.get_prompt(name, arguments)
    assert error.value.error.code == INVALID_PARAMS
    assert str(error.value).startswith(f"Invalid arguments for prompt {name}: {named}")
    assert "Traceback" not in str(error.value)


async def test_unknown_prompt_is_an_error(client: Client) -> None:
    with pytest.raises(MCPError):  # its code (-32602) is server.py's business, not the prompts'
        await client.get_prompt("nope", {})


async def test_id_arguments_complete_from_gist(client: Client, emulator: GistEmulator) -> None:
    async def values(prompt: str, argument: str, prefix: str) -> list[str]:
        result = await client.complete(
            PromptReference(type="ref/prompt", name=prompt), {"name": argument, "value": prefix}
        )
        return result.completion.values

    segment_ids = sorted(str(i) for i in emulator.segments)
    assert sorted(await values("win_back_segment", "segment_id", "")) == segment_ids
    first = segment_ids[0]
    assert all(v.startswith(first[:1]) for v in await values("win_back_segment", "segment_id", first[:1]))
    tag_names = {str(t["name"]) for t in emulator.tags.values()}
    assert set(await values("win_back_segment", "tag", "")) == tag_names
    teammates = {str(t["id"]) for t in emulator.store.inbox.teammates.values()}
    assert set(await values("triage_inbox", "teammate_id", "")) == teammates
    assert await values("win_back_segment", "days", "") == []
    assert await values("nope", "segment_id", "") == []


def test_readme_lists_every_prompt_with_its_arguments() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `")}
    for workflow in prompts.WORKFLOWS:
        row = rows[workflow.prompt.name]
        for argument in workflow.prompt.arguments or []:
            assert f"`{argument.name}`" in row, f"README's {workflow.prompt.name} row misses {argument.name}"
    assert f"at most {prompts.MAX_DELETIONS_PER_RUN} per run" in readme
    assert f"at most {prompts.MAX_TRIAGED})" in readme


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_prompt_is_offered_only_while_its_tools_are_served(make_server: Any, mode: str) -> None:
    """Read-only mode has no delete_lead or tag_contacts; enabling the conversations toolset brings triage_inbox."""
    server = make_server(read_only=True, toolsets=frozenset({"users", "leads", "teams"}), dynamic_toolsets=True)
    async with Client(server, mode=mode) as client:
        assert client.server_capabilities is not None
        assert client.server_capabilities.prompts is None
        with pytest.raises(MCPError):
            await client.list_prompts()
    server = make_server(toolsets=frozenset({"users", "leads", "teams"}), dynamic_toolsets=True)
    async with Client(server, mode=mode, cache=None) as client:
        assert [p.name for p in (await client.list_prompts()).prompts] == ["clean_duplicate_leads"]
        await client.call_tool("enable_toolset", {"toolset": "conversations"})
        assert [p.name for p in (await client.list_prompts()).prompts] == ["clean_duplicate_leads", "triage_inbox"]
