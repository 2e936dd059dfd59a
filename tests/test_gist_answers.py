"""Hostile answers from Gist (or anything at the base URL): lone surrogates, non-finite and huge
numbers, deep nesting, the key echoed back, unparseable Retry-After, giant messages. Every answer the
server gives stays encodable, clear and free of the key, on every transport."""

from __future__ import annotations

import gzip
import json
import logging
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import CANARY_KEY, call, call_error, settings_for, text_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client, StdioServerParameters
from standin import Answer, StandIn

from gist_mcp._http import CALLER_HEADERS, MAX_JSON_DEPTH, MAX_MESSAGE_CHARS, MAX_NUMBER_DIGITS, MAX_RESPONSE_BYTES
from gist_mcp.emulator import serve_asgi
from gist_mcp.http_app import build_http_app
from gist_mcp.server import GistServer, create_server

pytestmark = pytest.mark.anyio
SURROGATE = r"\ud800"
"""A lone UTF-16 surrogate as a JSON escape: valid JSON, but no UTF-8 encoder will write it."""
SEGMENTS = Answer('{"segments": [{"id": 7, "name": "VIP \\ud800 list"}]}')
SEGMENT = Answer('{"segment": {"id": 7, "name": "VIP \\ud800 list"}}')
CAMPAIGNS = Answer('{"campaigns": []}')
GET_ANYTHING = {"method": "GET", "path": "anything"}


def server_for(stand_in: StandIn, **changes: Any) -> GistServer:
    return create_server(settings_for(max_retries=0, **changes), transport=stand_in.transport())


async def api_answer(body: str | bytes, status: int = 200, **answer: Any) -> dict[str, Any]:
    """What `api_request` returns when Gist answers `body`: {"data": ...} or {"error": text}."""
    stand_in = StandIn({"anything": Answer(body, status, **answer)})
    async with Client(server_for(stand_in), cache=None) as client:
        result = await client.call_tool("api_request", GET_ANYTHING)
    text = text_of(result)
    text.encode("utf-8")  # strict: no surrogate survives
    assert CANARY_KEY not in text
    if result.is_error:
        return {"error": text}
    assert json.loads(text) == result.structured_content
    return result.structured_content or {}


async def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    result = await api_answer(f'{{"name": "a{SURROGATE}b", "{SURROGATE}": 1}}')
    assert result["data"] == {"name": "a\ufffdb", "\ufffd": 1}


async def test_non_finite_numbers_become_null() -> None:
    result = await api_answer('{"big": 1e400, "small": -1e400, "nan": NaN, "inf": Infinity, "ok": 1.5}')
    assert result["data"] == {"big": None, "small": None, "nan": None, "inf": None, "ok": 1.5}


