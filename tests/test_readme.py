"""The README's config snippets start gist-mcp with arguments it accepts, and its test command is CI's."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

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
    # CI runs those two steps on the built wheel (the tree stays off sys.path) and pytest under coverage.
    assert 'python -m pip install --quiet "$WHEEL[test]"\n' in ci
    assert 'coverage run --rcfile="$ROOT/pyproject.toml" "$(command -v pytest)" "$ROOT/tests"' in ci


def test_readme_has_the_tools_table_and_the_watch_events_section() -> None:
    assert "<!-- BEGIN TOOLS -->" in README
    assert "\n## Watch Events\n" in README
