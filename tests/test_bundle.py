"""The packed MCP Bundle starts with its own mcp_config and serves the catalogue against a Gist API.

Runs only when `GIST_MCP_BUNDLE` names a packed `.mcpb` (`.ci/run` packs one) and `npx` is on PATH;
otherwise it is skipped with the reason.

What is real: the bundle is unpacked by `mcpb unpack`; its manifest's `mcp_config` env is used as a
host fills it in (`api_key` = a test key, `read_only` = "false", `toolsets` left as the literal
`${user_config.toolsets}` placeholder, as a host passes an optional field the user left empty); the
server process gets exactly the arguments that follow `uv run --directory ${__dirname}`; the key
goes to a Gist-compatible API (the emulator on a loopback port, via `GIST_API_BASE_URL`) that
rejects any other key; tools are listed over stdio with the SDK client.

What is substituted: `uv run --directory <bundle>` itself (uv is not installed here). The command
after it, `gist-mcp`, is this virtualenv's entry point, and `PYTHONPATH=<bundle>` makes it import
the bundle's own `gist_mcp` sources rather than the installed package. Dependencies come from this
virtualenv, not from a uv resolution of the bundle's pyproject.toml.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from gist_mcp.catalog import DEFAULT_TOOLSETS, select
from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio

BUNDLE = os.environ.get("GIST_MCP_BUNDLE")
NPX = shutil.which("npx")
MCPB = "@anthropic-ai/mcpb@2.1.2"
KEY = "bundle-test-key"
USER_CONFIG = {"api_key": KEY, "read_only": "false"}  # toolsets: left empty by the user


def fill(value: str, bundle_dir: Path) -> str:
    """Substitute `${__dirname}` and the user_config values given, as a host does; leave the rest."""
    value = value.replace("${__dirname}", str(bundle_dir))
    for key, given in USER_CONFIG.items():
        value = value.replace("${user_config." + key + "}", given)
    return value


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not BUNDLE:
        pytest.skip("GIST_MCP_BUNDLE is not set (.ci/run packs a bundle and sets it)")
    if NPX is None:
        pytest.skip("npx is not available to unpack the bundle")
    target = tmp_path_factory.mktemp("bundle")
    subprocess.run([NPX, "-y", MCPB, "unpack", BUNDLE, str(target)], check=True, timeout=300)
    return target


def test_bundle_holds_the_sources_and_leaves_out_tests_and_caches(unpacked: Path) -> None:
    assert (unpacked / "manifest.json").is_file()
    assert (unpacked / "pyproject.toml").is_file()
    assert (unpacked / "gist_mcp" / "server.py").is_file()
    assert not (unpacked / "tests").exists()
    assert not list(unpacked.rglob("__pycache__"))


async def test_bundle_mcp_config_starts_a_server_that_lists_and_calls_tools(unpacked: Path) -> None:
    manifest: dict[str, Any] = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    config = manifest["server"]["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"][:3] == ["run", "--directory", "${__dirname}"]
    entry_point, *args = config["args"][3:]
    command = Path(sys.executable).parent / entry_point
    env = {name: fill(value, unpacked) for name, value in config["env"].items()}
    assert env["GIST_TOOLSETS"] == "${user_config.toolsets}"

    async with GistEmulator(api_keys=(KEY,)).serve() as base_url:
        env |= {"GIST_API_BASE_URL": base_url, "PYTHONPATH": str(unpacked)}
        params = StdioServerParameters(command=str(command), args=args, env=env, cwd=str(unpacked))
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("list_segments", {"limit": 2})

    # The bundle leaves toolsets empty unless the user picks some: the default toolsets.
    assert [tool.name for tool in tools] == [op.name for op in select(DEFAULT_TOOLSETS, read_only=False)]
    # The manifest lists every tool a user can switch on; the default toolsets serve a subset of them.
    assert {tool.name for tool in tools} <= {tool["name"] for tool in manifest["tools"]}
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert len(result.structured_content["segments"]) == 2
