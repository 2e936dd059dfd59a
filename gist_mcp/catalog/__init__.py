"""The catalogue: every Gist operation gist-mcp offers, grouped in toolsets, in README order, declared once each.

`_DECLARED` is the only registry: a new tool is one `Operation` in its toolset's module (and its
toolset's `operations`); a new toolset is one line there. Everything that lists tools or toolsets
derives from it.

The toolset modules (~100 pydantic model classes, ~45 ms of every start) load only when needed: a
server lists its tools from the catalogue's `index()` (toolset names, descriptions, operations' names
and hints), which comes from the generated, fingerprinted `tools.json` while that matches the code, and
from the modules themselves otherwise. A toolset's module loads when one of its tools is first called
or one of its resources is used; `TOOLSETS`, `CATALOG` and `VARIANTS` load them all.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gist_mcp import _snapshot
from gist_mcp.catalog._operation import AnyOperation, Operation, ToolContext
from gist_mcp.catalog._toolset import IdSource, Resource, Toolset
from gist_mcp.errors import GistConfigError, NotFoundError

_DECLARED: tuple[tuple[str, str], ...] = (
    ("contacts", "USERS"),
    ("contacts", "LEADS"),
    ("tags", "TOOLSET"),
    ("segments", "SEGMENTS_TOOLSET"),
    ("segments", "CAMPAIGNS_TOOLSET"),
    ("events", "TOOLSET"),
    ("conversations", "TOOLSET"),
    ("teams", "TOOLSET"),
    ("forms", "TOOLSET"),
    ("subscriptions", "TOOLSET"),
    ("bulk", "TOOLSET"),
    ("webhooks", "TOOLSET"),
    ("raw", "TOOLSET"),
)
"""Every toolset, in README order: the module of this package declaring it and its name there."""
_READ_ONLY_VARIANTS: tuple[tuple[str, str], ...] = (("raw", "READ_ONLY_API_REQUEST"),)
"""Operations that replace their toolset's operation of the same name in read-only mode (a GET-only api_request)."""

if TYPE_CHECKING:
    TOOLSETS: tuple[Toolset, ...]
    CATALOG: tuple[AnyOperation, ...]
    VARIANTS: tuple[AnyOperation, ...]
    TOOLSET_NAMES: tuple[str, ...]
    DEFAULT_TOOLSETS: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class Listed:
    """What listing an operation needs, without its module: names, hint, snapshot key, and where it is declared."""

    name: str
    toolset: str
    key: str
    """`Operation.key`: its tools/list entry in the snapshot."""
    read_only: bool
    module: str
    """The catalogue module declaring it (`contacts`), loaded when it first runs."""


@dataclass(frozen=True, kw_only=True)
class Summary:
    """A toolset as the index knows it: its `Toolset` record's text, and its operations as `Listed` entries."""

    name: str
    description: str
    default: bool
    not_found_hint: str
    operations: tuple[Listed, ...]
    read_only_variants: tuple[Listed, ...]


def _load(module: str) -> Any:
    return importlib.import_module(f"{__name__}.{module}")


def _declared(module: str, attribute: str) -> Any:
    return getattr(_load(module), attribute)


def _entry(op: AnyOperation, module: str) -> dict[str, Any]:
    return {"name": op.name, "key": op.key, "read_only": op.read_only, "module": module}


def index_json() -> list[dict[str, Any]]:
    """The index as the snapshot stores it, built from the modules (every one of them is loaded)."""
    entries: list[dict[str, Any]] = []
    for module, attribute in _DECLARED:
        ts: Toolset = _declared(module, attribute)
        names = {op.name for op in ts.operations}
        variants = [_declared(m, a) for m, a in _READ_ONLY_VARIANTS if m == module]
        entries.append(
            {
                "name": ts.name,
                "description": ts.description,
                "default": ts.default,
                "not_found_hint": ts.not_found_hint,
                "operations": [_entry(op, module) for op in ts.operations],
                "read_only_variants": [_entry(op, module) for op in variants if op.name in names],
            }
        )
    return entries


@functools.cache
def index() -> tuple[Summary, ...]:
    """Every toolset with its operations' names and hints: from the snapshot while it matches the code, else
    from the modules."""
    snapshot = _snapshot.load()
    data: list[dict[str, Any]] = snapshot["catalog"] if snapshot is not None else index_json()
    return tuple(
        Summary(
            **{k: v for k, v in ts.items() if k not in ("operations", "read_only_variants")},
            operations=tuple(Listed(toolset=ts["name"], **op) for op in ts["operations"]),
            read_only_variants=tuple(Listed(toolset=ts["name"], **op) for op in ts["read_only_variants"]),
        )
        for ts in data
    )


@functools.cache
def _toolsets() -> tuple[Toolset, ...]:
    return tuple(_declared(module, attribute) for module, attribute in _DECLARED)


def _toolset_names() -> tuple[str, ...]:
    return tuple(ts.name for ts in index())


def _default_toolsets() -> frozenset[str]:
    return frozenset(ts.name for ts in index() if ts.default)


