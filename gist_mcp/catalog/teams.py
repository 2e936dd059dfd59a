"""Teams and teammates (read-only through the API): who can be assigned conversations and who replies.

Their ids are what the conversations toolset takes: `teammate_id` (who acts) and `assignee`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel

from gist_mcp._json import JSONObject
from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import as_bool, as_int, as_text, id_list, iso, optional
from gist_mcp.catalog._toolset import Resource, Toolset

NOT_FOUND_HINT = "Find teammate ids with list_teammates (and team ids with list_teams)."
"""The next step after a 404 from this toolset (also used by conversation calls that name a teammate)."""


class Team(BaseModel):
    """A team of teammates (§6.8)."""

    id: int
    name: str
    teammate_ids: list[int]
    emoji: str | None = optional()
    created_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        return cls(
            id=as_int(raw.get("id")) or 0,
            name=str(raw.get("name") or ""),
            teammate_ids=id_list(raw.get("teammate_ids") or raw.get("teammates")),
            emoji=as_text(raw.get("emoji")),
            created_at=iso(raw.get("created_at")),
        )


class Teammate(BaseModel):
    """A teammate (§6.9): an agent of the workspace."""

    id: int
    name: str | None
    email: str | None
    team_ids: list[int]
    agent_status: str | None = optional("e.g. online, away, offline.")
    away_mode_enabled: bool | None = optional()
    has_inbox_seat: bool | None = optional()
    last_active_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        def flag(key: str) -> bool | None:
            return None if raw.get(key) is None else as_bool(raw.get(key))

        return cls(
            id=as_int(raw.get("id")) or 0,
            name=as_text(raw.get("name")),
            email=as_text(raw.get("email")),
            team_ids=id_list(raw.get("team_ids") or raw.get("teams")),
            agent_status=as_text(raw.get("agent_status")),
            away_mode_enabled=flag("away_mode_enabled"),
            has_inbox_seat=flag("has_inbox_seat"),
            last_active_at=iso(raw.get("last_active_on") or raw.get("last_active_at")),
        )


TEAMS = Listing("teams", Team)
TEAMMATES = Listing("teammates", Teammate)


async def list_teams(ctx: ToolContext, args: Paged) -> BaseModel:
    return await TEAMS.fetch(ctx.gist, args)


async def list_teammates(ctx: ToolContext, args: Paged) -> BaseModel:
    return await TEAMMATES.fetch(ctx.gist, args)


LIST_TEAMS = Operation(
    name="list_teams",
    title="List teams",
    toolset="teams",
    description=TEAMS.model.describe("List the inbox teams (a team id can be a conversation's assignee)."),
    gist_call="GET /teams",
    input=Paged,
    output=TEAMS.model,
    run=list_teams,
    read_only=True,
    destructive=False,
    idempotent=True,
)

LIST_TEAMMATES = Operation(
    name="list_teammates",
    title="List teammates",
    toolset="teams",
    description=TEAMMATES.model.describe(
        "List teammates (agents): the ids update_conversation and reply_to_conversation take as teammate_id."
    ),
    gist_call="GET /teammates",
    input=Paged,
    output=TEAMMATES.model,
    run=list_teammates,
    read_only=True,
    destructive=False,
    idempotent=True,
)


class Roster(BaseModel):
    """Who can act on and be assigned conversations: the `gist://teammates` resource."""

    teammates: list[Teammate]
    teams: list[Team]


async def read_roster(ctx: ToolContext, params: Mapping[str, str]) -> Roster:
    """Every teammate and team (each list is one or two Gist pages in any real workspace)."""
    everything = Paged(limit=1000)
    teammates = await list_teammates(ctx, everything)
    teams = await list_teams(ctx, everything)
    return Roster(teammates=getattr(teammates, "teammates"), teams=getattr(teams, "teams"))  # noqa: B009


TOOLSET = Toolset(
    name="teams",
    description="Teams and teammates: the ids conversations take as teammate_id (who acts) and assignee.",
    not_found_hint=NOT_FOUND_HINT,
    operations=(LIST_TEAMS, LIST_TEAMMATES),
    resources=(
        Resource(
            uri="gist://teammates",
            name="teammates",
            title="Teammates and teams",
            description="Every teammate and team: what update_conversation's assignee and teammate_id take.",
            read=read_roster,
        ),
    ),
)
