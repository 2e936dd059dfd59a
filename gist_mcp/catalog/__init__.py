"""The catalogue: every Gist operation gist-mcp offers, grouped in toolsets, in README order, declared once each.

`TOOLSETS` is the only registry: a new tool is one `Operation` in its toolset's module (and its
toolset's `operations`); everything that lists tools or toolsets derives from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from gist_mcp.catalog import (
    bulk,
    contacts,
    conversations,
    events,
    forms,
    raw,
    segments,
    subscriptions,
    tags,
    teams,
    webhooks,
)
from gist_mcp.catalog._operation import AnyOperation, Operation, ToolContext
from gist_mcp.catalog._toolset import IdSource, Resource, Toolset
from gist_mcp.errors import GistConfigError, NotFoundError

TOOLSETS: tuple[Toolset, ...] = (
    contacts.USERS,
    contacts.LEADS,
    tags.TOOLSET,
    segments.SEGMENTS_TOOLSET,
    segments.CAMPAIGNS_TOOLSET,
    events.TOOLSET,
    conversations.TOOLSET,
    teams.TOOLSET,
    forms.TOOLSET,
    subscriptions.TOOLSET,
    bulk.TOOLSET,
    webhooks.TOOLSET,
    raw.TOOLSET,
)
TOOLSET_NAMES: tuple[str, ...] = tuple(toolset.name for toolset in TOOLSETS)
DEFAULT_TOOLSETS: frozenset[str] = frozenset(toolset.name for toolset in TOOLSETS if toolset.default)
CATALOG: tuple[AnyOperation, ...] = tuple(op for toolset in TOOLSETS for op in toolset.operations)
VARIANTS: tuple[AnyOperation, ...] = (raw.READ_ONLY_API_REQUEST,)
"""Operations that replace a CATALOG entry in some mode (read-only mode's GET-only api_request)."""

_BY_NAME = {toolset.name: toolset for toolset in TOOLSETS}
_OWNERS = {resource.uri: toolset for toolset in TOOLSETS for resource in toolset.resources}


def toolset(name: str) -> Toolset:
    """The toolset called `name` (a KeyError names a bug: names come from TOOLSET_NAMES)."""
    return _BY_NAME[name]


def owner(resource: Resource) -> Toolset:
    """The toolset that declares `resource`."""
    return _OWNERS[resource.uri]


def not_found_hint(name: str) -> str:
    """The next step after a 404 in toolset `name` (a generic one for tools outside every toolset)."""
    owner = _BY_NAME.get(name)
    return owner.not_found_hint if owner else NotFoundError.default_hint


def choose_toolsets(value: str | None, variable: str = "GIST_TOOLSETS") -> frozenset[str]:
    """Comma-separated toolset names, `default` or `all`; unset or empty means `default`.

    Raises:
        GistConfigError: an unknown name, naming `variable` and every valid name.
    """
    names = {part.strip().lower() for part in (value or "").split(",") if part.strip()} or {"default"}
    chosen: set[str] = set()
    for name in names:
        if name == "all":
            chosen |= set(TOOLSET_NAMES)
        elif name == "default":
            chosen |= DEFAULT_TOOLSETS
    unknown = sorted(names - {"all", "default", *TOOLSET_NAMES})
    if unknown:
        raise GistConfigError(
            f"{variable}: unknown toolset(s) {', '.join(unknown)}. Valid: all, default, {', '.join(TOOLSET_NAMES)}."
        )
    return frozenset(chosen | (names & set(TOOLSET_NAMES)))


def select(toolsets: Iterable[str], read_only: bool) -> tuple[AnyOperation, ...]:
    """The operations a server with these toolsets and this mode registers, in catalogue order.

    Read-only mode keeps only operations whose readOnlyHint is true, and offers `api_request`
    as its GET-only variant.
    """
    wanted = set(toolsets)
    chosen: list[AnyOperation] = []
    for op in CATALOG:
        if op.toolset not in wanted:
            continue
        if read_only and op is raw.API_REQUEST:
            op = raw.READ_ONLY_API_REQUEST
        if read_only and not op.read_only:
            continue
        chosen.append(op)
    return tuple(chosen)


def resources_of(toolsets: Iterable[str]) -> tuple[Resource, ...]:
    """The resources (and templates) of these toolsets, in catalogue order."""
    wanted = set(toolsets)
    return tuple(resource for ts in TOOLSETS if ts.name in wanted for resource in ts.resources)


__all__ = [
    "CATALOG",
    "DEFAULT_TOOLSETS",
    "TOOLSETS",
    "TOOLSET_NAMES",
    "VARIANTS",
    "AnyOperation",
    "IdSource",
    "Operation",
    "Resource",
    "ToolContext",
    "Toolset",
    "choose_toolsets",
    "not_found_hint",
    "owner",
    "resources_of",
    "select",
    "toolset",
]
