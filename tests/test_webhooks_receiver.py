import dataclasses
import hashlib
import hmac
import json
import logging
import socket
import stat
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from gist_mcp.errors import GistConfigError
from gist_mcp.webhooks import (
    MAX_EVENT_BYTES,
    MAX_NESTING_DEPTH,
    SqliteWebhookStore,
    WebhookSettings,
    WebhookStore,
    event_id,
    receiver_routes,
    serve_receiver,
)

pytestmark = pytest.mark.anyio

TOKEN = "tok-0123456789abcdef"
SECRET = "shh-webhook-secret"
EVENT = {"id": "evt_1", "topic": "contact.tagged", "contact": {"id": 7, "tags": [{"name": "vip"}]}}


@pytest.fixture
def settings(tmp_path: Path) -> WebhookSettings:
    return WebhookSettings(token=TOKEN, data_dir=tmp_path / "data")


@pytest.fixture
async def store(settings: WebhookSettings) -> AsyncIterator[WebhookStore]:
    async with SqliteWebhookStore.from_settings(settings) as store:
        yield store


def client_for(store: WebhookStore, settings: WebhookSettings) -> httpx.AsyncClient:
    app = Starlette(routes=receiver_routes(store, settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gist-mcp.test")


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def stored_ids(store: WebhookStore) -> list[str]:
    """The payload ids of the stored events, newest first."""
    return [event.payload["id"] for event in (await store.list(limit=1000)).events]


async def test_a_delivery_to_the_right_token_is_stored_and_acknowledged(
    store: WebhookStore, settings: WebhookSettings
) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, json=EVENT)

    assert response.status_code == 200
    assert response.json() == {"id": event_id(EVENT), "topic": "contact.tagged", "duplicate": False}
    stored = await store.get(event_id(EVENT))
    assert stored is not None
    assert stored.payload == EVENT


@pytest.mark.parametrize("method", ["POST", "GET", "PUT"])
async def test_a_wrong_token_is_not_found_and_stores_nothing(
    store: WebhookStore, settings: WebhookSettings, method: str
) -> None:
    async with client_for(store, settings) as client:
        response = await client.request(method, "/webhooks/gist/tok-wrong-0123456789", json=EVENT)

    assert response.status_code == 404
    assert await stored_ids(store) == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_than_post_are_not_allowed(
    store: WebhookStore, settings: WebhookSettings, method: str
) -> None:
    async with client_for(store, settings) as client:
        response = await client.request(method, settings.receiver_path)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_redelivered_event_is_acknowledged_again_and_stored_once(
    store: WebhookStore, settings: WebhookSettings
) -> None:
    async with client_for(store, settings) as client:
        first = await client.post(settings.receiver_path, json=EVENT)
        again = await client.post(settings.receiver_path, json=EVENT)

    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert await stored_ids(store) == ["evt_1"]


async def test_events_received_before_a_restart_are_kept_and_recognised_when_redelivered(
    settings: WebhookSettings,
) -> None:
    for expected_duplicate in (False, True):
        async with SqliteWebhookStore.from_settings(settings) as store, client_for(store, settings) as client:
            response = await client.post(settings.receiver_path, json=EVENT)

            assert response.json()["duplicate"] is expected_duplicate
            assert await stored_ids(store) == ["evt_1"]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (sign, 200),
        (lambda body: sign(body).upper().replace("SHA256=", "sha256="), 200),
        (lambda body: sign(body, "another-secret"), 401),
        (lambda body: sign(body + b" "), 401),
        (lambda body: sign(body).removeprefix("sha256="), 401),
        (lambda body: "sha256=é", 401),
        (None, 401),
    ],
    ids=["right", "uppercase-hex", "other-secret", "other-body", "no-prefix", "not-ascii", "missing"],
)
async def test_with_a_secret_the_signature_must_match_the_raw_body(
    store: WebhookStore, settings: WebhookSettings, header: Callable[[bytes], str] | None, status: int
) -> None:
    body = json.dumps(EVENT).encode()
    headers = {} if header is None else {b"X-Gist-Signature": header(body).encode("latin-1")}

    async with client_for(store, dataclasses.replace(settings, secret=SECRET)) as client:
        response = await client.post(settings.receiver_path, content=body, headers=headers)

    assert response.status_code == status
    assert await stored_ids(store) == (["evt_1"] if status == 200 else [])


