"""Gist's eleven OAuth scopes (gist-api.md §2.2), which toolsets need which, and which a request needs.

Hosted mode asks Gist's consent for the scopes of the toolsets the server offers (read scopes only in
read-only mode; every toolset's with --dynamic-toolsets, since any may be switched on later). No scope
is known for campaigns, segments, forms, subscription types or webhooks, so those ask for none.
When Gist answers 403, `scope_for` names the scope the request needed, so the error can say which one
the Gist app must be granted.
"""

from __future__ import annotations

from collections.abc import Iterable

GIST_SCOPES = (
    "read_contact",
    "write_contact",
    "read_bulk_contacts",
    "write_bulk_contacts",
    "read_conversations",
    "write_conversations",
    "read_events",
    "read_tags",
    "write_tags",
    "read_teams",
    "read_teammates",
)
"""Every scope Gist's developer hub offers (gist-api.md §2.2, evidence pass 3)."""

_READ = tuple(scope for scope in GIST_SCOPES if scope.startswith("read_"))
_WRITE = tuple(scope for scope in GIST_SCOPES if scope.startswith("write_"))

TOOLSET_SCOPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "users": (("read_contact", "read_bulk_contacts"), ("write_contact",)),
    "leads": (("read_contact", "read_bulk_contacts"), ("write_contact",)),
    "tags": (("read_tags",), ("write_tags",)),
    "events": (("read_events",), ()),
    "conversations": (("read_conversations",), ("write_conversations",)),
    "teams": (("read_teams", "read_teammates"), ()),
    "bulk": (("read_bulk_contacts",), ("write_bulk_contacts",)),
    "raw": (_READ, _WRITE),
}
"""(read scopes, write scopes) per toolset; `raw` (api_request) can reach every endpoint."""

_NOUNS = {
    "contacts": "contact",
    "tags": "tags",
    "conversations": "conversations",
    "events": "events",
    "teams": "teams",
    "teammates": "teammates",
}
"""First path segment -> scope noun; a listing of contacts (`GET contacts`) is `read_bulk_contacts`."""


def scopes_for(toolsets: Iterable[str], *, read_only: bool) -> list[str]:
    """The scopes to ask Gist for, in Gist's order."""
    wanted: set[str] = set()
    for name in toolsets:
        read, write = TOOLSET_SCOPES.get(name, ((), ()))
        wanted.update(read if read_only else (*read, *write))
    return [scope for scope in GIST_SCOPES if scope in wanted]


def scope_for(method: str, path: str) -> str | None:
    """The scope a Gist request needs, if one is known (`GET contacts/7` -> read_contact)."""
    parts = path.split("?")[0].strip("/").split("/")
    noun = _NOUNS.get(parts[0])
    if noun is None:
        return None
    verb = "read" if method.upper() in ("GET", "HEAD") else "write"
    if noun == "contact" and verb == "read" and len(parts) == 1:
        noun = "bulk_contacts"
    scope = f"{verb}_{noun}"
    return scope if scope in GIST_SCOPES else None
