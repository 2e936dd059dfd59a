"""Dynamic toolsets: `list_toolsets` and `enable_toolset`, offered with `--dynamic-toolsets`.

A host starts with a short tool list and the model switches on what a task needs. Enabling is for
the whole server process (a local server serves one person); the server then tells clients that
its tool and resource lists changed. These two tools belong to no toolset and never call Gist.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Input
from gist_mcp.errors import GistUsageError

TOOLSET = "dynamic"
"""The `toolset` these two operations name: not a user-selectable toolset."""
UNAVAILABLE = "Dynamic toolsets are off: start gist-mcp with --dynamic-toolsets (GIST_DYNAMIC_TOOLSETS=true)."


class ToolsetInfo(BaseModel):
    name: str
    description: str
    enabled: bool
    tools: list[str] = Field(description="Tool names it registers (in read-only mode, only its read tools).")


class ToolsetSwitch(Protocol):
    """What the server lends these operations: the toolsets and a way to switch one on."""

    def describe(self) -> list[ToolsetInfo]: ...

    async def enable(self, name: str) -> list[str]:
        """Switch toolset `name` on and tell clients; returns the tool names it added."""
        ...


class ListToolsetsInput(Input):
    pass


class EnableToolsetInput(Input):
    toolset: str = Field(min_length=1, description="A toolset name from list_toolsets, e.g. conversations.")


class ToolsetList(BaseModel):
    toolsets: list[ToolsetInfo]


class Enabled(BaseModel):
    toolset: str
    added_tools: list[str] = Field(description="Tools now available (empty if it was already on).")


def _switch(ctx: ToolContext) -> ToolsetSwitch:
    if ctx.toolsets is None:
        raise GistUsageError(UNAVAILABLE)
    return ctx.toolsets


async def list_toolsets(ctx: ToolContext, args: ListToolsetsInput) -> ToolsetList:
    return ToolsetList(toolsets=_switch(ctx).describe())


async def enable_toolset(ctx: ToolContext, args: EnableToolsetInput) -> Enabled:
    switch = _switch(ctx)
    name = args.toolset.strip().lower()
    known = [info.name for info in switch.describe()]
    if name not in known:
        raise GistUsageError(f"toolset: unknown toolset {args.toolset!r}. Valid: {', '.join(known)}.")
    return Enabled(toolset=name, added_tools=await switch.enable(name))


OPERATIONS = (
    Operation(
        name="list_toolsets",
        title="List toolsets",
        toolset=TOOLSET,
        description="List the toolsets of this server, their tools, and which are on; enable_toolset adds one.",
        gist_call="none",
        input=ListToolsetsInput,
        output=ToolsetList,
        run=list_toolsets,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    Operation(
        name="enable_toolset",
        title="Enable toolset",
        toolset=TOOLSET,
        description="Switch a toolset on (see list_toolsets): its tools and resources appear in the lists.",
        gist_call="none",
        input=EnableToolsetInput,
        output=Enabled,
        run=enable_toolset,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
)
