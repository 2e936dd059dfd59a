"""What a received webhook is: its id and topic, derived from whatever JSON object Gist posted.

Gist documents neither the envelope nor the topic names of workspace webhooks, so any JSON object is an
event. Its id is the first of `id`, `event_id`, `uuid` that is a non-empty string or an integer, else the
SHA-256 of the payload re-serialised canonically (sorted keys, no spaces): a redelivery of the same body
gets the same id, which is what makes storing idempotent. Its topic is the first of `topic`, `event`,
`type`, `event_name` that is a non-empty string, else `unknown`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ID_KEYS = ("id", "event_id", "uuid")
TOPIC_KEYS = ("topic", "event", "type", "event_name")
UNKNOWN_TOPIC = "unknown"


def event_id(payload: dict[str, Any]) -> str:
    """The payload's own event id, or a content hash when it carries none."""
    for key in ID_KEYS:
        value = payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value:
            return value
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_topic(payload: dict[str, Any]) -> str:
    """The payload's topic (Gist's machine names are unknown, so several keys are tried)."""
    for key in TOPIC_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return UNKNOWN_TOPIC


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One stored delivery. `seq` orders events across every process sharing the store."""

    id: str
    topic: str
    received_at: datetime
    payload: dict[str, Any]
    seq: int

    def to_json(self) -> dict[str, Any]:
        """The event as tools and resources show it; `received_at` in ISO-8601 UTC with a `Z`."""
        received = self.received_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"id": self.id, "topic": self.topic, "received_at": received, "payload": self.payload}
