"""The `Operation` record: one declaration per tool, from which everything else is derived.

The MCP tool (name, title, description, hints, input and output schema), the README table, the
manifest's tool list and the catalogue-wide tests all read these records; nothing repeats them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from gist_mcp._http import GistClient

if TYPE_CHECKING:
    from gist_mcp.webhooks import WebhookStore

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


Run = Callable[[ToolContext, Any], Awaitable[BaseModel]]


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One Gist operation offered as an MCP tool."""

    name: str
    """The MCP tool name (CONTRACT.md fixes these)."""
    title: str
    toolset: str
    """Which `--toolsets` group registers it."""
    description: str
    """LLM-facing: what it does, where ids come from, what Gist creates implicitly."""
    gist_call: str
    """The Gist request(s) it makes, e.g. `GET /contacts/{id}`: for the README and for reviewers."""
    input: type[BaseModel]
    output: type[BaseModel]
    run: Run
    read_only: bool
    destructive: bool
    idempotent: bool
    deadline: Callable[[Any], float] | None = None
    """Seconds a call may take when its own input decides (a wait); otherwise the server's deadline."""