async def test_without_a_secret_signatures_are_not_checked(store: WebhookStore, settings: WebhookSettings) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, json=EVENT, headers={"X-Gist-Signature": "sha256=00"})

    assert response.status_code == 200


def padded_event(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    empty = json.dumps({"id": "big", "pad": ""}).encode()
    return json.dumps({"id": "big", "pad": "x" * (size - len(empty))}).encode()


async def test_a_body_of_exactly_the_size_limit_is_accepted(store: WebhookStore, settings: WebhookSettings) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, content=padded_event(MAX_EVENT_BYTES))

    assert response.status_code == 200
    assert await stored_ids(store) == ["big"]


async def test_a_larger_body_is_refused_whether_its_length_is_declared_or_streamed(
    store: WebhookStore, settings: WebhookSettings
) -> None:
    body = padded_event(MAX_EVENT_BYTES + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with client_for(store, settings) as client:
        declared = await client.post(settings.receiver_path, content=body)
        streamed = await client.post(settings.receiver_path, content=chunks())

    assert streamed.request.headers.get("content-length") is None
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert declared.json() == {"error": "body larger than 64 KiB"}
    assert await stored_ids(store) == []


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"", 400, "body is not valid JSON"),
        (b"not json", 400, "body is not valid JSON"),
        (b'{"id": "e1"', 400, "body is not valid JSON"),
        (b'[{"id": "e1"}]', 400, "body is not a JSON object"),
        (b'"text"', 400, "body is not a JSON object"),
        (b"42", 400, "body is not a JSON object"),
        (b'{"e": "\xff"}', 400, "body is not valid JSON"),
        (b'{"n": NaN}', 400, "body holds a number JSON cannot express (NaN, Infinity, or beyond 1.8e308)"),
        (b'{"n": [1e400]}', 400, "body holds a number JSON cannot express (NaN, Infinity, or beyond 1.8e308)"),
        (b'{"n": -Infinity}', 400, "body holds a number JSON cannot express (NaN, Infinity, or beyond 1.8e308)"),
        (b'{"n": ' + b"9" * 5000 + b"}", 400, "body is not valid JSON"),
        (b"[" * 60_000, 400, f"body nested deeper than {MAX_NESTING_DEPTH} levels"),
        (b'{"a":' * 255 + b"{}" + b"}" * 255, 400, f"body nested deeper than {MAX_NESTING_DEPTH} levels"),
        (b'{"a":' * MAX_NESTING_DEPTH + b"{}" + b"}" * MAX_NESTING_DEPTH, 400, "nested deeper"),
        (b'{"n": [' + b"1e5," * 12_000 + b"1]}", 413, "event larger than 64 KiB"),  # 100000.0 once stored
    ],
    ids=[
        "empty", "text", "truncated", "array", "string", "number", "bad-utf8", "nan", "overflow-to-infinity",
        "minus-infinity", "int-too-long", "too-deep-for-the-parser", "255-deep", "one-level-too-deep",
        "larger-once-stored",
    ],
)  # fmt: skip
async def test_a_body_the_store_cannot_keep_is_refused_with_its_reason(
    store: WebhookStore, settings: WebhookSettings, body: bytes, status: int, reason: str
) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, content=body)

    assert response.status_code == status
    assert reason in response.json()["error"]
    assert await stored_ids(store) == []


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        (rb'{"id": "\ud800", "name": "a\udfffb"}', {"id": "\ufffd", "name": "a\ufffdb"}),
        (rb'{"id": "x", "\udbff": "\ud83d\ude00 ok"}', {"id": "x", "\ufffd": "\U0001f600 ok"}),
        (b'{"id": "big", "n": 1.5e300, "i": ' + b"9" * 300 + b"}", {"id": "big", "n": 1.5e300, "i": int("9" * 300)}),
    ],
    ids=["lone-surrogates", "surrogate-key-and-a-valid-pair", "large-finite-numbers"],
)
async def test_a_body_with_lone_surrogates_or_large_numbers_is_stored_encodable(
    store: WebhookStore, settings: WebhookSettings, body: bytes, stored: dict[str, Any]
) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, content=body)
        again = await client.post(settings.receiver_path, content=body)

    assert response.status_code == 200
    assert response.json()["id"] == event_id(stored)
    assert again.json()["duplicate"] is True
    event = await store.get(event_id(stored))
    assert event is not None
    assert event.payload == stored
    json.dumps(event.to_json(), ensure_ascii=False).encode()  # no UnicodeEncodeError


