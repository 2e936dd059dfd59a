"""The catalogue: every Gist operation gist-mcp offers, in README order, declared once each."""

from __future__ import annotations

from gist_mcp.catalog import (
    bulk,
    campaign_subscriptions,
    contacts,
    events,
    forms,
    raw,
    segments,
    subscriptions,
    tags,
    webhooks,
)
from gist_mcp.catalog._operation import Operation, ToolContext

CATALOG: tuple[Operation, ...] = (
    *contacts.USER_OPERATIONS,
    *contacts.LEAD_OPERATIONS,
    *tags.OPERATIONS,
    *segments.SEGMENT_OPERATIONS,
    *segments.CAMPAIGN_OPERATIONS,
    *campaign_subscriptions.OPERATIONS,
    *events.OPERATIONS,
    *forms.OPERATIONS,
    *subscriptions.OPERATIONS,
    *bulk.OPERATIONS,
    *webhooks.OPERATIONS,
    *raw.OPERATIONS,
)

VARIANTS: tuple[Operation, ...] = (raw.READ_ONLY_API_REQUEST,)
"""Operations that replace a CATALOG entry in some mode (read-only mode's GET-only api_request)."""


def select(toolsets: frozenset[str], read_only: bool) -> tuple[Operation, ...]:
    """The operations a server with these toolsets and this mode registers.

    Read-only mode keeps only operations whose readOnlyHint is true, and offers `api_request`
    as its GET-only variant.
    """
    chosen: list[Operation] = []
    for op in CATALOG:
        if op.toolset not in toolsets:
            continue
        if read_only and op is raw.API_REQUEST:
            op = raw.READ_ONLY_API_REQUEST
        if read_only and not op.read_only:
            continue
        chosen.append(op)
    return tuple(chosen)


__all__ = ["CATALOG", "VARIANTS", "Operation", "ToolContext", "select"]
