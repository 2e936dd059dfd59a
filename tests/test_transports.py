"""The real command: `gist-mcp` as a stdio subprocess and as a Streamable HTTP server, against the
emulator on a loopback socket (the same path a real Gist key takes), plus its start-up errors."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from conftest import CANARY_KEY, MODES, call
from mcp import Client, StdioServerParameters
from mcp.types import LoggingMessageNotificationParams
from processes import http_server

from gist_mcp.emulator import GistEmulator

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
COMMAND = [sys.executable, "-m", "gist_mcp"]


@pytest.fixture
async def gist_url() -> AsyncIterator[str]:
    async with GistEmulator(api_keys=(CANARY_KEY,)).serve() as url:
        yield url


def server_env(gist_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    return env | {"GIST_API_KEY": CANARY_KEY, "GIST_API_BASE_URL": gist_url}


@pytest.mark.parametrize("mode", MODES)
async def test_stdio_subprocess_serves_tools_and_never_logs_the_key(gist_url: str, tmp_path: Path, mode: str) -> None:
    stderr = tmp_path / "stderr.log"
    command = " ".join(shlex.quote(part) for part in [*COMMAND, "--log-level", "DEBUG"])
    params = StdioServerParameters(
        command="bash", args=["-c", f"exec {command} 2>{shlex.quote(str(stderr))}"], env=server_env(gist_url)
    )
    with anyio.fail_after(60):
        async with Client(params, mode=mode) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert "get_user" in names
            users = await call(client, "list_users", {"limit": 3})
            assert users["count"] == 3
            user = await call(client, "get_user", {"user": {"id": users["users"][0]["id"]}})
            assert user["id"] == users["users"][0]["id"]
    log = stderr.read_text()
    assert "GET /contacts" in log
    assert CANARY_KEY not in log


@pytest.mark.filterwarnings(r"ignore:The logging capability is deprecated:mcp.shared.exceptions.MCPDeprecationWarning")
@pytest.mark.parametrize("mode", MODES)
async def test_streamable_http_server_serves_tools_and_the_clients_log(gist_url: str, mode: str) -> None:
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    with anyio.fail_after(30):
        async with (
            http_server([*COMMAND, "--transport", "http"], server_env(gist_url)) as server,
            Client(f"{server.url}/mcp", mode=mode, logging_callback=on_log, log_level="debug") as client,
        ):
            if mode == "legacy":
                await client.set_logging_level("debug")
            segments = await call(client, "list_segments", {})
            assert segments["count"] > 0
            resource = await client.read_resource("gist://campaigns")
            assert "campaigns" in resource.contents[0].text  # type: ignore[union-attr]
    # The forwarding task runs in the HTTP app's lifespan task group, not the request's.
    assert [p.data for p in received if "GET /segments" in str(p.data)], "the client gets its debug log over HTTP"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    return subprocess.run([*COMMAND, *args], env=base | (env or {}), capture_output=True, text=True, timeout=60)


def test_missing_key_exits_2_with_one_line_naming_the_variable() -> None:
    done = run_cli()
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "GIST_API_KEY" in lines[0]
    assert "Settings > API & Webhooks > API Key" in lines[0]


def test_bundle_placeholder_key_counts_as_missing() -> None:
    done = run_cli(env={"GIST_API_KEY": "${user_config.api_key}"})
    assert done.returncode == 2


def test_unknown_toolset_exits_2_listing_the_valid_ones() -> None:
    done = run_cli("--toolsets", "users,bogus", "tools")
    assert done.returncode == 2
    assert "bogus" in done.stderr
    assert "users, leads, tags" in done.stderr


def test_tools_and_version_need_no_key() -> None:
    tools = run_cli("tools", "--toolsets", "tags", "--read-only")
    assert tools.returncode == 0
    assert tools.stdout.split()[0] == "list_tags"
    assert len(tools.stdout.strip().splitlines()) == 1
    assert run_cli("--version").stdout.startswith("gist-mcp ")


def test_call_prints_json_and_fails_with_status_1() -> None:
    ok = run_cli("--sandbox", "call", "list_tags", '{"limit": 2}')
    assert ok.returncode == 0, ok.stderr
    assert '"count": 2' in ok.stdout
    bad = run_cli("call", "--sandbox", "get_user", '{"user": {"id": 1}}')
    assert bad.returncode == 1
    assert "404" in bad.stderr
    assert bad.stdout == ""


@pytest.mark.filterwarnings(r"ignore:The logging capability is deprecated:mcp.shared.exceptions.MCPDeprecationWarning")
@pytest.mark.parametrize("mode", MODES)
async def test_a_client_asking_for_debug_logs_leaves_stderr_at_its_level(
    gist_url: str, tmp_path: Path, mode: str
) -> None:
    stderr = tmp_path / "stderr.log"
    command = " ".join(shlex.quote(part) for part in [*COMMAND, "--log-level", "WARNING"])
    params = StdioServerParameters(
        command="bash", args=["-c", f"exec {command} 2>{shlex.quote(str(stderr))}"], env=server_env(gist_url)
    )
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    with anyio.fail_after(60):
        async with Client(params, mode=mode, logging_callback=on_log, log_level="debug") as client:
            if mode == "legacy":
                await client.set_logging_level("debug")
            await call(client, "list_segments", {})
    assert any("GET /segments" in str(p.data) for p in received), "the client gets its debug log"
    assert "GET /segments" not in stderr.read_text(), "stderr stays at --log-level WARNING"
