"""The real command in hosted mode: `gist-mcp --sandbox --transport http --auth gist-oauth` as a
process, logged in to with the SDK's client OAuth; a user's data survives nothing but their own login."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc
import httpx
import httpx2
import pytest
from conftest import call
from hosted_fixtures import SECRET_KEY, user_at
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from processes import free_port, until_healthy
from test_transports import COMMAND

from gist_mcp._serve import serve_asgi
from gist_mcp.emulator.accounts import EmulatedAccounts
from gist_mcp.hosted.config import HostedSettings
from gist_mcp.hosted.webhooks import WEBHOOK_DIR, workspace_token
from gist_mcp.webhooks.config import RECEIVER_PATH

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def run_sandbox_hosted(tmp_path: Path, **variables: str) -> None:
    """The sandbox hosted command with `variables`: Alice's lead stays Alice's (Bob cannot read it)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    env |= {"GIST_MCP_SECRET_KEY": SECRET_KEY, "GIST_MCP_DATA_DIR": str(tmp_path / "data"), **variables}
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


async def test_sandbox_hosted_command_logs_users_in_to_their_own_workspaces(tmp_path: Path) -> None:
    await run_sandbox_hosted(tmp_path)
    assert (tmp_path / "data" / "sandbox" / "hosted.sqlite3").exists()


@pytest.mark.services
async def test_the_sandbox_keeps_its_demo_webhook_events_out_of_a_configured_database(
    tmp_path: Path, database_url: str
) -> None:
    """Demo workspaces are numbered 1001, 1002, …: in a real database their events could show up for a
    real workspace with the same id, so the sandbox keeps them (and its logins) in its own folder."""
    import psycopg

    await run_sandbox_hosted(tmp_path, GIST_MCP_DATABASE_URL=database_url)
    assert list((tmp_path / "data" / "sandbox" / WEBHOOK_DIR).iterdir()), "Alice's lead fired a webhook"
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT to_regclass('webhook_events') IS NULL")
        assert await cursor.fetchone() == (True,)


AT_A_TERMINAL = [
    sys.executable,
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('gist_mcp', run_name='__main__', alter_sys=True)",
]
"""`gist-mcp` as started from a terminal, where Ctrl-C interrupts: a test runner started in the background
(a CI job, `cmd &`) hands its children SIGINT ignored, and a server started so rightly ignores Ctrl-C."""


async def stop(process: anyio.abc.Process) -> bytes:
    """Ctrl-C the hosted process; its stderr, once it exited with 130 (the pool closed in the serving loop)."""
    process.send_signal(signal.SIGINT)
    with anyio.fail_after(60):
        status = await process.wait()
    assert process.stderr is not None
    stderr = b""
    async for chunk in process.stderr:
        stderr += chunk
    assert status == 130, stderr.decode()
    assert b"Traceback" not in stderr
    return stderr


async def log_in(http: httpx.AsyncClient, url: str, public_url: str) -> str:
    """An MCP access token for a new login to the process at `url`, by the OAuth steps a client takes
    (register, authorize with PKCE, the emulated Gist's consent, callback, token); the callback Gist
    sends to `public_url` is followed on `url` instead, as a reverse proxy would."""
    redirect_uri = "http://127.0.0.1:9/callback"
    registered = await http.post(
        f"{url}/register", json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"}
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    to_gist = await http.get(
        f"{url}/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
        },
    )
    consent = await http.get(to_gist.headers["location"])
    callback = await http.get(consent.headers["location"].replace(public_url, url))
    code = parse_qs(urlsplit(callback.headers["location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    token = await http.post(f"{url}/token", data=form)
    assert token.status_code == 200, token.text
    return token.json()["access_token"]


@pytest.mark.services
async def test_hosted_command_keeps_its_records_and_webhook_events_in_postgres_with_a_database_url(
    tmp_path: Path, database_url: str
) -> None:
    """With GIST_MCP_DATABASE_URL the command's store is PostgreSQL (a client registered with the process
    is a row there, no SQLite file appears), a workspace's webhook delivery to one process is a row of
    that workspace (no SQLite webhook file either) that a user of the workspace lists through another
    process, and Ctrl-C closes the pools in the serving loop: exit status 130, no traceback."""
    import psycopg

    public_url = "https://gist-mcp.example.test"
    accounts = EmulatedAccounts("client-id", "client-secret-canary")  # plays Gist on loopback
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    env |= {
        "GIST_MCP_SECRET_KEY": SECRET_KEY,
        "GIST_MCP_DATA_DIR": str(tmp_path / "data"),
        "GIST_MCP_DATABASE_URL": database_url,
        "GIST_MCP_PUBLIC_URL": public_url,
        "GIST_OAUTH_CLIENT_ID": "client-id",
        "GIST_OAUTH_CLIENT_SECRET": "client-secret-canary",
    }
    delivery = {"topic": "contact.created", "contact": {"id": 7, "email": "shared-hook@example.com"}}
    workspace = "1001"  # the emulator's first login
    path = RECEIVER_PATH.format(token=workspace_token(HostedSettings.from_env(env), workspace))

    async def start() -> tuple[anyio.abc.Process, str]:
        port = free_port()
        process = await anyio.open_process(
            [*AT_A_TERMINAL, "--transport", "http", "--auth", "gist-oauth", "--port", str(port)],
            cwd=tmp_path,  # not the checkout: `-c` puts the working folder first on sys.path
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        with anyio.fail_after(60):
            await until_healthy(url)
        return process, url

    async with serve_asgi(accounts.app) as gist, httpx.AsyncClient() as http:
        env |= {
            "GIST_API_BASE_URL": gist,
            "GIST_OAUTH_AUTHORIZE_URL": f"{gist}/oauth/authorize",
            "GIST_OAUTH_TOKEN_URL": f"{gist}/oauth/token",
        }
        first, url = await start()
        try:
            registered = await http.post(
                f"{url}/register",
                json={"redirect_uris": ["http://127.0.0.1:9/callback"], "token_endpoint_auth_method": "none"},
            )
            assert registered.status_code == 201, registered.text
            stored = await http.post(url + path, json=delivery)
            assert stored.status_code == 200, stored.text
        finally:
            stderr = await stop(first)
        assert b"client-secret-canary" not in stderr

        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            cursor = await conn.execute("SELECT key FROM hosted_records WHERE kind = 'client'")
            assert await cursor.fetchall() == [(registered.json()["client_id"],)]
            cursor = await conn.execute("SELECT workspace, topic FROM webhook_events")
            assert await cursor.fetchall() == [(workspace, "contact.created")]
        assert not (tmp_path / "data" / "hosted.sqlite3").exists()
        assert not (tmp_path / "data" / WEBHOOK_DIR).exists()

        second, url = await start()
        try:
            token = await log_in(http, url, public_url)
            assert accounts.logins[next(iter(accounts.logins))].workspace_id == workspace
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as authorized,
                Client(streamable_http_client(f"{url}/mcp", http_client=authorized), cache=None) as client,
            ):
                listed = await call(client, "list_webhook_events", {})
        finally:
            await stop(second)
        assert [event["payload"] for event in listed["webhook_events"]] == [delivery]
