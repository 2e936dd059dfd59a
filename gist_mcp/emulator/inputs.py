"""Parsing of query strings and JSON bodies into checked values, raising the §4 error envelope.

The emulator is strict where gist-api.md leaves room (an emulator default, not a Gist fact): an
unknown body key or a value of the wrong JSON type is a 400 ``parameter_invalid`` naming the field,
so a client that sends a misspelt or mistyped field fails a test instead of being silently ignored.
Query parameters that the emulator does not know are ignored, as web APIs commonly do.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request

from gist_mcp._json import JSON, JSONObject

from .errors import invalid, missing

RefField = Literal["id", "user_id", "email"]
REF_FIELDS: tuple[RefField, ...] = ("id", "user_id", "email")
"""The three ways to name a contact, in the §7.1 matching order (id, then user_id, then email)."""


@dataclass(frozen=True)
class ContactRef:
    """One contact selector: Gist `id`, workspace `user_id` or `email`."""

    field: RefField
    value: int | str

    def __str__(self) -> str:
        return f"{self.field} {self.value}"


def query_int(request: Request, name: str, minimum: int = 0) -> int | None:
    """Integer query parameter `name` (last value wins), or None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise invalid(f"{name} must be at least {minimum}, got {value}")
    return value


def query_bool(request: Request, name: str) -> bool:
    """Boolean query parameter `name`: ``true`` or ``false`` (default false)."""
    raw = request.query_params.get(name, "false")
    if raw not in ("true", "false"):
        raise invalid(f"{name} must be true or false, got {raw!r}")
    return raw == "true"


def query_choice(request: Request, name: str, choices: Collection[str], default: str) -> str:
    """Query parameter `name` restricted to `choices`."""
    raw = request.query_params.get(name, default)
    if raw not in choices:
        raise invalid(f"{name} must be one of {', '.join(sorted(choices))}, got {raw!r}")
    return raw


