"""The real command in hosted mode: `gist-mcp --sandbox --transport http --auth gist-oauth` as a
process, logged in to with the SDK's client OAuth; a user's data survives nothing but their own login."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import anyio
import httpx
import pytest
from conftest import call
from hosted_fixtures import SECRET_KEY, user_at
from processes import free_port, until_healthy
from test_transports import COMMAND

pytestmark = pytest.mark.anyio


async def test_sandbox_hosted_command_logs_users_in_to_their_own_workspaces(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    env |= {"GIST_MCP_SECRET_KEY": SECRET_KEY, "GIST_MCP_DATA_DIR": str(tmp_path / "data")}
    process = await anyio.open_process(
        [*COMMAND, "--sandbox", "--transport", "http", "--auth", "gist-oauth", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    responses: list[str] = []
    try:
        with anyio.fail_after(60):
            await until_healthy(url)
            async with httpx.AsyncClient() as http:
                assert (await http.post(f"{url}/mcp", json={})).status_code == 401
            async with user_at(url, responses) as (alice, _), user_at(url, responses) as (bob, _):
                await call(alice, "create_lead", {"email": "alice-only@example.com"})
                assert (await call(alice, "get_lead", {"lead": {"email": "alice-only@example.com"}}))["email"]
                assert (await bob.call_tool("get_lead", {"lead": {"email": "alice-only@example.com"}})).is_error
    finally:
        process.terminate()
        await process.wait()
    assert (tmp_path / "data" / "sandbox" / "hosted.sqlite3").exists()


@pytest.mark.services
async def test_hosted_command_keeps_its_records_in_postgres_with_a_database_url(
    tmp_path: Path, database_url: str
) -> None:
    """With GIST_MCP_DATABASE_URL the command's store is PostgreSQL (a client registered with the process
    is a row there, no SQLite file appears), and Ctrl-C closes the pool in the serving loop: exit status
    130, no traceback."""
    import psycopg

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    env |= {
        "GIST_MCP_SECRET_KEY": SECRET_KEY,
        "GIST_MCP_DATA_DIR": str(tmp_path / "data"),
        "GIST_MCP_DATABASE_URL": database_url,
        "GIST_MCP_PUBLIC_URL": "https://gist-mcp.example.test",
        "GIST_OAUTH_CLIENT_ID": "client-id",
        "GIST_OAUTH_CLIENT_SECRET": "client-secret-canary",
    }
    process = await anyio.open_process(
        [*COMMAND, "--transport", "http", "--auth", "gist-oauth", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with anyio.fail_after(60):
            await until_healthy(url)
            async with httpx.AsyncClient() as http:
                registered = await http.post(
                    f"{url}/register",
                    json={"redirect_uris": ["http://127.0.0.1:9/callback"], "token_endpoint_auth_method": "none"},
                )
                assert registered.status_code == 201, registered.text
    finally:
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(60):
            status = await process.wait()
    assert process.stderr is not None
    stderr = b""
    async for chunk in process.stderr:
        stderr += chunk
    assert status == 130, stderr.decode()
    assert b"Traceback" not in stderr
    assert b"client-secret-canary" not in stderr
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT key FROM hosted_records WHERE kind = 'client'")
        assert await cursor.fetchall() == [(registered.json()["client_id"],)]
    assert not (tmp_path / "data" / "hosted.sqlite3").exists()
