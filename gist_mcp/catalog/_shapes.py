"""Argument and result shapes shared by several operations, and the converters from Gist's JSON.

Inputs are strict (`extra="forbid"`, so a typo is an error naming the argument). Results keep the
fields a person looks at, typed, and read Gist's answers tolerantly: every shape that
gist-api.md marks as uncertain (string booleans, ISO or Unix times, tag objects or names) is accepted.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Self, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from gist_mcp._json import JSON, JSONObject, as_object


class Input(BaseModel):
    """Base of every tool's input model: unknown arguments are errors, and `null` means "not given".

    OpenAI strict mode makes every argument required, so a strict client sends `null` for each one it
    does not mean to set; the field then takes its default, exactly as if the key were absent. A field
    listed in `null_means` keeps an explicit `null` as a value (update_conversation's `assignee: null`
    unassigns), except in a call that sends every argument: that is a strict client's null fill, and
    there `null` is "not given" too.

    Validators are built on a model's first use (`defer_build`), not at import: tools/list comes
    from the schema snapshot, so a start-up never needs them and saves ~12 ms building them all.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, defer_build=True)
    null_means: ClassVar[frozenset[str]] = frozenset()
    """Fields whose explicit `null` is a value, not "not given"."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        arguments = cast(dict[str, Any], data)
        keep: frozenset[str] = frozenset() if cls.model_fields.keys() <= arguments.keys() else cls.null_means
        return {
            key: value
            for key, value in arguments.items()
            if value is not None or key in keep or key not in cls.model_fields
        }


MAX_UNIX_SECONDS = 253_402_300_799
"""9999-12-31T23:59:59Z: times are taken between 1970 and the end of year 9999."""


def _to_unix(value: Any) -> Any:
    """ISO-8601 or Unix seconds (number or digit string) → integer Unix seconds, as Gist expects."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected ISO-8601 or Unix seconds, not a boolean")
    if isinstance(value, int | float):
        seconds = value
    elif isinstance(value, str):
        seconds = _parse_time(value.strip())
    else:
        return value
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_UNIX_SECONDS:
        raise ValueError("must be a time between 1970 and 9999 (ISO-8601 or Unix seconds)")
    return int(seconds)


def _parse_time(text: str) -> int:
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("expected ISO-8601 (e.g. 2026-11-27T09:30:00Z) or Unix seconds") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


Timestamp = Annotated[
    int | None,
    BeforeValidator(_to_unix),
    # One type for every dialect (Gemini takes no `anyOf` of two types); a JSON number is still accepted.
    WithJsonSchema({"type": "string"}),
]
"""An optional time given as ISO-8601 or Unix seconds (advertised as a string); sent to Gist as Unix seconds."""

PropertyValue = bool | int | float | str | None
CustomProperties = Annotated[
    dict[str, PropertyValue] | None,
    Field(description="Name to value: boolean, number or string."),
]
Limit = Annotated[int, Field(ge=1, le=1000, description="Most items to return.")]
Cursor = Annotated[str | None, Field(description="A previous next_cursor, to go on.")]


class _Ref(Input):
    """A reference to one contact by exactly one of its identifier keys."""

    identifier_keys: ClassVar[tuple[str, ...]] = ("id", "user_id", "email")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [key for key in self.identifier_keys if getattr(self, key) is not None]
        if len(given) != 1:
            keys = ", ".join(self.identifier_keys)
            raise ValueError(f"give exactly one of {keys} non-null (got {len(given)}: {', '.join(given) or 'none'})")
        return self

    @property
    def selector(self) -> tuple[str, int | str]:
        """The one identifier given and its value."""
        return next((key, getattr(self, key)) for key in self.identifier_keys if getattr(self, key) is not None)


class ContactRef(_Ref):
    """A contact: exactly one of id (Gist's contact id), user_id (yours) or email; the fields using it say so."""

    id: int | None = None
    user_id: str | None = None
    email: str | None = None


