"""Confirmation before destructive actions: ask the user through form-mode elicitation, once per call.

Each destructive operation declares its own rule (`Operation.confirm`: the question for these
arguments, or None when no confirmation is needed), so the rule lives with the operation. This
module only decides whether to ask and carries the question: when the server's `GIST_CONFIRM` is
`ask` (the default) and the client declared form elicitation, the user sees the question before
Gist is called; declining or cancelling changes nothing and the tool result says so. Clients
without elicitation (Claude Desktop and claude.ai today) run the call as before, the tools'
`destructiveHint` still marking them.

The question goes through `_sdk.elicit`, the one path that works on both protocol eras: a
server-to-client `elicitation/create` on 2025-11-25, an `InputRequiredResult` the client answers by
retrying the call on 2026-07-28 (`ctx.elicit` fails there).
"""

from __future__ import annotations

from typing import Any

from mcp.server.elicitation import AcceptedElicitation
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp.types import InputRequiredResult
from pydantic import BaseModel, Field

from gist_mcp import _sdk
from gist_mcp.catalog import AnyOperation
from gist_mcp.errors import GistUsageError


class Confirmation(BaseModel):
    """The one field of the confirmation form."""

    confirm: bool = Field(description="Go ahead with this change?")


def question_for(op: AnyOperation, arguments: dict[str, Any]) -> str | None:
    """The operation's question for `arguments`, or None (no rule, no need, or arguments the call will refuse)."""
    if op.confirm is None:
        return None
    try:
        args = op.parse(arguments)
    except GistUsageError:
        return None  # the call itself reports the bad arguments; nothing would change
    return op.confirm(args)


def can_elicit(context: Context[Any, Any]) -> bool:
    """Whether the client declared form elicitation (a bare `elicitation: {}` means form, as the spec says)."""
    capabilities = context.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


async def confirm(
    op: AnyOperation, arguments: dict[str, Any], context: Context[Any, Any] | None, enabled: bool
) -> InputRequiredResult | str | None:
    """Ask before `op` runs with `arguments`, when it must and the client can.

    Returns:
        None to go ahead; an InputRequiredResult to send back (2026-07-28: the client retries with the
        answer); or the text of the result when the user declined or cancelled (nothing was changed).
    """
    if not enabled or context is None or not can_elicit(context):
        return None
    question = question_for(op, arguments)
    if question is None:
        return None
    try:
        answer = await _sdk.elicit(context, question, Confirmation)
    except MCPError as error:  # the client failed to ask (its error, not an answer): do nothing
        return f"Not done: the confirmation could not be asked ({error.error.message}), so nothing was changed in Gist."
    if isinstance(answer, InputRequiredResult):
        return answer
    if isinstance(answer, AcceptedElicitation) and isinstance(answer.data, Confirmation) and answer.data.confirm:
        return None
    how = "cancelled" if answer.action == "cancel" else "declined"
    return f"Not done: the user {how} the confirmation, so nothing was changed in Gist. They were asked: {question}"
