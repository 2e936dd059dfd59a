"""The type of parsed JSON, and the helpers that walk it without losing the type.

Gist's bodies, webhook payloads and the emulator's requests arrive as `json.loads` output. Typing
them as `JSON` (not `Any`) lets pyright check every `.get` and `isinstance` on the way down; the
helpers here are the one place a value of unknown shape is narrowed to an object or an array.
"""

from __future__ import annotations

from typing import TypeAlias

JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"
"""Any value `json.loads` can return."""

JSONObject: TypeAlias = dict[str, JSON]
"""A JSON object (`{...}`)."""

JSONArray: TypeAlias = list[JSON]
"""A JSON array (`[...]`)."""


def as_object(value: JSON) -> JSONObject | None:
    """`value` if it is a JSON object, else None (a list, a scalar, a missing key)."""
    return value if isinstance(value, dict) else None


def as_array(value: JSON) -> JSONArray | None:
    """`value` if it is a JSON array, else None."""
    return value if isinstance(value, list) else None


def objects_in(value: JSON) -> list[JSONObject]:
    """The objects among the items of `value` when it is an array (Gist lists skip anything else)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
