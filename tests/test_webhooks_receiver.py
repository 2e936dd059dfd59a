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

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from gist_mcp.errors import GistConfigError
from gist_mcp.webhooks import (
    MAX_BODY_BYTES,
    OnEvent,
    WebhookEvent,
    WebhookSettings,
    WebhookStore,
    receiver_routes,
    serve_receiver,
)

pytestmark = pytest.mark.anyio

TOKEN = "tok-0123456789abcdef"
SECRET = "shh-webhook-secret"
EVENT = {"id": "evt_1", "topic": "contact.tagged", "contact": {"id": 7, "tags": [{"name": "vip"}]}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> WebhookSettings:
    return WebhookSettings(token=TOKEN, data_dir=tmp_path / "data")


@pytest.fixture
async def store(settings: WebhookSettings) -> AsyncIterator[WebhookStore]:
    async with WebhookStore.from_settings(settings) as store:
        yield store


def client_for(store: WebhookStore, settings: WebhookSettings, on_event: OnEvent | None = None) -> httpx.AsyncClient:
    app = Starlette(routes=receiver_routes(store, settings, on_event))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gist-mcp.test")


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def stored_ids(store: WebhookStore) -> list[str]:
    events, _ = await store.list(limit=1000)
    return [event.id for event in events]


async def test_a_delivery_to_the_right_token_is_stored_and_acknowledged(
    store: WebhookStore, settings: WebhookSettings
) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, json=EVENT)

    assert response.status_code == 200
    assert response.json() == {"id": "evt_1", "topic": "contact.tagged", "duplicate": False}
    stored = await store.get("evt_1")
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
        async with WebhookStore.from_settings(settings) as store, client_for(store, settings) as client:
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


async def test_a_body_of_exactly_one_mebibyte_is_accepted(store: WebhookStore, settings: WebhookSettings) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, content=padded_event(MAX_BODY_BYTES))

    assert response.status_code == 200
    assert await stored_ids(store) == ["big"]


async def test_a_larger_body_is_refused_whether_its_length_is_declared_or_streamed(
    store: WebhookStore, settings: WebhookSettings
) -> None:
    body = padded_event(MAX_BODY_BYTES + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with client_for(store, settings) as client:
        declared = await client.post(settings.receiver_path, content=body)
        streamed = await client.post(settings.receiver_path, content=chunks())

    assert streamed.request.headers.get("content-length") is None
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert await stored_ids(store) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"id": "e1"',
        b'[{"id": "e1"}]',
        b'"text"',
        b"42",
        b'{"n": NaN}',
        b'{"e": "\xff"}',
        b"[" * 100_000,
    ],
    ids=["empty", "text", "truncated", "array", "string", "number", "nan", "bad-utf8", "too-deep"],
)
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    store: WebhookStore, settings: WebhookSettings, body: bytes
) -> None:
    async with client_for(store, settings) as client:
        response = await client.post(settings.receiver_path, content=body)

    assert response.status_code == 400
    assert await stored_ids(store) == []


async def test_on_event_hears_each_new_event_once_and_its_failure_still_acknowledges(
    store: WebhookStore, settings: WebhookSettings
) -> None:
    heard: list[WebhookEvent] = []

    async def on_event(event: WebhookEvent) -> None:
        heard.append(event)
        raise RuntimeError("subscriber went away")

    async with client_for(store, settings, on_event=on_event) as client:
        responses = [await client.post(settings.receiver_path, json=EVENT) for _ in range(2)]

    assert [response.status_code for response in responses] == [200, 200]
    assert [event.id for event in heard] == ["evt_1"]


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