async def test_the_token_never_appears_in_logs(
    store: WebhookStore, settings: WebhookSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signed = dataclasses.replace(settings, secret=SECRET)
    body = json.dumps(EVENT).encode()

    async with client_for(store, signed) as client:
        await client.post(signed.receiver_path, content=body, headers={"X-Gist-Signature": sign(body)})
        await client.post(signed.receiver_path, content=body, headers={"X-Gist-Signature": sign(body)})
        await client.post(signed.receiver_path, content=body)
        await client.post(signed.receiver_path, content=b"[]", headers={"X-Gist-Signature": sign(b"[]")})
        await client.get(signed.receiver_path)
        await client.post(f"/webhooks/gist/{TOKEN}x", content=body)

    server_records = [record for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))]
    assert {record.levelname for record in server_records} == {"INFO", "WARNING"}
    assert all(TOKEN not in record.getMessage() for record in server_records)


def listening_port() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, sock.getsockname()[1]


async def test_the_standalone_listener_receives_over_a_real_socket_and_hides_the_token_in_its_access_log(
    store: WebhookStore, settings: WebhookSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    access_log = logging.getLogger("uvicorn.access")
    access_log.addHandler(caplog.handler)  # even if another test's uvicorn config stopped its propagation
    level = access_log.level
    access_log.setLevel(logging.INFO)  # ... or raised its level
    statuses: list[int] = []
    try:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tasks:
                port = await tasks.start(serve_receiver, store, settings, "127.0.0.1", 0)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    statuses.append((await client.post(settings.receiver_path, json=EVENT)).status_code)
                tasks.cancel_scope.cancel()
    finally:
        access_log.removeHandler(caplog.handler)
        access_log.setLevel(level)

    assert statuses == [200]
    assert await stored_ids(store) == ["evt_1"]
    access_lines = [record.getMessage() for record in caplog.records if record.name == "uvicorn.access"]
    assert any("POST /webhooks/gist/<token>" in line for line in access_lines)
    assert all(TOKEN not in record.getMessage() for record in caplog.records if record.name != "httpx")


async def test_a_second_process_that_cannot_bind_the_port_warns_and_goes_on_without_a_receiver(
    store: WebhookStore, settings: WebhookSettings, caplog: pytest.LogCaptureFixture
) -> None:
    taken, port = listening_port()
    with taken, anyio.fail_after(10):
        assert await serve_receiver(store, settings, "127.0.0.1", port) is False
        async with anyio.create_task_group() as tasks:
            assert await tasks.start(serve_receiver, store, settings, "127.0.0.1", port) is None

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in warnings[0].getMessage()


def test_the_token_comes_from_the_environment(tmp_path: Path) -> None:
    settings = WebhookSettings.from_env({"GIST_WEBHOOK_TOKEN": TOKEN, "GIST_MCP_DATA_DIR": str(tmp_path / "d")})

    assert settings.token == TOKEN
    assert settings.receiver_path == f"/webhooks/gist/{TOKEN}"
    assert not (tmp_path / "d").exists()


def test_without_a_token_one_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    env = {"GIST_MCP_DATA_DIR": str(tmp_path / "d"), "GIST_WEBHOOK_TOKEN": "${user_config.webhook_token}"}

    first = WebhookSettings.from_env(env)
    second = WebhookSettings.from_env(env)

    assert first.token == second.token
    assert len(first.token) >= 32
    assert [path.name for path in (tmp_path / "d").iterdir()] == ["webhook-token"]
    if sys.platform != "win32":
        assert stat.S_IMODE((tmp_path / "d" / "webhook-token").stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700


@pytest.mark.parametrize("token", ["short", "has a space in it!", "slash/in/the/token/value"])
def test_a_token_unfit_for_a_url_is_refused(tmp_path: Path, token: str) -> None:
    with pytest.raises(GistConfigError, match="GIST_WEBHOOK_TOKEN"):
        WebhookSettings.from_env({"GIST_WEBHOOK_TOKEN": token, "GIST_MCP_DATA_DIR": str(tmp_path)})


def test_settings_repr_shows_neither_token_nor_secret(tmp_path: Path) -> None:
    settings = WebhookSettings.from_env(
        {"GIST_WEBHOOK_TOKEN": TOKEN, "GIST_WEBHOOK_SECRET": SECRET, "GIST_MCP_DATA_DIR": str(tmp_path)}
    )

    assert settings.secret == SECRET
    assert TOKEN not in repr(settings)
    assert SECRET not in repr(settings)
    assert str(tmp_path) in repr(settings)