async def json_object(request: Request, allowed: Collection[str]) -> JSONObject:
    """The request body as a JSON object whose keys are all in `allowed`."""
    try:
        body: JSON = json.loads(await request.body())
    except ValueError:
        raise invalid("the request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    return checked_keys(body, allowed, "the request body")


def checked_keys(obj: JSONObject, allowed: Collection[str], where: str) -> JSONObject:
    """Return `obj` after checking it has no key outside `allowed`."""
    unknown = [key for key in obj if key not in allowed]
    if unknown:
        raise invalid(f"unknown field {unknown[0]!r} in {where}; allowed: {', '.join(allowed)}")
    return obj


def gist_id(value: JSON, name: str) -> int:
    """A Gist object id: a positive integer, or its decimal string (WP Fusion sends ``"179351"``)."""
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid(f"{name} must be a positive integer id, got {value!r}")
    return value


def text(value: JSON, name: str) -> str:
    """A string field."""
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string, got {value!r}")
    return value


def optional_text(value: JSON, name: str) -> str | None:
    """A string field that may be null."""
    return None if value is None else text(value, name)


def stringish(value: JSON, name: str) -> str:
    """A string that clients may send as a number (``user_id``, ``phone``); always returned as a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value, name)


def timestamp(value: JSON, name: str) -> int:
    """Unix seconds as a non-negative integer."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(f"{name} must be a Unix timestamp in seconds, got {value!r}")
    return value


def flag(value: JSON, name: str) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise invalid(f"{name} must be true or false, got {value!r}")
    return value


def json_dict(value: JSON, name: str) -> JSONObject:
    """A JSON object field."""
    if not isinstance(value, dict):
        raise invalid(f"{name} must be an object, got {value!r}")
    return value


def email(value: JSON, name: str = "email") -> str:
    """An email address (anything with an ``@``)."""
    address = text(value, name)
    if "@" not in address:
        raise invalid(f"{name} must be an email address, got {address!r}")
    return address


def ref_value(field: RefField, value: JSON, name: str) -> int | str:
    """Check the value of a contact selector `field`."""
    if field == "id":
        return gist_id(value, name)
    if field == "user_id":
        return stringish(value, name)
    return email(value, name)


def first_ref(source: Mapping[str, JSON], where: str) -> ContactRef:
    """The first selector present in `source`, in §7.1 matching order; 400 when there is none."""
    for field in REF_FIELDS:
        if source.get(field) not in (None, ""):
            return ContactRef(field, ref_value(field, source[field], field))
    raise missing(f"{where} needs one of id, user_id or email")


CONTACT_FIELDS = (
    "id",
    "email",
    "user_id",
    "type",
    "name",
    "full_name",
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "phone",
    "signed_up_at",
    "last_seen_ip",
    "last_seen_user_agent",
    "unsubscribed_from_emails",
    "custom_properties",
    "tags",
    "location_data",
)
"""Body keys of ``POST /contacts`` (§7.1 upsert body; ``full_name`` is the SDK's name for ``name``;
``first_name``, ``last_name``, ``company_name`` and ``job_title`` are posted top-level by a WordPress
integration, §6.1 pass 3)."""


_TEXT_FIELDS = (
    "name",
    "full_name",
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "last_seen_ip",
    "last_seen_user_agent",
)
"""Contact body keys that take a string or null."""


def contact_write(body: JSONObject) -> dict[str, Any]:
    """Check a ``POST /contacts`` body and return its fields normalised, absent fields left out.

    ``user_id`` and ``phone`` become strings, ``signed_up_at: ""`` becomes None (unset, §6.1 pass 2),
    ``full_name`` becomes ``name``, empty ``email``/``user_id`` count as absent.
    """
    fields: dict[str, Any] = {}
    for key, value in body.items():
        if key == "id":
            fields["id"] = gist_id(value, key)
        elif key == "email":
            if value not in (None, ""):
                fields["email"] = email(value)
        elif key == "user_id":
            if value not in (None, ""):
                fields["user_id"] = stringish(value, key)
        elif key == "type":
            if value not in ("user", "lead"):
                raise invalid(f"type must be 'user' or 'lead', got {value!r}")
            fields["type"] = value
        elif key in _TEXT_FIELDS:
            fields["name" if key == "full_name" else key] = optional_text(value, key)
        elif key == "phone":
            fields["phone"] = None if value is None else stringish(value, key)
        elif key == "signed_up_at":
            fields["signed_up_at"] = None if value in (None, "") else timestamp(value, key)
        elif key == "unsubscribed_from_emails":
            fields[key] = flag(value, key)
        elif key in ("custom_properties", "location_data"):
            fields[key] = json_dict(value, key)
        else:  # tags: the only key left by json_object's check
            fields["tags"] = tag_names(value)
    return fields


def tag_names(value: JSON) -> list[str]:
    """The ``tags`` field of a contact write: a list of non-empty tag names."""
    names = [name for name in value if isinstance(name, str) and name] if isinstance(value, list) else []
    if not isinstance(value, list) or len(names) != len(value):
        raise invalid(f"tags must be a list of tag names, got {value!r}")
    return names


@dataclass(frozen=True)
class TagItem:
    """One entry of ``POST /tags`` ``contacts``: which contact, and whether to untag it."""

    ref: ContactRef
    untag: bool


MAX_TAG_CONTACTS = 50
"""Contacts per tag/untag request; more are rejected (§5: larger batches time out on Gist)."""


def tag_items(value: JSON) -> list[TagItem]:
    """Check the ``contacts`` list of ``POST /tags``: objects with exactly one selector, optional ``untag``."""
    if not isinstance(value, list):
        raise invalid(f"contacts must be a list, got {value!r}")
    if len(value) > MAX_TAG_CONTACTS:
        raise invalid(f"at most {MAX_TAG_CONTACTS} contacts per request, got {len(value)}")
    items: list[TagItem] = []
    for index, entry in enumerate(value):
        where = f"contacts[{index}]"
        item = checked_keys(json_dict(entry, where), (*REF_FIELDS, "untag"), where)
        selectors: list[RefField] = [field for field in REF_FIELDS if field in item]
        if len(selectors) != 1:
            raise invalid(f"{where} must have exactly one of id, user_id or email")
        field = selectors[0]
        untag = flag(item.get("untag", False), f"{where}.untag")
        items.append(TagItem(ContactRef(field, ref_value(field, item[field], f"{where}.{field}")), untag))
    return items


TAG_FIELDS = ("id", "name", "contacts")
"""Body keys of ``POST /tags`` (§7.2; the legacy ``users`` array is out of scope)."""


@dataclass(frozen=True)
class TagWrite:
    """A checked ``POST /tags`` body: create (`name`), rename (`id` + `name`), tag/untag (`name` + `items`).

    `id`, `name` and `items` together (Pipedream's body, §7.2 pass 3) tag/untag on the tag with that
    id and give it that name (a rename only if the name differs, as `id` + `name` alone does).
    """

    name: str
    id: int | None = None
    items: list[TagItem] | None = None


def tag_write(body: JSONObject) -> TagWrite:
    """Check a ``POST /tags`` body (keys already limited to ``id``, ``name``, ``contacts``)."""
    if body.get("name") in (None, ""):
        raise missing("name is required")
    name = text(body["name"], "name")
    tag_id = gist_id(body["id"], "id") if "id" in body else None
    items = tag_items(body["contacts"]) if "contacts" in body else None
    return TagWrite(name, tag_id, items)


EVENT_FIELDS = ("event_name", "name", "id", "user_id", "email", "properties", "occurred_at")
"""Body keys of ``POST /events`` (§7.5)."""


@dataclass(frozen=True)
class EventWrite:
    """A checked ``POST /events`` body."""

    name: str
    ref: ContactRef
    properties: dict[str, Any]
    occurred_at: int | None


def event_write(body: JSONObject) -> EventWrite:
    """Check a ``POST /events`` body; ``name`` is accepted for ``event_name`` (§7.5), which wins if both are sent."""
    raw_name = body.get("event_name", body.get("name"))
    if raw_name in (None, ""):
        raise missing("event_name is required")
    name = text(raw_name, "event_name")
    properties = body.get("properties")
    occurred_at = body.get("occurred_at")
    return EventWrite(
        name=name,
        ref=first_ref(body, "an event"),
        properties={} if properties is None else json_dict(properties, "properties"),
        occurred_at=None if occurred_at is None else timestamp(occurred_at, "occurred_at"),
    )
