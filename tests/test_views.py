"""MCP App views through the protocol: advertised by the SDK's Apps extension, bound to their tools,
self-contained, and invisible to the data: a client without the extension gets the same results.

The views' behaviour in a real browser is tests/test_views_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MODES, call
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from mcp.shared.exceptions import MCPError
from mcp.types import TextResourceContents

from gist_mcp import views
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio


class AppsHost(ClientExtension):
    """What a host that renders views declares (the mimeTypes setting is what `client_supports_apps` checks)."""

    identifier = EXTENSION_ID

    def settings(self) -> dict[str, Any]:
        return {"mimeTypes": [APP_MIME_TYPE]}


@pytest.mark.parametrize("mode", MODES)
async def test_a_host_with_the_extension_finds_each_view(mode: str, make_server: Callable[..., GistServer]) -> None:
    async with Client(make_server(), mode=mode, cache=None, extensions=[AppsHost()]) as client:
        if mode == "auto":  # the 2025-11-25 schema has no `extensions` capability; the tools' _meta is what hosts read
            assert EXTENSION_ID in (client.server_capabilities.extensions or {})
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        for view in views.VIEWS:
            for name in view.tools:
                assert (tools[name].meta or {}).get("ui") == {"resourceUri": view.uri}, name
            assert listed[view.uri].mime_type == APP_MIME_TYPE
            contents = (await client.read_resource(view.uri)).contents
            assert len(contents) == 1
            page = contents[0]
            assert isinstance(page, TextResourceContents)
            assert page.mime_type == APP_MIME_TYPE
            assert page.text == view.html()
        unbound = [t for t in tools.values() if not any(t.name in v.tools for v in views.VIEWS)]
        assert all("ui" not in (t.meta or {}) for t in unbound)


@pytest.mark.parametrize("view", views.VIEWS, ids=lambda v: v.name)
def test_each_view_is_self_contained_and_small(view: views.View) -> None:
    page = view.html()
    assert len(page.encode()) <= views.MAX_VIEW_BYTES
    assert "/*STYLE*/" not in page
    assert "/*BRIDGE*/" not in page
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page), "a view must not load anything"
    assert not re.search(r"https?://", page), "a view must not name a network origin"
    assert "innerHTML" not in page, "customer data goes in as text only"
    assert "ui/initialize" in page
    assert "ui/notifications/initialized" in page


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_user", {"user": {"id": 1}}),
        ("list_users", {"limit": 5}),
        ("list_conversations", {"state": "open", "limit": 5}),
    ],
)
async def test_clients_without_the_extension_get_the_same_data(
    tool: str, arguments: dict[str, Any], make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    if tool == "get_user":
        arguments = {"user": {"id": next(c["id"] for c in emulator.contacts.values() if c.get("user_id"))}}
    async with Client(make_server(), mode="legacy", cache=None, extensions=[AppsHost()]) as host:
        with_views = await call(host, tool, arguments)
    async with Client(make_server(), mode="legacy", cache=None) as plain:
        without = await call(plain, tool, arguments)
    assert with_views == without


async def test_views_follow_the_enabled_tools(make_server: Callable[..., GistServer]) -> None:
    async with Client(make_server(toolsets=frozenset({"conversations"})), mode="legacy", cache=None) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources if str(r.uri).startswith("ui://")}
        assert uris == {"ui://gist/inbox"}
        with pytest.raises(MCPError, match="ui://gist/contact"):
            await client.read_resource("ui://gist/contact")


def test_readme_shows_every_view_and_its_tools() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for view in views.VIEWS:
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{view.uri}` |"))
        assert all(f"`{tool}`" in row for tool in view.tools), row
        assert f"](docs/views/{view.name}.png)" in readme
        assert (Path(__file__).resolve().parents[1] / "docs" / "views" / f"{view.name}.png").is_file()
