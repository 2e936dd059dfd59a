"""Toolsets: the records are the only registry; `--toolsets` choices; dynamic toolsets in both protocol eras."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from conftest import call, call_error
from mcp import Client
from mcp.types import ResourceListChangedNotification, ToolListChangedNotification

from gist_mcp.catalog import CATALOG, DEFAULT_TOOLSETS, TOOLSET_NAMES, TOOLSETS, choose_toolsets, select
from gist_mcp.errors import GistConfigError
from gist_mcp.server import GistServer, instructions
from gist_mcp.settings import Settings

pytestmark = pytest.mark.anyio


def test_every_operation_belongs_to_exactly_one_toolset_and_names_are_unique() -> None:
    names = [op.name for ts in TOOLSETS for op in ts.operations]
    assert len(names) == len(set(names)) == len(CATALOG)
    assert len(TOOLSET_NAMES) == len(set(TOOLSET_NAMES))
    assert all(op.toolset == ts.name for ts in TOOLSETS for op in ts.operations)
    assert all(ts.description and ts.not_found_hint for ts in TOOLSETS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT_TOOLSETS),
        ("", DEFAULT_TOOLSETS),
        ("default", DEFAULT_TOOLSETS),
        ("all", frozenset(TOOLSET_NAMES)),
        (" Users , tags ", frozenset({"users", "tags"})),
        ("default,raw", DEFAULT_TOOLSETS | {"raw"}),
    ],
)
def test_toolset_choices(value: str | None, expected: frozenset[str]) -> None:
    assert choose_toolsets(value) == expected


def test_unknown_toolset_names_the_variable_and_every_valid_name() -> None:
    with pytest.raises(GistConfigError) as caught:
        choose_toolsets("users,nope", "--toolsets")
    message = str(caught.value)
    assert message.startswith("--toolsets: unknown toolset(s) nope.")
    assert all(name in message for name in ("all", "default", *TOOLSET_NAMES))


def test_settings_default_is_the_default_toolsets_and_instructions_name_them() -> None:
    settings = Settings.from_env({"GIST_API_KEY": "k"})
    assert settings.toolsets == DEFAULT_TOOLSETS
    text = instructions(settings)
    assert all(name in text for name in DEFAULT_TOOLSETS)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_404_names_the_toolsets_next_step(make_server: Callable[..., GistServer], mode: str) -> None:
    async with Client(make_server(), mode=mode) as client:
        text = await call_error(client, "get_campaign", {"campaign_id": 999999})
    assert "404" in text
    assert text.count("list_campaigns") == 1


def _dynamic(make_server: Callable[..., GistServer], **changes: Any) -> GistServer:
    return make_server(toolsets=frozenset({"users"}), dynamic_toolsets=True, **changes)


async def test_dynamic_toolsets_enable_tools_and_notify_a_handshake_client(
    make_server: Callable[..., GistServer],
) -> None:
    changed: list[str] = []
    tools_changed = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, ToolListChangedNotification):
            changed.append("tools")
            tools_changed.set()
        if isinstance(message, ResourceListChangedNotification):
            changed.append("resources")

    async with Client(_dynamic(make_server), mode="legacy", message_handler=on_message) as client:
        capabilities = client.session.server_capabilities
        assert capabilities is not None
        assert capabilities.tools is not None
        assert capabilities.tools.list_changed is True
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {*(op.name for op in select({"users"}, False)), "list_toolsets", "enable_toolset"}
        listed = await call(client, "list_toolsets", {})
        segments = next(ts for ts in listed["toolsets"] if ts["name"] == "segments")
        assert segments == {
            "name": "segments",
            "description": segments["description"],
            "enabled": False,
            "tools": ["get_segment", "list_segments"],
        }
        assert "gist://segments" not in {str(r.uri) for r in (await client.list_resources()).resources}
        enabled = await call(client, "enable_toolset", {"toolset": "segments"})
        assert enabled == {"toolset": "segments", "added_tools": ["get_segment", "list_segments"]}
        with anyio.fail_after(5):
            await tools_changed.wait()
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"get_segment", "list_segments"} <= names
        assert "gist://segments" in {str(r.uri) for r in (await client.list_resources()).resources}
        assert (await call(client, "list_segments", {"limit": 1}))["count"] == 1
        again = await call(client, "enable_toolset", {"toolset": "segments"})
        assert again["added_tools"] == []
        text = await call_error(client, "enable_toolset", {"toolset": "nope"})
        assert "toolset" in text
        assert "segments" in text
    assert "resources" in changed


async def test_dynamic_toolsets_notify_a_2026_listen_stream(make_server: Callable[..., GistServer]) -> None:
    async with (
        Client(_dynamic(make_server), mode="auto") as client,
        client.listen(tools_list_changed=True) as subscription,
    ):
        await call(client, "enable_toolset", {"toolset": "tags"})
        with anyio.fail_after(5):
            async for event in subscription:
                assert "tools" in type(event).__name__.lower()
                break
        assert "tag_contacts" in {tool.name for tool in (await client.list_tools()).tools}


async def test_read_only_applies_to_what_dynamic_mode_enables(make_server: Callable[..., GistServer]) -> None:
    async with Client(_dynamic(make_server, read_only=True), mode="legacy") as client:
        enabled = await call(client, "enable_toolset", {"toolset": "tags"})
        assert enabled["added_tools"] == ["list_tags"]


async def test_without_dynamic_mode_there_are_no_toolset_tools_and_no_list_changed(
    make_server: Callable[..., GistServer],
) -> None:
    async with Client(make_server(), mode="legacy") as client:
        capabilities = client.session.server_capabilities
        assert capabilities is not None
        assert capabilities.tools is not None
        assert not capabilities.tools.list_changed
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "enable_toolset" not in names
