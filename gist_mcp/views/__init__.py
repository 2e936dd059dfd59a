"""MCP App views (the `io.modelcontextprotocol/ui` extension): a contact, a segment's members, the inbox.

Each `View` is one self-contained HTML page (`<name>.html`, with the shared `bridge.js` handshake and
`style.css` inlined when it is read, so no view needs the network: hosts' default CSP allows none)
and the tools whose results it renders. The SDK's own `Apps` extension serves the pages as
`ui://gist/<name>` resources with the `text/html;profile=mcp-app` MIME type and advertises the
extension; `bind` stamps `_meta.ui.resourceUri` on the bound tools, the key the SDK's `Apps.tool`
stamps (GistServer builds its tools from the catalogue, so the SDK decorator does not apply).

The tools themselves are unchanged: a client that cannot render views gets the same
structuredContent and text. Views act through ordinary `tools/call` requests relayed by the host.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mcp.server.apps import Apps, ResourceCsp
from mcp.types import Tool

_HERE = Path(__file__).parent
SCHEME = "ui://"
"""The extension's URI scheme."""
MAX_VIEW_BYTES = 600_000
"""Largest page a view may be once inlined (the issue's budget; ours are a few kB, a test holds them to it)."""


@dataclass(frozen=True, kw_only=True)
class View:
    """One view: its page, what hosts show about it, and the tools whose results it renders."""

    name: str
    """The page is `<name>.html` here, served as `ui://gist/<name>`."""
    title: str
    description: str
    tools: tuple[str, ...]
    """Operation names bound to the view (their tools/list entries carry `_meta.ui.resourceUri`)."""

    @property
    def uri(self) -> str:
        return f"{SCHEME}gist/{self.name}"

    def html(self) -> str:
        """The page with the shared style and bridge script inlined."""
        return html_of(self.name)


@functools.cache
def _asset(filename: str) -> str:
    """A file of this folder, read once (the shared style and bridge go into every page)."""
    return (_HERE / filename).read_text(encoding="utf-8")


@functools.cache
def html_of(name: str) -> str:
    """`<name>.html` with `/*STYLE*/` and `/*BRIDGE*/` replaced by style.css and bridge.js."""
    page = _asset(f"{name}.html")
    return page.replace("/*STYLE*/", _asset("style.css"), 1).replace("/*BRIDGE*/", _asset("bridge.js"), 1)


VIEWS: tuple[View, ...] = (
    View(
        name="contact",
        title="Contact",
        description="A contact's profile, tags (tag and untag), recent events and conversations.",
        tools=("get_user", "get_lead"),
    ),
    View(
        name="segment",
        title="Segment members",
        description="A segment's members (or any contact list) as a sortable, filterable table; tag selected rows.",
        tools=("get_segment", "list_users", "list_leads"),
    ),
    View(
        name="inbox",
        title="Inbox",
        description="Open conversations: read a thread, reply, close or assign.",
        tools=("list_conversations", "get_conversation"),
    ),
)
_BY_TOOL = {tool: view for view in VIEWS for tool in view.tools}
URIS = frozenset(view.uri for view in VIEWS)
"""The views' URIs: the SDK's Apps extension reads these; every other URI is a catalogue resource."""


def served(tools: Iterable[str]) -> frozenset[str]:
    """The URIs of the views bound to at least one of `tools` (a server lists only views its tools can open)."""
    names = set(tools)
    return frozenset(view.uri for view in VIEWS if names & set(view.tools))


def apps() -> Apps:
    """The SDK's Apps extension serving every view (no network origins allowed: everything is inline)."""
    extension = Apps()
    for view in VIEWS:
        extension.add_html_resource(
            view.uri,
            view.html(),
            name=f"view-{view.name}",
            title=view.title,
            description=view.description,
            csp=ResourceCsp(),
            prefers_border=True,
        )
    return extension


def bind(tools: Iterable[Tool]) -> list[Tool]:
    """`tools`, those rendered by a view carrying `_meta.ui.resourceUri` (the rest as they are)."""
    bound: list[Tool] = []
    for tool in tools:
        view = _BY_TOOL.get(tool.name)
        if view is None:
            bound.append(tool)
        else:
            bound.append(tool.model_copy(update={"meta": {**(tool.meta or {}), "ui": {"resourceUri": view.uri}}}))
    return bound