def __getattr__(name: str) -> Any:
    """The registry's derived constants, computed on first use (see the module docstring)."""
    if name == "TOOLSETS":
        return _toolsets()
    if name == "CATALOG":
        return tuple(op for ts in _toolsets() for op in ts.operations)
    if name == "VARIANTS":
        return tuple(_declared(module, attribute) for module, attribute in _READ_ONLY_VARIANTS)
    if name == "TOOLSET_NAMES":
        return _toolset_names()
    if name == "DEFAULT_TOOLSETS":
        return _default_toolsets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_RESOLVED: dict[str, AnyOperation] = {}
"""Operations by key, as modules load (and `listing` records operations declared outside the index)."""


def listing(op: AnyOperation) -> Listed:
    """The `Listed` entry of an operation outside the index (dynamic toolsets' own tools); `operation` finds it."""
    _RESOLVED[op.key] = op
    return Listed(toolset=op.toolset, **_entry(op, module=""))


def operation(entry: Listed) -> AnyOperation:
    """The operation behind an index entry, loading its module on first use."""
    found = _RESOLVED.get(entry.key)
    if found is None:
        for module, attribute in (*_DECLARED, *_READ_ONLY_VARIANTS):
            if module == entry.module:
                declared = _declared(module, attribute)
                for op in declared.operations if isinstance(declared, Toolset) else (declared,):
                    _RESOLVED[op.key] = op
        found = _RESOLVED[entry.key]  # a KeyError names a bug: the index comes from these modules
    return found


def toolset(name: str) -> Toolset:
    """The toolset called `name`, its module loaded (a KeyError names a bug: names come from TOOLSET_NAMES)."""
    return {ts.name: ts for ts in _toolsets()}[name]


def owner(resource: Resource) -> Toolset:
    """The toolset that declares `resource` (its module is loaded: the resource came from it)."""
    loaded = (_declared(module, attribute) for module, attribute in _DECLARED if f"{__name__}.{module}" in sys.modules)
    return next(ts for ts in loaded if any(r.uri == resource.uri for r in ts.resources))


@functools.cache
def not_found_hint(name: str) -> str:
    """The next step after a 404 in toolset `name` (a generic one for tools outside every toolset)."""
    return next((ts.not_found_hint for ts in index() if ts.name == name), NotFoundError.default_hint)


def choose_toolsets(value: str | None, variable: str = "GIST_TOOLSETS") -> frozenset[str]:
    """Comma-separated toolset names, `default` or `all`; unset or empty means `default`.

    Raises:
        GistConfigError: an unknown name, naming `variable` and every valid name.
    """
    toolset_names = _toolset_names()
    names = {part.strip().lower() for part in (value or "").split(",") if part.strip()} or {"default"}
    chosen: set[str] = set()
    for name in names:
        if name == "all":
            chosen |= set(toolset_names)
        elif name == "default":
            chosen |= _default_toolsets()
    unknown = sorted(names - {"all", "default", *toolset_names})
    if unknown:
        raise GistConfigError(
            f"{variable}: unknown toolset(s) {', '.join(unknown)}. Valid: all, default, {', '.join(toolset_names)}."
        )
    return frozenset(chosen | (names & set(toolset_names)))


def listed(toolsets: Iterable[str], read_only: bool) -> tuple[Listed, ...]:
    """The operations a server with these toolsets and this mode registers, in catalogue order, unloaded.

    Read-only mode keeps only operations whose readOnlyHint is true, and offers a read-only variant
    (the GET-only `api_request`) in place of its toolset's operation of the same name.
    """
    wanted = set(toolsets)
    chosen: list[Listed] = []
    for ts in index():
        if ts.name not in wanted:
            continue
        variants = {entry.name: entry for entry in ts.read_only_variants} if read_only else {}
        for entry in ts.operations:
            entry = variants.get(entry.name, entry)
            if not read_only or entry.read_only:
                chosen.append(entry)
    return tuple(chosen)


def find(name: str) -> Listed | None:
    """The index entry of the catalogue operation called `name` (never a read-only variant), or None."""
    return next((entry for ts in index() for entry in ts.operations if entry.name == name), None)


def select(toolsets: Iterable[str], read_only: bool) -> tuple[AnyOperation, ...]:
    """The operations of `listed(toolsets, read_only)`, their modules loaded."""
    return tuple(operation(entry) for entry in listed(toolsets, read_only))


def resources_of(toolsets: Iterable[str]) -> tuple[Resource, ...]:
    """The resources (and templates) of these toolsets, in catalogue order (their modules loaded)."""
    wanted = set(toolsets)
    chosen: list[Resource] = []
    for (module, attribute), summary in zip(_DECLARED, index(), strict=True):
        if summary.name in wanted:
            chosen += _declared(module, attribute).resources
    return tuple(chosen)


__all__ = [
    "CATALOG",
    "DEFAULT_TOOLSETS",
    "TOOLSETS",
    "TOOLSET_NAMES",
    "VARIANTS",
    "AnyOperation",
    "IdSource",
    "Listed",
    "Operation",
    "Resource",
    "Summary",
    "ToolContext",
    "Toolset",
    "choose_toolsets",
    "find",
    "index",
    "index_json",
    "listed",
    "listing",
    "not_found_hint",
    "operation",
    "owner",
    "resources_of",
    "select",
    "toolset",
]
