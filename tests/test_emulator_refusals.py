"""The emulator refuses malformed inbox requests as Gist does: a status and one error naming the field.

Each row is a whole expectation (status, code, message), so a changed refusal shows in review.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import refusal

pytestmark = pytest.mark.anyio

INVALID, MISSING = "parameter_invalid", "missing_parameter"
C = "/conversations/9001"
"""A seeded conversation."""

REFUSALS: list[tuple[str, str, Any, tuple[int, str, str]]] = [
    (
        "POST",
        "/conversations",
        {"from": {}, "body": "hi"},
        (400, INVALID, "from must have exactly one of id, user_id or email"),
    ),
    (
        "POST",
        "/conversations",
        {"from": {"id": 1, "email": "a@b.c"}},
        (400, INVALID, "from must have exactly one of id, user_id or email"),
    ),
    ("PATCH", C, {"state": ""}, (400, MISSING, "state must not be empty")),
    (
        "PATCH",
        C,
        {"state": "closed"},
        (400, MISSING, "teammate_id is required with state (the teammate who changes it)"),
    ),
    (
        "PATCH",
        C,
        {"state": "closed", "teammate_id": 501, "title": "x"},
        (400, INVALID, "send title/custom_properties or state with teammate_id, in separate requests"),
    ),
    ("PATCH", C, {"teammate_id": 501}, (400, INVALID, "teammate_id goes with state only")),
    ("PATCH", C, {}, (400, MISSING, "nothing to update: send title, custom_properties, or state with teammate_id")),
    ("PATCH", f"{C}/assign", {"teammate_id": 501}, (400, MISSING, "assignee_id is required (null unassigns)")),
    (
        "PATCH",
        f"{C}/assign",
        {"teammate_id": 501, "assignee_id": 502},
        (400, MISSING, "assignee_type (teammate or team) is required with assignee_id"),
    ),
    ("PATCH", f"{C}/priority", {"teammate_id": 501}, (400, MISSING, "priority is required")),
    (
        "PATCH",
        f"{C}/priority",
        {"teammate_id": 501, "priority": "urgent"},
        (
            400,
            INVALID,
            "priority must be one of True, False, priority, not_priority, prioritized, not_prioritized, high, normal, "
            "got 'urgent'",
        ),
    ),
    (
        "POST",
        f"{C}/tags",
        {"message_id": 1, "tags": 5},
        (400, INVALID, "tags must be a tag name or a list of tag names, got 5"),
    ),
    (
        "POST",
        f"{C}/tags",
        {"message_id": 1, "tags": [""]},
        (400, INVALID, "tags must be a tag name or a list of tag names, got ['']"),
    ),
    (
        "POST",
        f"{C}/messages",
        {"message_type": "reply", "from": {"type": "user"}, "body": "hi"},
        (400, INVALID, "from.type must be 'teammate', got 'user'"),
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), REFUSALS)
async def test_a_malformed_inbox_request_is_refused_naming_the_field(
    gist: httpx.AsyncClient, method: str, path: str, body: Any, expected: tuple[int, str, str]
) -> None:
    assert refusal(await gist.request(method, path, json=body)) == expected
