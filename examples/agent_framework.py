"""gist-mcp through the OpenAI Agents SDK (`openai-agents`), with no model and no network by default.

    pip install "openai-agents>=0.24,<0.25"     # or: pip install ".[test]"
    python examples/agent_framework.py          # sandbox: list the tools, call list_segments

The Agents SDK's own MCP client (`agents.mcp.MCPServerStdio`) starts `gist-mcp --sandbox` as a stdio
subprocess; the tools are listed the way an `Agent` sees them (`Agent.get_mcp_tools`) and `list_segments`
is invoked through the same function-tool wrapper a model's tool call goes through.

With a model key, `--ask` runs a real agent over the sandbox (needs network and OPENAI_API_KEY):

    OPENAI_API_KEY=sk-... python examples/agent_framework.py --ask "Which segment has the most people?"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from agents import Agent, FunctionTool, RunContextWrapper, Runner, set_tracing_disabled
from agents.mcp import MCPServerStdio
from agents.tool_context import ToolContext

INSTRUCTIONS = "You answer questions about a Gist CRM workspace with the gist tools. Be brief."


def gist_server(*, timeout: float = 30) -> MCPServerStdio:
    """`gist-mcp --sandbox` as a stdio subprocess, started with this interpreter (no PATH lookup)."""
    return MCPServerStdio(
        params={"command": sys.executable, "args": ["-m", "gist_mcp", "--sandbox"]},
        name="gist",
        client_session_timeout_seconds=timeout,
        cache_tools_list=True,
    )


async def demo(server: MCPServerStdio) -> str:
    """List the tools an Agent would get, call list_segments through the Agent's tool wrapper, return its text."""
    agent = Agent(name="gist", instructions=INSTRUCTIONS, mcp_servers=[server])
    tools = await agent.get_mcp_tools(RunContextWrapper(context=None))
    print(f"{len(tools)} tools: {', '.join(tool.name for tool in tools)}")
    list_segments = next(tool for tool in tools if tool.name == "list_segments")
    assert isinstance(list_segments, FunctionTool)
    call = ToolContext(context=None, tool_name="list_segments", tool_call_id="demo", tool_arguments="{}")
    output = await list_segments.on_invoke_tool(call, "{}")
    text = output["text"] if isinstance(output, dict) else str(output)
    for segment in json.loads(text)["segments"]:
        print(f"  segment {segment['id']}: {segment['name']} ({segment['count']} people)")
    return text


async def ask(server: MCPServerStdio, question: str) -> str:
    """Run a real agent: needs network and OPENAI_API_KEY (the model is the SDK's default)."""
    agent = Agent(name="gist", instructions=INSTRUCTIONS, mcp_servers=[server])
    result = await Runner.run(agent, question)
    return str(result.final_output)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ask", metavar="QUESTION", help="run a real agent (needs network and OPENAI_API_KEY)")
    args = parser.parse_args(argv)
    if args.ask and not os.environ.get("OPENAI_API_KEY"):
        parser.error("--ask needs OPENAI_API_KEY (and network); without --ask no model is used")
    if not args.ask:
        set_tracing_disabled(True)  # no model, so nothing to trace, and no upload attempt
    async with gist_server() as server:
        if args.ask:
            print(await ask(server, args.ask))
        else:
            await demo(server)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
