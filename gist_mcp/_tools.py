"""Turns catalogue operations into MCP tools, and runs them: the one error boundary.

Every tool call goes through `call_operation`: arguments are validated against the operation's
input model (errors name the argument), the operation runs under the call's deadline, and any
failure becomes an `isError` result whose text says what happened and what to do next. No
traceback and no secret ever reaches the caller.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, ValidationError

from gist_mcp._http import deadline_scope
from gist_mcp._schema import input_schema, output_schema
from gist_mcp.catalog import Operation, ToolContext, bulk, forms, subscriptions
from gist_mcp.errors import GistDeadlineError, GistError, GistUsageError, NotFoundError

logger = logging.getLogger("gist_mcp.tools")
NOT_FOUND_HINTS = {
    "users": "Find the user with list_users, or get_user by email or user_id.",
    "leads": "Find the lead with list_leads, or get_lead by email.",
    "tags": "Find the tag's id with list_tags.",
    "segments": "Find the segment's id with list_segments.",
    "campaigns": "Find the campaign's id with list_campaigns.",
    "events": "Check the contact with get_user or get_lead (by id, user_id or email).",
    "forms": forms.NOT_FOUND_HINT,
    "subscriptions": subscriptions.NOT_FOUND_HINT,
    "bulk": bulk.NOT_FOUND_HINT,
    "raw": "Check the path and the ids in it against Gist's API reference.",
}
"""The next step after a 404, by toolset, where the failing code did not give a more precise one."""
MAX_LISTED_PROBLEMS = 20
"""Validation problems named in one error (10,000 bad import records must not make a 500 kB message)."""


def mcp_tool(op: Operation) -> MCPTool:
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


SNAPSHOT = Path(__file__).with_name("tools.json")
"""Every operation's tools/list entry, generated from the catalogue by `python -m gist_mcp._render --write`
(a test fails when it is stale): building 24 schemas with pydantic costs ~40 ms of every start."""


def snapshot_key(op: Operation) -> str:
    """The snapshot key of an operation (the read-only api_request shares its name, not its input)."""
    return f"{op.name}:{op.input.__name__}"


def tool_snapshot(operations: Iterable[Operation]) -> dict[str, Any]:
    """The tools/list entry of each operation, as JSON: what SNAPSHOT holds."""
    return {
        snapshot_key(op): mcp_tool(op).model_dump(mode="json", by_alias=True, exclude_none=True) for op in operations
    }


@functools.cache
def _snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.exists() else {}


def advertised_tools(operations: Iterable[Operation]) -> list[MCPTool]:
    """The tools/list entries of `operations`, from the snapshot (generated on the spot when it lacks one)."""
    snapshot = _snapshot()
    return [
        MCPTool.model_validate(snapshot[key]) if (key := snapshot_key(op)) in snapshot else mcp_tool(op)
        for op in operations
    ]


def describe_validation_error(op: Operation, error: ValidationError) -> str:
    """One line per problem, each naming the argument (dotted for nested ones), without pydantic's URLs."""
    problems: list[str] = []
    for item in error.errors(include_url=False, include_input=False):
        loc = item["loc"]
        where = ".".join(str(part) for part in loc) or "arguments"
        kind = item["type"]
        if kind == "extra_forbidden":
            allowed = ", ".join(_fields_at(op.input, loc[:-1]))
            noun = "argument" if len(loc) == 1 else "key"
            problems.append(f"{where}: unknown {noun} (allowed: {allowed})")
        elif kind == "missing":
            problems.append(f"{where}: required")
        else:
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    if len(problems) > MAX_LISTED_PROBLEMS:
        problems[MAX_LISTED_PROBLEMS:] = [f"and {len(problems) - MAX_LISTED_PROBLEMS} more"]
    return f"Invalid arguments for {op.name}: " + "; ".join(problems)


def _fields_at(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str]:
    """The field names of the (nested) model at `path` inside `model`, for "allowed:" hints."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside `X | None` or `list[X]` (or the annotation itself)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for arg in get_args(annotation) if (m := _model_in(arg)) is not None), None)


def compact_json(data: Any) -> str:
    """JSON without indentation: the text block mirrors structuredContent at the least token cost."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


async def execute(op: Operation, context: ToolContext, arguments: dict[str, Any]) -> BaseModel:
    """Validate `arguments`, run `op` within the call deadline, and return its result model.

    Raises:
        GistError: bad arguments (GistUsageError), any Gist failure, the deadline, or an internal
            error (logged here with its traceback, which never goes further).
    """
    try:
        args = op.input.model_validate(arguments)
    except ValidationError as error:
        raise GistUsageError(describe_validation_error(op, error)) from None
    deadline = op.deadline(args) if op.deadline else context.gist.settings.deadline
    try:
        with deadline_scope(deadline), anyio.fail_after(deadline + 0.5):
            return await op.run(context, args)
    except TimeoutError:
        raise GistDeadlineError(deadline) from None
    except NotFoundError as error:
        raise _hinted(op, error) from None
    except GistError:
        raise
    except ExceptionGroup as group:
        # Concurrent page fetches fail as a group; the model needs the first Gist failure.
        failures = group.subgroup(GistError)
        if failures is None:
            raise _internal(op) from None
        raise _hinted(op, _first(failures)) from None
    except Exception:
        raise _internal(op) from None


async def call_operation(op: Operation, context: ToolContext, arguments: dict[str, Any]) -> CallToolResult:
    """Run a tool call: its result as structuredContent plus the same compact JSON as text.

    Raises:
        ToolError: for every failure, with the text the model reads (the SDK makes it an isError result).
    """
    try:
        result = await execute(op, context, arguments)
    except GistError as error:
        raise ToolError(str(error)) from None
    data = result.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=compact_json(data))], structured_content=data)


def _internal(op: Operation) -> GistError:
    """Log the exception being handled (traceback to stderr only) and say little to the caller."""
    logger.exception("Internal error in %s", op.name)
    return GistError(
        f"Internal error in gist-mcp while running {op.name}. Try again; if it repeats, report it with the server log."
    )


def _hinted(op: Operation, error: GistError) -> GistError:
    """A 404 gets its toolset's next step, unless the failing code gave a more precise one."""
    if isinstance(error, NotFoundError) and error.hint == error.default_hint:
        error.hint = NOT_FOUND_HINTS.get(op.toolset, error.hint)
    return error


def _first(group: BaseExceptionGroup[GistError]) -> GistError:
    """The first leaf exception of a (possibly nested) exception group."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first
