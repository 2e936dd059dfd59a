"""The README's config snippets start gist-mcp with arguments it accepts, and its test command is CI's."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest

from gist_mcp.cli import build_parser

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


def test_readme_test_command_is_the_one_ci_runs() -> None:
    commands = re.findall(r"^pip install \"\.\[test\]\" && .*$", README, flags=re.MULTILINE)
    assert commands == ['pip install ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assignment = re.search(r"^README_TEST_COMMAND=(.*)$", ci, flags=re.MULTILINE)
    assert assignment, ".ci/run must define README_TEST_COMMAND"
    assert shlex.split(assignment.group(1)) == [commands[0]]
    assert 'eval "$README_TEST_COMMAND"' in ci


def test_readme_has_the_tools_table_and_the_watch_events_section() -> None:
    assert "<!-- BEGIN TOOLS -->" in README
    assert "\n## Watch Events\n" in README