class LeadRef(_Ref):
    """A lead (leads have no user_id): exactly one of id or email."""

    identifier_keys: ClassVar[tuple[str, ...]] = ("id", "email")
    id: int | None = None
    email: str | None = None


ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(value: JSON) -> str | None:
    """Gist time (Unix seconds, ISO string, 0/empty for unset) → ISO-8601 UTC string, or None.

    Whole seconds in range, what Gist sends, take `time.gmtime` (a third of `datetime`'s cost: it runs
    twice per contact of a listing); anything else goes the general way.
    """
    if type(value) is int and 0 < value <= MAX_UNIX_SECONDS:
        return time.strftime(ISO_FORMAT, time.gmtime(value))
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime(ISO_FORMAT)
    if isinstance(value, str) and value.isdigit():
        return iso(int(value))
    return str(value)


def as_bool(value: JSON) -> bool:
    """Gist returns `unsubscribed_from_emails` as the string "true"/"false"."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def as_text(value: JSON) -> str | None:
    """A Gist string field: None for null or the empty string, other values as text."""
    return None if value is None or value == "" else str(value)


def percent(value: JSON) -> str | None:
    """A Gist rate (a percentage as a string such as "61.4", or a number) as text with its unit: "61.4%".

    gist-api.md documents the campaign rates as strings without a unit; the values Gist's app shows
    are percentages. Anything that is not a number is passed on as Gist sent it.
    """
    text = as_text(value)
    if text is None or isinstance(value, bool):
        return text
    try:
        number = float(text.strip().removesuffix("%"))
    except ValueError:
        return text
    return f"{number:g}%" if math.isfinite(number) else text


def gist_id(value: JSON) -> int:
    """The `id` of a Gist object as an integer (0 when Gist sent none).

    Raises:
        ValueError: an id that is no number (an object, a list, a word): the answer is unusable.
    """
    if isinstance(value, dict | list):
        raise ValueError(f"Gist sent an id that is no number ({type(value).__name__})")
    return int(value or 0)


def loose_id(value: JSON) -> int | str | None:
    """An id Gist sends as a number or as a string (events, submissions), kept as sent; anything else as text."""
    return value if value is None or isinstance(value, int | str) else str(value)


def as_int(value: JSON) -> int | None:
    """A Gist number sent as an integer or a digit string; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def id_list(value: JSON) -> list[int]:
    """Ids from a list of ids (numbers or digit strings) or of objects with an `id`."""
    if not isinstance(value, list):
        return []
    found = (as_int(item.get("id") if isinstance(item, dict) else item) for item in value)
    return [item for item in found if item is not None]


def tag_names(value: JSON) -> list[str]:
    """Tags as names, from `[{"id", "name"}]` or plain names."""
    if not isinstance(value, list):
        return []
    return [str(t.get("name")) if isinstance(t, dict) else str(t) for t in value if t]


def unwrap(data: JSON, *keys: str) -> JSONObject:
    """The object inside Gist's envelope (`{"contact": {...}}`), or the body itself when unwrapped."""
    if isinstance(data, dict):
        for key in keys:
            inner = data.get(key)
            if isinstance(inner, dict):
                return inner
            if isinstance(inner, list) and inner and isinstance(inner[0], dict):
                return inner[0]
        return data
    return {}


def _is_none(value: object) -> bool:
    return value is None


def optional(description: str | None = None) -> Any:
    """A result field left out when Gist has no value for it (fields the contract requires stay, as null)."""
    return Field(None, description=description, exclude_if=_is_none)


ContactType = Literal["user", "lead"]


def contact_type(raw: JSONObject) -> ContactType:
    """Gist's `type`, or (when absent) user if it has a user_id, as Gist defines users."""
    kind = raw.get("type")
    if kind in ("user", "lead"):
        return kind
    return "user" if raw.get("user_id") not in (None, "") else "lead"


class ContactSummary(BaseModel):
    """The fields a person scans in a list of contacts."""

    id: int
    type: ContactType
    email: str | None
    user_id: str | None
    name: str | None
    tags: list[str]
    created_at: str | None = optional()
    last_seen_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        return cls(**_summary_fields(raw))


def _summary_fields(raw: JSONObject) -> dict[str, Any]:
    return {
        "id": gist_id(raw.get("id")),
        "type": contact_type(raw),
        "email": as_text(raw.get("email")),
        "user_id": as_text(raw.get("user_id")),
        "name": as_text(raw.get("name") or raw.get("full_name")),
        "tags": tag_names(raw.get("tags")),
        "created_at": iso(raw.get("created_at")),
        "last_seen_at": iso(raw.get("last_seen_at")),
    }


