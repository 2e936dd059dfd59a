"""Turns catalogue operations into MCP tools, and runs them: the one error boundary.

Every tool call goes through `call_operation`: arguments are validated against the operation's
input model (errors name the argument), the operation runs under the call's deadline, and any
failure becomes an `isError` result whose text says what happened and what to do next. No
traceback and no secret ever reaches the caller.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import BaseModel

from gist_mcp import _snapshot as snapshot_file
from gist_mcp._http import deadline_scope
from gist_mcp._schema import input_schema, output_schema
from gist_mcp.catalog import AnyOperation, Listed, Operation, ToolContext, not_found_hint, operation
from gist_mcp.errors import GistDeadlineError, GistError, NotFoundError

logger = logging.getLogger("gist_mcp.tools")
T = TypeVar("T")


def mcp_tool(op: AnyOperation) -> MCPTool:
    """The tools/list entry of an operation: its lean schemas and all four hints."""
    return MCPTool(
        name=op.name,
        title=op.title,
        description=op.description,
        input_schema=input_schema(op.input),
        output_schema=output_schema(op.output),
        annotations=ToolAnnotations(
            read_only_hint=op.read_only,
            destructive_hint=op.destructive,
            idempotent_hint=op.idempotent,
            open_world_hint=True,
        ),
    )


SNAPSHOT = snapshot_file.PATH
"""Every operation's tools/list entry (and the catalogue's index), generated from the catalogue by
`python -m gist_mcp._render --write`: building every schema with pydantic costs ~40 ms of each start, and
listing from it needs no catalogue module at all. It is served only while its fingerprint matches the code
that shapes it (`gist_mcp._snapshot`); otherwise the entries are built on the spot and a warning says so,
so an edited description is never served stale."""


def tool_snapshot(operations: Iterable[AnyOperation]) -> dict[str, Any]:
    """The snapshot's fingerprint and tools: each operation's tools/list entry as JSON."""
    return {
        "fingerprint": snapshot_file.fingerprint(),
        "tools": {op.key: mcp_tool(op).model_dump(mode="json", by_alias=True, exclude_none=True) for op in operations},
    }


@functools.cache
def _snapshot() -> dict[str, Any]:
    """The snapshot's entries when it matches the code; empty (with a warning) when stale or missing."""
    data = snapshot_file.load(SNAPSHOT)
    return data["tools"] if data is not None else {}


def advertised_tools(operations: Iterable[AnyOperation | Listed]) -> list[MCPTool]:
    """The tools/list entries of `operations` (index entries or operations), from the snapshot when it is
    current, else built now (loading an entry's module)."""
    snapshot = _snapshot()
    return [
        MCPTool.model_validate(snapshot[op.key])
        if op.key in snapshot
        else mcp_tool(op if isinstance(op, Operation) else operation(op))
        for op in operations
    ]


def compact_json(result: BaseModel) -> str:
    """`result` as JSON without indentation: the text block mirrors structuredContent at the least token cost.

    Written by pydantic's serialiser in one pass (the same values as `model_dump(mode="json")`), not by
    `json.dumps` of that dump: about half the serialisation time.
    """
    return result.model_dump_json()


async def execute(op: AnyOperation, context: ToolContext, arguments: dict[str, Any]) -> BaseModel:
    """Validate `arguments`, run `op` within the call deadline, and return its result model.

    Raises:
        GistError: bad arguments (GistUsageError), any Gist failure, the deadline, or an internal
            error (logged here with its traceback, which never goes further).
    """
    args = op.parse(arguments)
    deadline = op.deadline(args) if op.deadline else context.gist.settings.deadline
    return await guarded(op.name, not_found_hint(op.toolset), deadline, lambda: op.run(context, args))


async def guarded(name: str, hint: str, deadline: float, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` (a tool call or resource read named `name`) under `deadline`, inside the error boundary.

    A 404 without a precise hint gets `hint` (its toolset's next step); concurrent failures surface as their first
    Gist error; anything unexpected is logged with its traceback and becomes a short GistError.
    """
    try:
        with deadline_scope(deadline), anyio.fail_after(deadline + 0.5):
            return await work()
    except TimeoutError:
        raise GistDeadlineError(deadline) from None
    except GistError as error:
        raise _with_hint(error, hint) from None
    except ExceptionGroup as group:
        # Concurrent page fetches fail as a group; the model needs the first Gist failure.
        failures = group.subgroup(GistError)
        if failures is None:
            raise _internal(name) from None
        raise _with_hint(_first(failures), hint) from None
    except Exception:
        raise _internal(name) from None


def _with_hint(error: GistError, hint: str) -> GistError:
    """`error`, or for a 404 whose hint is still the generic one, the same 404 with `hint` as its next step."""
    if isinstance(error, NotFoundError) and error.hint == error.default_hint:
        return error.with_hint(hint)
    return error


async def call_operation(op: AnyOperation, context: ToolContext, arguments: dict[str, Any]) -> CallToolResult:
    """Run a tool call: its result as structuredContent plus the same compact JSON as text.

    Raises:
        ToolError: for every failure, with the text the model reads (the SDK makes it an isError result).
    """
    try:
        result = await execute(op, context, arguments)
    except GistError as error:
        raise ToolError(str(error)) from None
    data = result.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=compact_json(result))], structured_content=data)


def _internal(name: str) -> GistError:
    """Log the exception being handled (traceback to stderr only) and say little to the caller."""
    logger.exception("Internal error in %s", name)
    return GistError(
        f"Internal error in gist-mcp while running {name}. Try again; if it repeats, report it with the server log."
    )


def _first(group: BaseExceptionGroup[GistError]) -> GistError:
    """The first leaf exception of a (possibly nested) exception group."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first
