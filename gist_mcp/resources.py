"""MCP resources from the catalogue's `Resource` records: listing, matching a URI, reading, completing ids.

Each record names how it is read (usually through the operation that serves the matching tool), so
a resource and its tool answer alike and fail alike. `resources/list` names the concrete URI of
every segment and campaign (a host's resource picker can only offer URIs it was given); if Gist
cannot be reached then, the list still has the collection URIs and the failure is logged, so a
picker never breaks on a Gist outage. Nothing here knows the server: callers pass the records and
the tool context.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, Completion
from mcp.types import Resource as MCPResource
from mcp.types import ResourceTemplate as MCPResourceTemplate

from gist_mcp._sdk import is_modern
from gist_mcp._tools import compact_json, execute, guarded
from gist_mcp.catalog import IdSource, Resource, ToolContext, owner
from gist_mcp.errors import GistError, GistUsageError, NotFoundError

logger = logging.getLogger("gist_mcp.resources")
RESOURCE_NOT_FOUND = -32002
"""The JSON-RPC code for a resource that does not exist up to 2025-11-25 ("Error Handling");
2026-07-28 (SEP-2164) standardises on -32602, Invalid Params: see `not_found_code`."""
LISTED_PER_KIND = 200
"""Concrete URIs offered per template in resources/list; the collection resources hold all."""
MAX_COMPLETIONS = 100
"""The protocol's cap on values per completion."""
_PARAMETER = re.compile(r"\{(\w+)\}")


def listed(resources: Iterable[Resource]) -> list[MCPResource]:
    """The fixed (non-template) resources, as resources/list shows them."""
    return [
        MCPResource(uri=r.uri, name=r.name, title=r.title, description=r.description, mime_type=r.mime_type)
        for r in resources
        if not r.is_template
    ]


def templates(resources: Iterable[Resource]) -> list[MCPResourceTemplate]:
    """The resource templates, as resources/templates/list shows them."""
    return [
        MCPResourceTemplate(
            uri_template=r.uri, name=r.name, title=r.title, description=r.description, mime_type=r.mime_type
        )
        for r in resources
        if r.is_template
    ]


def not_found_code(protocol_version: str | None) -> int:
    """The error code for a missing resource in the caller's protocol era."""
    return INVALID_PARAMS if is_modern(protocol_version) else RESOURCE_NOT_FOUND


def match(resources: Iterable[Resource], uri: str, not_found: int) -> tuple[Resource, dict[str, str]]:
    """The resource `uri` names and its template parameters (percent-decoded).

    Raises:
        MCPError: `not_found` (see `not_found_code`) when no resource or template of the enabled toolsets matches.
    """
    for resource in resources:
        if not resource.is_template:
            if resource.uri == uri:
                return resource, {}
            continue
        found = _pattern(resource.uri).fullmatch(uri)
        if found:
            return resource, {name: unquote(value) for name, value in found.groupdict().items()}
    raise MCPError(code=not_found, message=f"Resource not found: {uri}", data={"uri": uri})


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PARAMETER.split(template)
    # split() alternates literal text and parameter names: [text, name, text, name, text].
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)))


async def read(resource: Resource, params: Mapping[str, str], uri: str, ctx: ToolContext, not_found: int) -> str:
    """The resource's content as compact JSON, read within the call deadline and the tools' error boundary.

    Raises:
        MCPError: INVALID_PARAMS for a malformed parameter (e.g. `gist://segments/abc`),
            `not_found` when Gist has no such object, INTERNAL_ERROR-class `-32603` for other
            Gist failures; each message says what happened and what to do, as a tool error would.
    """
    try:
        hint = owner(resource).not_found_hint
        result = await guarded(uri, hint, ctx.gist.settings.deadline, lambda: resource.read(ctx, params))
    except GistUsageError as error:
        raise MCPError(code=INVALID_PARAMS, message=f"{uri}: {error}", data={"uri": uri}) from None
    except NotFoundError as error:
        raise MCPError(code=not_found, message=f"{uri}: {error}", data={"uri": uri}) from None
    except GistError as error:
        raise MCPError(code=-32603, message=f"{uri}: {error}", data={"uri": uri}) from None
    return compact_json(result)


async def concrete(resources: Iterable[Resource], ctx: ToolContext) -> list[MCPResource]:
    """One resource per item of each listed template's id source (segments, campaigns), for pickers."""
    found: list[MCPResource] = []
    for resource in resources:
        source = resource.ids
        if source is None or not source.listed:
            continue
        try:
            items = await _items(ctx, source, min(source.limit, LISTED_PER_KIND))
        except GistError as error:
            logger.warning("resources/list: could not list %s from Gist: %s", source.plural, error)
            continue
        for item in items:
            uri = _PARAMETER.sub(str(item.get("id")), resource.uri)
            title = item.get("name") or item.get("title")
            found.append(
                MCPResource(
                    uri=uri,
                    name=f"{resource.name}-{item.get('id')}",
                    title=str(title) if title else None,
                    mime_type=resource.mime_type,
                )
            )
    return found


async def complete(resource: Resource, ctx: ToolContext, prefix: str) -> Completion:
    """Ids from the template's id source that start with `prefix`; a Gist failure gives no values."""
    if resource.ids is None:
        return Completion(values=[])
    return await complete_ids(resource.ids, ctx, prefix)


async def complete_ids(source: IdSource, ctx: ToolContext, prefix: str) -> Completion:
    """Ids from `source` that start with `prefix` (resource templates, prompt arguments); a Gist failure gives none."""
    try:
        items = await _items(ctx, source, source.limit)
    except GistError as error:
        logger.warning("completion: could not list %s from Gist: %s", source.plural, error)
        return Completion(values=[])
    matches = [value for item in items if (value := str(item.get(source.value))).startswith(prefix)]
    return Completion(values=matches[:MAX_COMPLETIONS], total=len(matches), has_more=len(matches) > MAX_COMPLETIONS)


def parameter(resource: Resource) -> str | None:
    """The one parameter of a template (the one completions fill), or None."""
    names = _PARAMETER.findall(resource.uri)
    return names[0] if len(names) == 1 else None


async def _items(ctx: ToolContext, source: IdSource, limit: int) -> list[dict[str, Any]]:
    result = await execute(source.operation, ctx, {**source.arguments, "limit": limit})
    return result.model_dump(mode="json")[source.plural]
