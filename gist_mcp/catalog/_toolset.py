"""The `Toolset` and `Resource` records: how operations are grouped, switched on and offered as resources.

A toolset is the unit a user turns on (`--toolsets`, `enable_toolset`): its name, a one-line
description, whether `default` includes it, the next step a 404 suggests, its operations and the
MCP resources read through them. `--toolsets`, the startup error naming valid toolsets, the server
instructions, 404 hints, the README's toolset table, the manifest's toolset text and
`list_toolsets` are all derived from these records; nothing else lists toolsets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from gist_mcp.catalog._operation import AnyOperation, ToolContext

ResourceRead = Callable[[ToolContext, Mapping[str, str]], Awaitable[BaseModel]]
"""Reads a resource: the tool context and the URI template's parameters (strings, as in the URI)."""


def via(op: AnyOperation, **fixed: Any) -> ResourceRead:
    """A resource read that runs `op` with the URI's parameters plus `fixed` arguments.

    The parameters go through the operation's own input model, so `gist://segments/abc` is the same
    clear validation error as `get_segment` with `segment_id: "abc"`.
    """

    async def read(ctx: ToolContext, params: Mapping[str, str]) -> BaseModel:
        return await op.run(ctx, op.parse({**params, **fixed}))

    return read


@dataclass(frozen=True, kw_only=True)
class IdSource:
    """Where a resource template's ids come from: a list operation and the result field holding the items."""

    operation: AnyOperation
    plural: str
    """The list result's item field, e.g. `segments`; items have an `id` and a `name` or `title`."""
    arguments: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """Fixed list arguments, e.g. `include_count: false` where counts cost Gist time."""
    limit: int = 1000
    """How many ids a completion reads at most (Gist pages cost requests)."""
    listed: bool = True
    """Whether resources/list names each item's concrete URI (for hosts' resource pickers)."""
    value: str = "id"
    """The item field a completion offers: `id`, or `name` where the tool takes names (tag_contacts' tag)."""


@dataclass(frozen=True, kw_only=True)
class Resource:
    """An MCP resource (or resource template, when `uri` has `{parameters}`) of a toolset."""

    uri: str
    name: str
    title: str
    description: str
    read: ResourceRead
    ids: IdSource | None = None
    """A template's id source: completions for its one parameter, concrete URIs in resources/list."""
    mime_type: str = "application/json"

    @property
    def is_template(self) -> bool:
        return "{" in self.uri


@dataclass(frozen=True, kw_only=True)
class Toolset:
    """A group of operations (and the resources read through them) that users switch on together."""

    name: str
    description: str
    """One line: what the toolset is for (README, manifest, list_toolsets)."""
    not_found_hint: str
    """The next step after a Gist 404 in one of its tools, where the failing code gave none more precise."""
    operations: tuple[AnyOperation, ...]
    resources: tuple[Resource, ...] = ()
    default: bool = True
    """Whether `default` (an unset GIST_TOOLSETS) includes it."""

    def __post_init__(self) -> None:
        strays = [op.name for op in self.operations if op.toolset != self.name]
        if strays:
            raise ValueError(f"operations {strays} do not name toolset {self.name!r}")
