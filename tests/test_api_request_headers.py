"""`api_request` caller headers and query: only the allowlist reaches Gist, method overrides never do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import call, call_error
from mcp import Client

from gist_mcp._http import CALLER_HEADERS
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio

REFUSED = [
    "X-HTTP-Method-Override",
    "X-HTTP-Method",
    "X-Method-Override",
    "Cookie",
    "Connection",
    "Upgrade",
    "TE",
    "Expect",
    "Content-Encoding",
    "X-Original-URL",
    "X-Forwarded-Host",
    "Forwarded",
    "Authorization",
    "Host",
    "Transfer-Encoding",
]


@pytest.mark.parametrize("read_only", [False, True])
async def test_allowed_headers_reach_gist(
    make_server: Callable[..., GistServer], emulator: GistEmulator, read_only: bool
) -> None:
    headers = {
        "Accept-Language": "fr",
        "If-None-Match": '"abc"',
        "X-Request-Id": "req-1",
        "Content-Type": "application/json; charset=utf-8",
    }
    async with Client(make_server(read_only=read_only), cache=None) as client:
        await call(client, "api_request", {"method": "GET", "path": "tags", "headers": headers})
    sent = emulator.requests[-1].headers
    assert {name: sent[name.lower()] for name in headers} == headers


@pytest.mark.parametrize("read_only", [False, True])
async def test_other_headers_are_refused_naming_headers(
    make_server: Callable[..., GistServer], emulator: GistEmulator, read_only: bool
) -> None:
    async with Client(make_server(read_only=read_only), cache=None) as client:
        for name in REFUSED:
            text = await call_error(client, "api_request", {"method": "GET", "path": "tags", "headers": {name: "x"}})
            assert f"headers: {name} cannot be set (allowed: " in text
            assert "x-request-id" in text  # the allowed ones are listed
    assert emulator.requests == []
    assert "x-http-method-override" not in CALLER_HEADERS


async def test_method_override_in_the_query_is_refused(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    async with Client(make_server(read_only=True), cache=None) as client:
        for name in ("_method", "_METHOD"):
            text = await call_error(client, "api_request", {"method": "GET", "path": "tags", "query": {name: "DELETE"}})
            assert f"query: {name} cannot be set: it would override the HTTP method" in text
    assert emulator.requests == []


async def test_bad_header_values_are_refused_naming_headers(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    async with Client(make_server(), cache=None) as client:
        for headers in (
            {"Accept-Language": "café"},
            {"X-Request-Id": "a\r\nX-Evil: 1"},
            {"Content-Type": "text/plain"},
        ):
            text = await call_error(client, "api_request", {"method": "GET", "path": "tags", "headers": headers})
            assert "Invalid arguments for api_request: headers: " in text
    assert emulator.requests == []