async def test_deep_nesting_is_a_clear_error() -> None:
    for depth in (MAX_JSON_DEPTH + 1, 5000):
        result = await api_answer("[" * depth + "]" * depth)
        assert f"nested deeper than {MAX_JSON_DEPTH} levels" in result["error"]
        assert "Internal error" not in result["error"]
    fine = await api_answer("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1))
    assert "data" in fine


async def test_a_cookie_gist_sets_is_never_sent_back_and_a_callers_accept_replaces_ours() -> None:
    """Requests carry the key, never cookies (an API authenticated by its key has no session to keep), and a
    caller's allowed header replaces the default of the same name instead of doubling it."""
    stand_in = StandIn({"anything": Answer(b"{}", headers={"set-cookie": "session=gist-cookie; Path=/"})})
    async with Client(server_for(stand_in), cache=None) as client:
        await call(client, "api_request", GET_ANYTHING)
        await call(client, "api_request", GET_ANYTHING | {"headers": {"Accept": "application/xml"}})
    first, second = (received.headers for received in stand_in.received)
    assert "cookie" not in first
    assert "cookie" not in second
    assert (first["accept"], second["accept"]) == ("application/json", "application/xml")
    assert second["authorization"] == f"Bearer {CANARY_KEY}"


async def test_a_compressed_body_is_capped_as_it_inflates() -> None:
    """Content-Length counts the compressed bytes: a few KiB of gzip inflating past the cap are cut off like
    any huge body, never read whole."""
    bomb = gzip.compress(b" " * (MAX_RESPONSE_BYTES + 1))
    result = await api_answer(bomb, headers={"content-encoding": "gzip"})
    assert f"larger than {MAX_RESPONSE_BYTES // 2**20} MiB" in result["error"]
    assert "cut off" in result["error"]


async def test_huge_integers_are_a_clear_error() -> None:
    for digits in (MAX_NUMBER_DIGITS + 1, 5000):
        for encoding in ("utf-8", "utf-16"):  # digit runs are looked for in UTF-8 bytes; other encodings go slow
            result = await api_answer(('{"n": ' + "9" * digits + "}").encode(encoding))
            assert f"longer than {MAX_NUMBER_DIGITS} digits" in result["error"]
    assert (await api_answer('{"n": -' + "9" * MAX_NUMBER_DIGITS + "}"))["data"]["n"] < 0
    long_text = '{"n": 1, "note": "' + "9" * (MAX_NUMBER_DIGITS + 1) + '"}'  # a long run in a string is no number
    assert (await api_answer(long_text))["data"]["note"] == "9" * (MAX_NUMBER_DIGITS + 1)


async def test_resources_list_survives_a_surrogate_segment_name() -> None:
    stand_in = StandIn({"segments": SEGMENTS, "campaigns": CAMPAIGNS})
    async with Client(server_for(stand_in), cache=None) as client:
        listed = (await client.list_resources()).resources
    assert [r.title for r in listed if r.uri == "gist://segments/7"] == ["VIP \ufffd list"]


async def test_the_key_echoed_in_an_answer_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    echoes = {
        "json-401": Answer(json.dumps({"message": f"bad key Bearer {CANARY_KEY}"}), 401),
        "text-500": Answer(f"upstream said Authorization: Bearer {CANARY_KEY}", 500, content_type="text/plain"),
        "json-200": Answer(json.dumps({"you_sent": f"Bearer {CANARY_KEY}", CANARY_KEY: [CANARY_KEY]})),
    }
    stand_in = StandIn(echoes)
    async with Client(server_for(stand_in), cache=None) as client:
        unauthorized = await call_error(client, "api_request", {"method": "GET", "path": "json-401"})
        assert "Gist API 401" in unauthorized
        assert "bad key Bearer [redacted]" in unauthorized
        failed = await call_error(client, "api_request", {"method": "GET", "path": "text-500"})
        assert "Gist API 500" in failed
        assert "Bearer [redacted]" in failed
        ok = await call(client, "api_request", {"method": "GET", "path": "json-200"})
        assert ok["data"] == {"you_sent": "Bearer [redacted]", "[redacted]": ["[redacted]"]}
    assert all(CANARY_KEY not in record.getMessage() for record in caplog.records)


async def test_retry_after_that_is_not_a_date_keeps_the_rate_limit_error() -> None:
    limited = Answer('{"message": "Too many requests, slow down"}', 429, headers={"Retry-After": "soon"})
    stand_in = StandIn({"anything": limited})
    async with Client(server_for(stand_in), cache=None) as client:
        text = await call_error(client, "api_request", GET_ANYTHING)
    assert "Gist API 429" in text
    assert "Too many requests, slow down" in text
    assert "wait a few seconds and retry" in text


async def test_a_giant_error_message_is_cut() -> None:
    result = await api_answer(json.dumps({"message": "x" * 2_000_000}), 422)
    assert "Gist API 422" in result["error"]
    assert f"cut, {2_000_000} characters in all" in result["error"]
    assert len(result["error"]) < MAX_MESSAGE_CHARS + 500


async def test_contact_emails_stay_out_of_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    email = "private.person@example.com"
    stand_in = StandIn({"contacts": Answer(json.dumps({"contact": {"id": 3, "email": email, "type": "user"}}))})
    async with Client(server_for(stand_in), cache=None) as client:
        await call(client, "get_user", {"user": {"email": email}})
    assert stand_in.received[-1].query == "email=private.person%40example.com"
    logged = [record.getMessage() for record in caplog.records]
    assert any("GET /contacts" in line for line in logged)
    assert not [line for line in logged if "private.person" in line]


async def test_streamable_http_answers_are_valid_json() -> None:
    stand_in = StandIn({"anything": Answer(f'{{"name": "x{SURROGATE}", "n": 1e400}}')})
    app = build_http_app(server_for(stand_in), host="127.0.0.1", auth_token=None, stateless=True)
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "api_request", "arguments": GET_ANYTHING},
    }
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
    async with serve_asgi(app, lifespan="on") as base_url, httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/mcp", json=request, headers=headers)
    assert response.status_code == 200
    answer = json.loads(response.content.decode("utf-8"))  # strict UTF-8, strict JSON
    assert answer["result"]["structuredContent"]["data"] == {"name": "x\ufffd", "n": None}


# --- the real command: stdio subprocess and `gist-mcp call` against a stand-in on a socket ---


def command_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    return env | {"GIST_API_KEY": CANARY_KEY, "GIST_API_BASE_URL": base_url, "PYTHONIOENCODING": "utf-8"}


