"""Webhook payloads for the sandbox: what `GistEmulator.webhook_sink` receives after each write.

Gist has no webhook API and its machine topic names and envelope are unknown (gist-api.md §9, §12.7),
so this shape is INVENTED, following the §9 emulator proposal. It keeps the one thing a real receiver
(WP Fusion) relies on, a top-level ``contact``::

    {"id": "<uuid4>", "topic": "contact.tagged", "created_at": <unix>, "workspace_id": "sandbox",
     "contact": <contact as the API serializes it>,
     "tag": {"id", "name"},       # contact.tagged / contact.untagged only
     "event": <event>,            # event.performed only
     "conversation": <conversation as the API serializes it>,  # conversation.* only
     "message": <message>}        # conversation.teammate_replied only

For conversation topics ``contact`` is the conversation's contact.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol, get_args

logger = logging.getLogger("gist_mcp.emulator")

Payload = dict[str, Any]
WebhookSink = Callable[[Payload], Awaitable[None]]

Topic = Literal[
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.tagged",
    "contact.untagged",
    "event.performed",
    "conversation.started",
    "conversation.teammate_replied",
    "conversation.opened",
    "conversation.closed",
    "conversation.assigned",
]
TOPICS: tuple[Topic, ...] = get_args(Topic)
WORKSPACE_ID = "sandbox"


class Notify(Protocol):
    """How route handlers report a write: one call per payload (see `build_payload` for the arguments)."""

    async def __call__(self, topic: Topic, contact: dict[str, Any], **parts: Payload | None) -> None: ...


def build_payload(topic: Topic, contact: dict[str, Any], created_at: int, **parts: Payload | None) -> Payload:
    """One webhook payload; `parts` (``tag``, ``event``, ``conversation``, ``message``) are added when not None."""
    payload: Payload = {
        "id": str(uuid.uuid4()),
        "topic": topic,
        "created_at": created_at,
        "workspace_id": WORKSPACE_ID,
        "contact": contact,
    }
    payload.update({key: part for key, part in parts.items() if part is not None})
    return payload


async def deliver(sink: WebhookSink | None, payload: Payload) -> None:
    """Await `sink(payload)`; a failing sink is logged and never breaks the API answer."""
    if sink is None:
        return
    try:
        await sink(payload)
    except Exception:
        logger.exception("webhook sink failed on %s %s", payload["topic"], payload["id"])
