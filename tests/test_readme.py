"""The README's config snippets start gist-mcp with arguments it accepts, its Python snippets run as
pasted (Agents SDK) or as documented (LangChain, from its own environment), and its test command is CI's."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from gist_mcp.catalog import CATALOG, DEFAULT_TOOLSETS, select
from gist_mcp.cli import build_parser
from gist_mcp.emulator import GistEmulator

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
JSON_BLOCKS = re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)


def server_entries() -> list[tuple[str, dict[str, Any]]]:
    entries: list[tuple[str, dict[str, Any]]] = []
    for block in JSON_BLOCKS:
        config = json.loads(block)
        for key in ("mcpServers", "servers"):
            entries.extend(config.get(key, {}).items())
    return entries


def gist_mcp_args(command: str, args: list[str]) -> list[str]:
    """The arguments gist-mcp itself receives when a host runs `command args`."""
    program = PureWindowsPath(PurePosixPath(command).name).name.removesuffix(".exe")
    if program == "gist-mcp":
        return args
    if program == "uvx":
        assert re.fullmatch(r"gist-mcp([@=]=?[\w.]+)?", args[0]), f"uvx must run gist-mcp, not {args[0]}"
        return args[1:]
    if program == "uv":
        assert args[:2] == ["run", "--directory"], f"unexpected uv args {args}"
        assert args[3] == "gist-mcp", f"uv must run gist-mcp: {args}"
        return args[4:]
    raise AssertionError(f"a README config runs {command!r}, not gist-mcp, uvx or uv")


def test_every_json_block_parses() -> None:
    assert len(JSON_BLOCKS) >= 4
    for block in JSON_BLOCKS:
        json.loads(block)


@pytest.mark.parametrize(("name", "entry"), server_entries())
def test_config_runs_gist_mcp_with_arguments_the_cli_accepts(name: str, entry: dict[str, Any]) -> None:
    args = gist_mcp_args(entry["command"], entry.get("args", []))
    build_parser().parse_args(args)


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize(("name", "entry"), server_entries())
async def test_config_starts_a_server_that_lists_its_tools(name: str, entry: dict[str, Any], tmp_path: Path) -> None:
    """Each config, run the way its host would (the installed `gist-mcp` stands in for uvx / uv), with
    its own env, serves MCP; its key is accepted by an emulator standing in for api.getgist.com."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")} | entry.get("env", {})
    key = env.get("GIST_API_KEY", "sandbox-only")
    async with GistEmulator(api_keys=(key,)).serve() as gist_url:
        env |= {"GIST_API_BASE_URL": gist_url, "GIST_MCP_DATA_DIR": str(tmp_path)}
        args = ["-m", "gist_mcp", *gist_mcp_args(entry["command"], entry.get("args", []))]
        with anyio.fail_after(60):
            async with Client(StdioServerParameters(command=sys.executable, args=args, env=env)) as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                a_list_tool = min(name for name in names if name.startswith("list_") and name != "list_webhook_events")
                result = await client.call_tool(a_list_tool, {"limit": 1})
                assert not result.is_error, result.content


def test_readme_test_command_is_the_one_ci_runs() -> None:
    commands = re.findall(r"^pip install \"\.\[test\]\" && .*$", README, flags=re.MULTILINE)
    assert commands == ['pip install ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assignment = re.search(r"^README_TEST_COMMAND=(.*)$", ci, flags=re.MULTILINE)
    assert assignment, ".ci/run must define README_TEST_COMMAND"
    assert shlex.split(assignment.group(1)) == [commands[0]]
    # CI runs those two steps on the built wheel (the tree stays off sys.path), pytest under coverage and --slow.
    assert 'python -m pip install --quiet "$WHEEL[test]"\n' in ci
    assert 'coverage run --rcfile="$ROOT/pyproject.toml" "$(command -v pytest)" --slow "$ROOT/tests"' in ci


def test_readme_has_the_tools_table_and_the_watch_events_section() -> None:
    assert "<!-- BEGIN TOOLS -->" in README
    assert "\n## Watch Events\n" in README


PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
LANGCHAIN_PYTHON = os.environ.get("GIST_MCP_LANGCHAIN_PYTHON")
"""A Python with langchain-mcp-adapters (and so mcp 1.x) installed, in its own environment (.ci/run makes one)."""


def python_block(marker: str) -> str:
    (block,) = [block for block in PYTHON_BLOCKS if marker in block]
    return block


def installed_command(tmp_path: Path) -> Path:
    """A `gist-mcp` executable first on PATH: the console script pip installed beside this Python (in CI, the
    wheel's), never the checkout."""
    script = Path(sys.executable).with_name("gist-mcp")
    assert script.is_file(), f"no gist-mcp console script beside {sys.executable}: pip install '.[test]' first"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "gist-mcp"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(str(script))} "$@"\n')
    shim.chmod(0o755)
    return shim


