"""Small ASGI helpers for the emulator's front door: read the body once, replay it, await the hang-up."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive) -> bytes:
    """The whole request body (empty when the client hangs up first)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields `body` once, then defers to the real one (which reports the hang-up)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def wait_for_disconnect(receive: Receive) -> None:
    """Return once the client has gone (call only after the body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def discard(message: Message) -> None:
    """A `send` that drops the response (for faults that replace an answer already computed)."""
