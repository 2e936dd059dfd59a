"""Exposure of the Streamable HTTP transport: bearer token, Host / Origin checks, /health, the CLI guard."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from conftest import CANARY_KEY, call
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.types import ASGIApp, Receive, Scope, Send

from gist_mcp.emulator import GistEmulator, serve_asgi
from gist_mcp.http_app import (
    HEADER_TIMEOUT,
    KEEP_ALIVE_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_INCOMPLETE_EVENT_BYTES,
    MIN_AUTH_TOKEN_LENGTH,
    build_http_app,
    server_config,
    transport_security,
)
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio

TOKEN = "mcp-token-7c1e9b"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def serving(app: ASGIApp) -> AbstractAsyncContextManager[str]:
    """Run `app` (lifespan on) under uvicorn on a free loopback port."""
    return serve_asgi(app, lifespan="on")


def a_user_id(emulator: GistEmulator) -> int:
    return next(c["id"] for c in emulator.contacts.values() if c.get("type") == "user")


async def test_token_is_required_on_mcp(make_server: Callable[..., GistServer], emulator: GistEmulator) -> None:
    app = build_http_app(make_server(), host="127.0.0.1", auth_token=TOKEN)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        missing = await http.post("/mcp", json=INIT, headers=MCP_HEADERS)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].lower().startswith("bearer")
        wrong = await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        basic = await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Authorization": f"Basic {TOKEN}"})
        assert basic.status_code == 401
        assert TOKEN not in missing.text + wrong.text + basic.text
        health = await http.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        before = len(emulator.requests)

        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as authed,
            Client(streamable_http_client(f"{base_url}/mcp", http_client=authed), cache=None) as client,
        ):
            result = await call(client, "get_user", {"user": {"id": a_user_id(emulator)}})
        assert result["type"] == "user"
        assert len(emulator.requests) == before + 1
        assert emulator.requests[-1].headers["authorization"] == f"Bearer {CANARY_KEY}"


async def test_public_bind_rejects_forged_host_and_origin(make_server: Callable[..., GistServer]) -> None:
    app = build_http_app(
        make_server(),
        host="0.0.0.0",
        auth_token=TOKEN,
        allowed_hosts=["mcp.example.com"],
        allowed_origins=["https://claude.ai"],
    )
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        forged_host = await http.post("/mcp", json=INIT, headers={**headers, "Host": "evil.example.com"})
        assert forged_host.status_code == 421
        forged_origin = await http.post(
            "/mcp", json=INIT, headers={**headers, "Host": "mcp.example.com", "Origin": "https://evil.example.com"}
        )
        assert forged_origin.status_code == 403
        good = await http.post(
            "/mcp", json=INIT, headers={**headers, "Host": "mcp.example.com", "Origin": "https://claude.ai"}
        )
        assert good.status_code == 200
        health = await http.get("/health", headers={"Host": "mcp.example.com"})
        assert health.status_code == 200


async def test_loopback_bind_rejects_a_forged_host(make_server: Callable[..., GistServer]) -> None:
    app = build_http_app(make_server(), host="127.0.0.1", auth_token=None)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        forged = await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Host": "evil.example.com"})
        assert forged.status_code == 421


@pytest.mark.slow
def test_public_bind_without_a_token_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GIST_MCP_AUTH_TOKEN"}
    env["GIST_API_KEY"] = CANARY_KEY
    done = subprocess.run(
        [sys.executable, "-m", "gist_mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "GIST_MCP_AUTH_TOKEN" in done.stderr
    assert "Serving" not in done.stderr
    assert CANARY_KEY not in done.stderr + done.stdout


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_stateless_mode_serves_a_call(
    make_server: Callable[..., GistServer], emulator: GistEmulator, mode: str
) -> None:
    app = build_http_app(make_server(), host="127.0.0.1", auth_token=None, stateless=True)
    async with serving(app) as base_url, Client(f"{base_url}/mcp", mode=mode, cache=None) as client:  # type: ignore[arg-type]
        result = await call(client, "get_user", {"user": {"id": a_user_id(emulator)}})
    assert result["type"] == "user"


async def test_other_loopback_binds_check_host_and_origin(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    """127.0.0.2 is loopback (no token needed) but not one of the SDK's own defaults: still protected."""
    app = build_http_app(make_server(), host="127.0.0.2", auth_token=None)
    call_user = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "get_user", "arguments": {"user": {"id": a_user_id(emulator)}}},
    }
    async with (
        serve_asgi(app, host="127.0.0.2", lifespan="on") as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        for body in (INIT, call_user):
            forged_host = await http.post("/mcp", json=body, headers={**MCP_HEADERS, "Host": "evil.example.com"})
            assert forged_host.status_code == 421
            forged_origin = await http.post(
                "/mcp", json=body, headers={**MCP_HEADERS, "Origin": "http://evil.example.com"}
            )
            assert forged_origin.status_code == 403
        assert emulator.requests == []
        good = await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Origin": base_url})
        assert good.status_code == 200


@pytest.mark.parametrize("host", ["0:0:0:0:0:0:0:1", "::1", "127.0.0.2"])
def test_loopback_binds_allow_only_loopback_names(host: str) -> None:
    security = transport_security(host)
    assert security.enable_dns_rebinding_protection
    bound = f"[{host}]" if ":" in host else host
    assert f"{bound}:*" in security.allowed_hosts
    assert f"http://{bound}:*" in security.allowed_origins
    assert not [name for name in security.allowed_hosts if "example" in name]


async def test_a_stalled_request_head_is_closed_after_the_header_timeout() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("no request may reach the app")

    config = server_config(app, host="127.0.0.1", port=0, header_timeout=0.2)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    with socket.create_server(("127.0.0.1", 0)) as sock:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(functools.partial(server.serve, sockets=[sock]))
            try:
                stream = await anyio.connect_tcp("127.0.0.1", sock.getsockname()[1])
                async with stream:
                    await stream.send(b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    with anyio.fail_after(20):  # generous: the server closes after 0.2 s
                        with pytest.raises(anyio.EndOfStream):
                            await stream.receive()
            finally:
                server.should_exit = True


def test_the_readme_states_the_http_limits() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"request\nheaders within {HEADER_TIMEOUT:g} s or sits idle for {KEEP_ALIVE_TIMEOUT} s" in readme
    assert f"beyond {MAX_CONNECTIONS} concurrent" in readme
    assert f"over {MAX_INCOMPLETE_EVENT_BYTES // 1024} KiB" in readme
    assert f"token of {MIN_AUTH_TOKEN_LENGTH}+ characters" in readme