@pytest.mark.slow
async def test_stdio_server_lists_resources_with_a_surrogate_segment_name(tmp_path: Path) -> None:
    stand_in = StandIn({"segments": SEGMENTS, "segments/7": SEGMENT, "campaigns": CAMPAIGNS})
    stderr = tmp_path / "stderr.log"
    command = shlex.join([sys.executable, "-m", "gist_mcp", "--log-level", "INFO"])
    async with serve_asgi(stand_in.app) as base_url:
        params = StdioServerParameters(
            command="bash", args=["-c", f"exec {command} 2>{shlex.quote(str(stderr))}"], env=command_env(base_url)
        )
        with anyio.fail_after(60):
            async with Client(params) as client:
                titles = {r.uri: r.title for r in (await client.list_resources()).resources}
                again = await client.list_resources()  # the process is still alive
                segment = await client.read_resource("gist://segments/7")
    assert titles["gist://segments/7"] == "VIP \ufffd list"
    assert again.resources
    assert "VIP \ufffd list" in segment.contents[0].text  # type: ignore[union-attr]
    assert "Traceback" not in stderr.read_text()


@pytest.mark.slow
async def test_cli_call_prints_a_surrogate_answer() -> None:
    stand_in = StandIn({"anything": Answer(f'{{"name": "x{SURROGATE}y"}}')})
    async with serve_asgi(stand_in.app) as base_url:
        done = await anyio.run_process(
            [sys.executable, "-m", "gist_mcp", "call", "api_request", json.dumps(GET_ANYTHING)],
            env=command_env(base_url),
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout.decode("utf-8"))["data"] == {"name": "x\ufffdy"}


# --- fuzzing Gist's answers through MCP ---

text_with_surrogates = st.text(
    alphabet=st.characters(codec=None, categories=None, blacklist_categories=()), max_size=12
)
json_answer = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text_with_surrogates,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text_with_surrogates, children, max_size=3),
    max_leaves=10,
)
raw_answer = st.one_of(
    json_answer.map(lambda value: json.dumps(value, ensure_ascii=True)),  # NaN/Infinity, \udXXX escapes
    st.integers(1, 3000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.integers(90, 6000).map(lambda digits: "[" + "7" * digits + "]"),
    st.binary(max_size=40),
)
FUZZ = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzz_rig() -> Iterator[tuple[BlockingPortal, Client, StandIn]]:
    stand_in = StandIn()
    server = create_server(settings_for(max_retries=0, rate_limit=(1_000_000, 1.0)), transport=stand_in.transport())
    with start_blocking_portal("asyncio") as portal, portal.wrap_async_context_manager(Client(server, cache=None)) as c:
        yield portal, c, stand_in


@given(body=raw_answer, status=st.sampled_from([200, 400, 401, 404, 500]))
@FUZZ
def test_any_answer_gives_an_encodable_result_or_a_clear_error(
    fuzz_rig: tuple[BlockingPortal, Client, StandIn], body: str | bytes, status: int
) -> None:
    portal, client, stand_in = fuzz_rig
    stand_in.answers["anything"] = Answer(body, status)
    result = portal.call(client.call_tool, "api_request", GET_ANYTHING)
    text = text_of(result)
    text.encode("utf-8")
    assert "Traceback" not in text
    if result.is_error:
        assert text.startswith(f"Gist API {status} on GET /anything: "), text
    else:
        assert status == 200
        json.dumps(result.structured_content, allow_nan=False).encode("utf-8")
        assert json.loads(text) == result.structured_content


def test_logging_filter_redacts_the_key_in_messages_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    from gist_mcp.redact import redact_logs

    redact_logs(CANARY_KEY, [caplog.handler])
    logger = logging.getLogger("mcp.server.lowlevel")
    logger.info("Processing %s", f"Bearer {CANARY_KEY}")
    try:
        raise ValueError(f"echo {CANARY_KEY}")
    except ValueError:
        logger.exception("failed")
    assert caplog.records[0].getMessage() == "Processing Bearer [redacted]"
    assert CANARY_KEY not in caplog.text
    assert "echo [redacted]" in caplog.text


def test_the_readme_states_the_limits() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"deeper than {MAX_JSON_DEPTH} levels" in readme
    assert f"more than {MAX_NUMBER_DIGITS} digits" in readme
    assert f"larger than {MAX_RESPONSE_BYTES // 2**20} MiB" in readme
    assert f"cut\nat {MAX_MESSAGE_CHARS} characters" in readme
    for header in CALLER_HEADERS:
        assert f"`{header}`" in readme.lower()
