"""The `Operation` record: one declaration per tool, from which everything else is derived.

The MCP tool (name, title, description, hints, input and output schema), the README table, the
manifest's tool list and the catalogue-wide tests all read these records; nothing repeats them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from gist_mcp._http import GistClient
from gist_mcp.errors import GistUsageError

if TYPE_CHECKING:
    from gist_mcp.catalog.dynamic import ToolsetSwitch
    from gist_mcp.webhooks import WebhookStore

MAX_LISTED_PROBLEMS = 20
"""Validation problems named in one error (10,000 bad import records must not make a 500 kB message)."""

Progress = Callable[[float, float | None, str | None], Awaitable[None]]


async def _no_progress(progress: float, total: float | None, message: str | None) -> None:
    """Progress sink for calls whose client asked for no progress notifications."""


@dataclass(frozen=True)
class ToolContext:
    """What an operation's `run` receives besides its validated input."""

    gist: GistClient
    progress: Progress = _no_progress
    webhooks: WebhookStore | None = None
    """The received-webhooks store, when the webhooks toolset is on."""
    toolsets: ToolsetSwitch | None = None
    """The server's toolset switch, with --dynamic-toolsets."""


InT = TypeVar("InT", bound=BaseModel)
"""An operation's input model."""
OutT = TypeVar("OutT", bound=BaseModel)
"""An operation's output model."""


@dataclass(frozen=True, kw_only=True)
class Operation(Generic[InT, OutT]):
    """One Gist operation offered as an MCP tool, taking an `InT` and answering an `OutT`.

    Collections of different operations (a toolset, the catalogue) hold `Operation[Any, Any]`.
    """

    name: str
    """The MCP tool name (CONTRACT.md fixes these)."""
    title: str
    toolset: str
    """Which `--toolsets` group registers it."""
    description: str
    """LLM-facing: what it does, where ids come from, what Gist creates implicitly."""
    gist_call: str
    """The Gist request(s) it makes, e.g. `GET /contacts/{id}`: for the README and for reviewers."""
    input: type[InT]
    output: type[OutT]
    run: Callable[[ToolContext, InT], Awaitable[OutT]]
    read_only: bool
    destructive: bool
    idempotent: bool
    deadline: Callable[[InT], float] | None = None
    """Seconds a call may take when its own input decides (a wait); otherwise the server's deadline."""
    confirm: Callable[[InT], str | None] | None = None
    """For destructive calls: the question to put to the user for these (validated) arguments, saying exactly
    what will change, or None when this call needs no confirmation (see gist_mcp/confirm.py)."""

    @property
    def key(self) -> str:
        """Its entry in the tools.json snapshot (the read-only api_request shares its name, not its input)."""
        return f"{self.name}:{self.input.__name__}"

    def parse(self, arguments: Mapping[str, Any]) -> InT:
        """`arguments` validated by the input model.

        Raises:
            GistUsageError: one line per problem, each naming the argument, without pydantic's URLs.
        """
        try:
            return self.input.model_validate(arguments)
        except ValidationError as error:
            raise GistUsageError(describe_validation_error(self, error)) from None


AnyOperation: TypeAlias = Operation[Any, Any]
"""An operation of any input and output: what toolsets, the catalogue and the server hold."""


def describe_validation_error(op: AnyOperation, error: ValidationError) -> str:
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
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            # pydantic's text names the Python class ("instance of ContactRef"); the model needs the keys.
            keys = ", ".join(_fields_at(op.input, loc))
            problems.append(f"{where}: expected an object" + (f" with the keys {keys}" if keys else ""))
        else:
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    if len(problems) > MAX_LISTED_PROBLEMS:
        problems[MAX_LISTED_PROBLEMS:] = [f"and {len(problems) - MAX_LISTED_PROBLEMS} more"]
    return f"Invalid arguments for {op.name}: " + "; ".join(problems)


def _fields_at(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str]:
    """The field names of the (nested) model at `path` inside `model`, for "allowed:" hints."""
    current: type[BaseModel] | None = model
    for part in path:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The BaseModel inside `X | None` or `list[X]` (or the annotation itself)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for arg in get_args(annotation) if (m := _model_in(arg)) is not None), None)
