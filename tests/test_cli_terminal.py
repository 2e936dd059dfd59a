"""The command as a person meets it: a hint on a terminal, and `gist-mcp emulator` as a subprocess."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import anyio
import httpx
import pytest
from conftest import MODES, call
from mcp import Client, StdioServerParameters
from processes import EMULATOR_LISTENING, listening_process
from test_transports import COMMAND, run_cli

from gist_mcp.cli import SANDBOX_KEY, WAITING_ON_STDIO

pytestmark = pytest.mark.slow

HINT = WAITING_ON_STDIO.split(".")[0]


def read_until(fd: int, needle: str, seconds: float) -> str:
    """Read from `fd` until `needle` shows up or `seconds` pass (a generous bound, not a timing assertion)."""
    seen = b""
    deadline = time.monotonic() + seconds
    while needle.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen.decode(errors="replace")


def test_on_a_terminal_the_server_says_it_waits_for_an_mcp_client() -> None:
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    process = subprocess.Popen(
        [*COMMAND, "--sandbox"], stdin=secondary, stdout=subprocess.DEVNULL, stderr=secondary, env=env
    )
    os.close(secondary)
    try:
        said = read_until(primary, HINT, 60)
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.close(primary)
    assert HINT in said
    assert "waiting for an MCP client" in said


def test_without_a_terminal_there_is_no_hint() -> None:
    done = subprocess.run([*COMMAND, "--sandbox"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert HINT not in done.stderr


def test_emulator_refuses_a_non_loopback_host() -> None:
    done = run_cli("emulator", "--host", "0.0.0.0")
    assert done.returncode == 2
    assert "loopback" in done.stderr


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_emulator_command_serves_the_demo_workspace_to_a_server(mode: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    with anyio.fail_after(60):
        async with listening_process([*COMMAND, "emulator", "--port", "0"], env, EMULATOR_LISTENING) as emulator:
            url = emulator.url
            async with httpx.AsyncClient() as http:
                answer = await http.get(f"{url}/segments", headers={"Authorization": f"Bearer {SANDBOX_KEY}"})
            assert answer.status_code == 200
            server_env = env | {"GIST_API_BASE_URL": url, "GIST_API_KEY": SANDBOX_KEY}
            params = StdioServerParameters(command=COMMAND[0], args=COMMAND[1:], env=server_env)
            async with Client(params, mode=mode) as client:
                segments = await call(client, "list_segments", {})
    assert segments["count"] > 0
