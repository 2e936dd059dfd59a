"""Store records to API JSON, in the shapes of gist-api.md §6.

The contact quirks are deliberate (§6.1, §10): ``unsubscribed_from_emails`` is the STRING
``"true"``/``"false"``, ``user_id`` and ``phone`` are strings (``user_id`` null for a lead),
``full_name`` repeats ``name``, timestamps are integer Unix seconds and ``signed_up_at`` is null
when unset (an emulator choice; the §6.1 example shows ``0`` for one user).
"""

from __future__ import annotations

from typing import Any

from .state import NAME_FIELDS, Record, Store

Json = dict[str, Any]


def contact(store: Store, record: Record) -> Json:
    """A contact as ``GET /contacts/{id}`` returns it."""
    return {
        "type": record["type"],
        "id": record["id"],
        "name": record["name"],
        "full_name": record["name"],
        **{key: record[key] for key in NAME_FIELDS},
        "email": record["email"],
        "user_id": record["user_id"],
        "phone": record["phone"],
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
        "last_seen_at": record["last_seen_at"],
        "signed_up_at": record["signed_up_at"],
        "last_seen_ip": record["last_seen_ip"],
        "last_seen_user_agent": record["last_seen_user_agent"],
        "location_data": record["location_data"],
        "custom_properties": dict(record["custom_properties"]),
        "tags": [tag(store.tags[tag_id]) for tag_id in record["tag_ids"]],
        "segments": [segment(s) for s in store.segments_of(record)],
        "unsubscribed_from_emails": "true" if record["unsubscribed_from_emails"] else "false",
    }


def tag(record: Record) -> Json:
    """A tag: ``{id, name}`` (§6.2)."""
    return {"id": record["id"], "name": record["name"]}


def segment(record: Record, include_count: bool = False) -> Json:
    """A segment (§6.3), with its live member ``count`` when `include_count`."""
    data = {key: record[key] for key in ("id", "name", "created_at", "updated_at")}
    if include_count:
        data["count"] = len(record["contact_ids"])
    return data


CAMPAIGN_FIELDS = (
    "id",
    "name",
    "status",
    "href",
    "email_count",
    "active_subscriber_count",
    "unsubscribed_subscriber_count",
    "email_open_rate",
    "email_click_rate",
    "created_at",
    "updated_at",
)
"""The campaign fields of Airbyte's auto-imported schema (§6.4); the rates are strings."""


def campaign(record: Record) -> Json:
    """A campaign (§6.4)."""
    return {key: record[key] for key in CAMPAIGN_FIELDS}


def event(record: Record) -> Json:
    """A tracked event (§6.5; the field set is the emulator's reading of it)."""
    return {key: record[key] for key in ("id", "name", "contact_id", "email", "user_id", "properties", "occurred_at")}
