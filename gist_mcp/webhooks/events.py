"""What a received webhook is: the checks a payload passes at receipt, and its id and topic.

Gist documents neither the envelope nor the topic names of workspace webhooks, so any JSON object is an
event, provided it is one that every later answer can carry (`accept`):

- at most `MAX_EVENT_BYTES` once stored, and nested at most `MAX_NESTING_DEPTH` deep;
- numbers are finite (`1e400` parses as infinity, which JSON cannot express);
- lone UTF-16 surrogates (a `"\\ud800"` escape) in keys and strings become U+FFFD, so the stored text
  is always encodable as UTF-8; valid text, astral characters included, is kept as it is.

Its id is the SHA-256 of the payload re-serialised canonically (sorted keys, no spaces, ASCII): an
exact redelivery gets the same id, which is what makes storing idempotent, while `{"id": 5}` and
`{"id": "5"}`, or the same `id` under another topic, are different events. A top-level `id` alone is
no delivery identity: it may be the contact's id (gist-api.md, evidence pass 3), and anyone holding the
URL could otherwise pre-empt a real event. The hex digest is stable and URL-safe, as
`gist://webhook-events/{id}` needs. Its topic is the first of `topic`, `event`, `type`, `event_name`
that is a non-empty string, else `unknown`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gist_mcp._json import JSON, JSONObject

MAX_EVENT_BYTES = 64 * 1024
"""Largest stored event (UTF-8 bytes of its compact JSON, and of the body received). Gist's contact
payloads are a few KiB (a contact with its tags and properties), so this leaves ten times that, while
an attacker holding the URL fills at most 64 KiB per request and a listing page stays small."""
MAX_NESTING_DEPTH = 32
"""Deepest nesting of objects and arrays (the payload itself is depth 1). Gist's payloads nest about
four deep; far below the 255 levels past which serialising a listing that wraps the payload fails."""
TOPIC_KEYS = ("topic", "event", "type", "event_name")
UNKNOWN_TOPIC = "unknown"
_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadRefused(ValueError):
    """A payload the store will not keep; `status` is the HTTP answer the receiver gives (413 or 400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Accepted:
    """A payload that passed every check, in the form the store keeps."""

    id: str
    topic: str
    payload: JSONObject
    text: str
    """The compact JSON stored (UTF-8, at most MAX_EVENT_BYTES bytes)."""
    size: int
    """len(text) in UTF-8 bytes: what the store's and the listings' byte budgets count."""


def accept(payload: JSONObject) -> Accepted:
    """Check and clean `payload` (see the module docstring); raises PayloadRefused saying why not."""
    if _depth(payload) > MAX_NESTING_DEPTH:
        raise PayloadRefused(400, f"body nested deeper than {MAX_NESTING_DEPTH} levels")
    clean = _clean_object(payload)
    text = json.dumps(clean, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    if size > MAX_EVENT_BYTES:
        raise PayloadRefused(413, f"event larger than {MAX_EVENT_BYTES // 1024} KiB")
    return Accepted(id=event_id(clean), topic=event_topic(clean), payload=clean, text=text, size=size)


def _depth(value: JSON) -> int:
    """How deep objects and arrays nest in `value` (a scalar is 0), walked without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            if level <= MAX_NESTING_DEPTH:  # deeper is refused anyway: stop walking there
                pending.extend((child, level + 1) for child in children)
    return deepest


def _clean_object(value: JSONObject) -> JSONObject:
    """`_clean` of an object: its keys and values."""
    return {_SURROGATE.sub("\ufffd", key): _clean(item) for key, item in value.items()}


def _clean(value: JSON) -> JSON:
    """`value` with lone surrogates replaced; PayloadRefused for a non-finite number.

    Recursive, which is safe: `accept` checks the depth first.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return _clean_object(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadRefused(400, "body holds a number JSON cannot express (NaN, Infinity, or beyond 1.8e308)")
    return value


def event_id(payload: dict[str, Any]) -> str:
    """The delivery's identity: SHA-256 (hex) of the payload with sorted keys, no spaces, ASCII only."""
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
