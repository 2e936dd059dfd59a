"""The emulator's front door reads a request body however the server delivers it: in several chunks
(recorded and handled whole) or not at all, when the client hangs up first (recorded empty, refused 400).

Driven as raw ASGI, since an HTTP client always sends its body in one piece.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import CANARY_KEY
from starlette.types import Message

from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio


async def post_contacts(emulator: GistEmulator, messages: list[Message]) -> tuple[int, Any]:
    """POST /contacts with `receive` yielding `messages` (then a hang-up); return (status, parsed answer)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/contacts",
        "raw_path": b"/contacts",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"gist.test"), (b"authorization", f"Bearer {CANARY_KEY}".encode())],
        "server": ("gist.test", 80),
        "client": ("127.0.0.1", 5000),
    }
    pending = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await emulator.app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


async def test_a_body_in_chunks_is_recorded_and_handled_whole() -> None:
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    body = json.dumps({"email": "chunks@example.com", "name": "Chunked"}).encode()
    chunks = [body[:10], body[10:25], body[25:]]
    messages: list[Message] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks[:-1]]
    messages.append({"type": "http.request", "body": chunks[-1], "more_body": False})
    status, answer = await post_contacts(emulator, messages)
    assert (status, answer["contact"]["email"], answer["contact"]["name"]) == (200, "chunks@example.com", "Chunked")
    assert emulator.requests[-1].json == {"email": "chunks@example.com", "name": "Chunked"}


async def test_a_client_that_hangs_up_before_its_body_is_recorded_empty_and_refused() -> None:
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    status, answer = await post_contacts(emulator, [])
    assert (status, answer["errors"][0]["message"]) == (400, "the request body must be a JSON object")
    assert emulator.requests[-1].body == b""