def test_changelog_counts_the_tools_there_are() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    counts = [int(n) for n in re.findall(r"with (\d+) typed tools", changelog)]
    assert counts == [len(CATALOG)]


@pytest.mark.slow
def test_the_agents_sdk_snippet_runs_when_pasted_into_a_file(tmp_path: Path) -> None:
    """Pasted as is, it starts the sandbox, lists the tools, and stops only where a model is needed."""
    pytest.importorskip("agents")
    script = tmp_path / "agent.py"
    script.write_text(python_block("from agents import"), encoding="utf-8")
    shim = installed_command(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIST_", "OPENAI_"))}
    env["PATH"] = f"{shim.parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert "SyntaxError" not in done.stderr
    assert f"{len(select(DEFAULT_TOOLSETS, False))} Gist tools" in done.stdout, done.stderr[-2000:]
    assert "OPENAI_API_KEY" in done.stderr, "without a key it stops at the model call, nowhere earlier"


def langchain_server() -> dict[str, Any]:
    """The server entry of the README's LangChain snippet."""
    tree = compile(
        python_block("langchain_mcp_adapters"),
        "README",
        "exec",
        flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
    )
    (entry,) = [
        ast.literal_eval(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "command" for k in node.keys)
    ]
    return entry


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
async def test_the_langchain_command_line_serves_an_mcp_1x_handshake(version: str, tmp_path: Path) -> None:
    """What an mcp 1.x client (langchain-mcp-adapters) sends, as raw JSON-RPC lines on the command's stdio."""
    entry = langchain_server()
    assert entry["transport"] == "stdio"
    args = ["-m", "gist_mcp", *gist_mcp_args(entry["command"], entry["args"])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "mcp", "version": "1.30.0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    with anyio.fail_after(60):
        async with await anyio.open_process([sys.executable, *args], env=env, cwd=tmp_path) as process:
            assert process.stdin is not None
            assert process.stdout is not None
            await process.stdin.send("".join(json.dumps(m) + "\n" for m in messages).encode())
            buffered = b""
            answers: dict[int, Any] = {}
            async for chunk in process.stdout:
                buffered += chunk
                *lines, buffered = buffered.split(b"\n")
                answers |= {m["id"]: m for m in map(json.loads, filter(None, lines)) if "id" in m}
                if 2 in answers:
                    break
            process.terminate()
    assert answers[1]["result"]["protocolVersion"] == version
    assert {tool["name"] for tool in answers[2]["result"]["tools"]} >= {"list_segments", "get_user"}


@pytest.mark.slow
@pytest.mark.skipif(
    not LANGCHAIN_PYTHON, reason="set GIST_MCP_LANGCHAIN_PYTHON to a Python with langchain-mcp-adapters"
)
def test_langchain_mcp_adapters_from_its_own_environment_calls_a_tool(tmp_path: Path) -> None:
    """The real adapters (mcp 1.x) in their own environment, running the README's server entry."""
    assert LANGCHAIN_PYTHON is not None
    entry = langchain_server()
    shim = installed_command(tmp_path)
    script = tmp_path / "langchain_client.py"
    script.write_text(
        "import asyncio, json, sys\n"
        "from langchain_mcp_adapters.client import MultiServerMCPClient\n"
        "async def main():\n"
        "    client = MultiServerMCPClient({'gist': json.loads(sys.argv[1])})\n"
        "    tools = {tool.name: tool for tool in await client.get_tools()}\n"
        "    print(len(tools), 'tools')\n"
        "    print(await tools['list_segments'].ainvoke({'limit': 2}))\n"
        "asyncio.run(main())\n",
        encoding="utf-8",
    )
    server = entry | {"command": str(shim), "args": gist_mcp_args(entry["command"], entry["args"])}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIST_", "PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(
        [LANGCHAIN_PYTHON, str(script), json.dumps(server)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Paying customers" in done.stdout