class Contact(ContactSummary):
    """One contact as Gist holds it (the fields a person looks at; nothing invented)."""

    custom_properties: dict[str, Any]
    unsubscribed_from_emails: bool
    segments: list[str]
    phone: str | None = optional()
    first_name: str | None = optional()
    last_name: str | None = optional()
    company_name: str | None = optional()
    job_title: str | None = optional()
    signed_up_at: str | None = optional()
    updated_at: str | None = optional()
    last_seen_ip: str | None = optional()
    location: str | None = optional()
    already_existed: bool | None = optional("Create tools: whether it existed before.")

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        location_data = raw.get("location_data")
        location = as_object(location_data) or {}
        place = ", ".join(str(p) for p in (location.get("city_name"), location.get("country_name")) if p)
        props = raw.get("custom_properties")
        return cls(
            **_summary_fields(raw),
            phone=as_text(raw.get("phone")),
            first_name=as_text(raw.get("first_name")),
            last_name=as_text(raw.get("last_name")),
            company_name=as_text(raw.get("company_name")),
            job_title=as_text(raw.get("job_title")),
            custom_properties=props if isinstance(props, dict) else {},
            unsubscribed_from_emails=as_bool(raw.get("unsubscribed_from_emails")),
            segments=tag_names(raw.get("segments")),
            signed_up_at=iso(raw.get("signed_up_at")),
            updated_at=iso(raw.get("updated_at")),
            last_seen_ip=as_text(raw.get("last_seen_ip")),
            location=place or None,
        )


class Tag(BaseModel):
    """A tag: id and name."""

    id: int
    name: str

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        return cls(id=gist_id(raw.get("id")), name=str(raw.get("name") or ""))


class Segment(BaseModel):
    """A segment (its rules are edited in Gist's app); `count` only when asked for."""

    id: int
    name: str
    count: int | None = optional("Contacts in the segment (when include_count).")
    created_at: str | None = optional()
    updated_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        count = raw.get("count")
        return cls(
            id=gist_id(raw.get("id")),
            name=str(raw.get("name") or ""),
            count=int(count) if isinstance(count, int | float | str) and str(count).isdigit() else None,
            created_at=iso(raw.get("created_at")),
            updated_at=iso(raw.get("updated_at")),
        )


class Campaign(BaseModel):
    """An email campaign with its delivery figures."""

    id: int
    name: str
    status: str | None = optional()
    email_count: int | None = optional()
    active_subscriber_count: int | None = optional()
    unsubscribed_subscriber_count: int | None = optional()
    email_open_rate: str | None = optional('Share of the emails sent that were opened, with its unit: "61.4%".')
    email_click_rate: str | None = optional('Share of the emails sent that were clicked, with its unit: "22.8%".')
    created_at: str | None = optional()
    updated_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        def number(key: str) -> int | None:
            value = raw.get(key)
            return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        return cls(
            id=gist_id(raw.get("id")),
            name=str(raw.get("name") or ""),
            status=as_text(raw.get("status")),
            email_count=number("email_count"),
            active_subscriber_count=number("active_subscriber_count"),
            unsubscribed_subscriber_count=number("unsubscribed_subscriber_count"),
            email_open_rate=percent(raw.get("email_open_rate")),
            email_click_rate=percent(raw.get("email_click_rate")),
            created_at=iso(raw.get("created_at")),
            updated_at=iso(raw.get("updated_at")),
        )


class Event(BaseModel):
    """A tracked event occurrence."""

    id: int | str | None = optional()
    name: str
    contact_id: int | None = optional()
    email: str | None = optional()
    user_id: str | None = optional()
    properties: dict[str, Any]
    occurred_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        props = raw.get("properties")
        contact = raw.get("contact_id") or raw.get("id_of_contact")
        return cls(
            id=loose_id(raw.get("id")),
            name=str(raw.get("name") or raw.get("event_name") or ""),
            contact_id=int(contact) if isinstance(contact, int | str) and str(contact).isdigit() else None,
            email=as_text(raw.get("email")),
            user_id=as_text(raw.get("user_id")),
            properties=props if isinstance(props, dict) else {},
            occurred_at=iso(raw.get("occurred_at") or raw.get("created_at")),
        )


class Deleted(BaseModel):
    """What a delete tool returns."""

    deleted: Literal[True] = True
    id: int
    type: Literal["user", "lead", "tag", "conversation"]
