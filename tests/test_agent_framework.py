"""gist-mcp through an agent framework's own MCP client: the OpenAI Agents SDK's `MCPServerStdio`.

The framework spawns `python -m gist_mcp --sandbox` on stdio, lists the tools the way an `Agent` gets
them and calls `list_segments`, both directly and through the function-tool wrapper a model's tool call
goes through. No model is invoked, tracing is off, and OPENAI_API_KEY is removed: nothing leaves the
machine. The `test` extra installs the framework; without it the module skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

try:
    from agents import Agent, FunctionTool, RunContextWrapper, set_tracing_disabled
    from agents.mcp import MCPServerStdio
    from agents.tool_context import ToolContext
except ImportError:
    pytest.skip("openai-agents is not installed (pip install '.[test]' brings it)", allow_module_level=True)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "agent_framework.py"
CONTRACT_TOOLS = {
    "get_user",
    "list_users",
    "create_user",
    "list_segments",
    "get_segment",
    "tag_contacts",
    "api_request",
}
TIMEOUT = 60
"""Generous bound for the subprocess to start and answer on a loaded 2-core CI machine; never reached normally."""


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model key and no tracing upload: the framework has no reason to reach OpenAI."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    set_tracing_disabled(True)


def sandbox_server() -> MCPServerStdio:
    return MCPServerStdio(
        params={"command": sys.executable, "args": ["-m", "gist_mcp", "--sandbox"]},
        name="gist",
        client_session_timeout_seconds=TIMEOUT,
    )


@pytest.mark.slow
async def test_agent_lists_gist_tools_and_calls_list_segments() -> None:
    with anyio.fail_after(TIMEOUT * 2):
        async with sandbox_server() as server:
            listed = {tool.name for tool in await server.list_tools()}
            assert not CONTRACT_TOOLS - listed, f"missing tools: {CONTRACT_TOOLS - listed}"

            result = await server.call_tool("list_segments", {})
            assert not result.is_error
            assert result.structured_content is not None
            names = [segment["name"] for segment in result.structured_content["segments"]]
            assert "Paying customers" in names

            # What an Agent hands the model: every tool as a FunctionTool, invoked with the model's JSON.
            agent = Agent(name="gist", instructions="Answer with the gist tools.", mcp_servers=[server])
            tools = {tool.name: tool for tool in await agent.get_mcp_tools(RunContextWrapper(context=None))}
            assert set(tools) == listed
            list_segments = tools["list_segments"]
            assert isinstance(list_segments, FunctionTool)
            assert list_segments.description
            call = ToolContext(context=None, tool_name="list_segments", tool_call_id="t1", tool_arguments="{}")
            output = await list_segments.on_invoke_tool(call, '{"limit": 2}')
            assert "Paying customers" in str(output)


@pytest.mark.slow
def test_example_script_runs_offline() -> None:
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} is not in this tree (sdist)")
    env = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}
    env["OPENAI_AGENTS_DISABLE_TRACING"] = "1"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=TIMEOUT * 2, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "list_segments" in done.stdout
    assert "Paying customers" in done.stdout
