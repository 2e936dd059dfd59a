"""Protocol features beyond tools and resources: subscribe, logging/setLevel, completions (gist_mcp/_sdk.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import anyio
import pytest
from mcp import Client
from mcp.types import ResourceTemplateReference, ResourceUpdatedNotification

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

MODES = ["legacy", "auto"]
"""The 2025-11-25 handshake era and the stateless 2026-07-28 era."""

pytestmark = [
    pytest.mark.anyio,
    # The handshake-era methods under test are deprecated by the 2026-07-28 spec; that is the point here.
    pytest.mark.filterwarnings(
        r"ignore:resources/(un)?subscribe is removed:mcp.shared.exceptions.MCPDeprecationWarning"
    ),
    pytest.mark.filterwarnings(
        r"ignore:The logging capability is deprecated:mcp.shared.exceptions.MCPDeprecationWarning"
    ),
]


@pytest.fixture
def restore_logger_level() -> Iterator[None]:
    package = logging.getLogger("gist_mcp")
    level = package.level
    yield
    package.setLevel(level)


@pytest.mark.parametrize("mode", MODES)
async def test_both_eras_advertise_subscribe_logging_and_completions(
    make_server: Callable[..., GistServer], mode: str
) -> None:
    async with Client(make_server(), mode=mode) as client:
        caps = client.server_capabilities
    assert caps is not None
    assert caps.resources is not None
    assert caps.resources.subscribe is True
    assert caps.logging is not None
    assert caps.completions is not None


async def test_subscribe_and_unsubscribe_are_accepted_and_tracked_per_connection(
    make_server: Callable[..., GistServer],
) -> None:
    server = make_server()
    async with Client(server, mode="legacy") as client:
        await client.subscribe_resource("gist://segments")
        await client.subscribe_resource("gist://campaigns/1")
        assert server.subscriptions.subscribed() == {"gist://segments", "gist://campaigns/1"}
        await client.unsubscribe_resource("gist://segments")
        await client.unsubscribe_resource("gist://segments")
        assert server.subscriptions.subscribed() == {"gist://campaigns/1"}


async def test_a_subscriber_is_notified_when_its_resource_changes(make_server: Callable[..., GistServer]) -> None:
    server = make_server()
    updated: list[str] = []
    received = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            updated.append(str(message.params.uri))
            received.set()

    async with Client(server, mode="legacy", message_handler=on_message) as client:
        await client.subscribe_resource("gist://segments")
        await server.subscriptions.notify_updated("gist://campaigns")
        await server.subscriptions.notify_updated("gist://segments")
        with anyio.fail_after(5):
            await received.wait()
    assert updated == ["gist://segments"]


async def test_set_level_sets_the_gist_mcp_logger_level(
    make_server: Callable[..., GistServer], restore_logger_level: None
) -> None:
    async with Client(make_server(), mode="legacy") as client:
        await client.set_logging_level("error")
        assert logging.getLogger("gist_mcp").level == logging.ERROR
        await client.set_logging_level("debug")
        assert logging.getLogger("gist_mcp").level == logging.DEBUG


@pytest.mark.parametrize("mode", MODES)
async def test_segment_id_completion_offers_the_workspace_segment_ids(
    make_server: Callable[..., GistServer], emulator: GistEmulator, mode: str
) -> None:
    seeded = sorted(str(segment_id) for segment_id in emulator.store.segments)
    assert seeded, "the demo workspace has segments"
    ref = ResourceTemplateReference(type="ref/resource", uri="gist://segments/{segment_id}")
    async with Client(make_server(), mode=mode) as client:
        everything = await client.complete(ref, {"name": "segment_id", "value": ""})
        narrowed = await client.complete(ref, {"name": "segment_id", "value": seeded[0]})
        nothing = await client.complete(ref, {"name": "segment_id", "value": "x"})
    assert sorted(everything.completion.values) == seeded
    assert seeded[0] in narrowed.completion.values
    assert all(value.startswith(seeded[0]) for value in narrowed.completion.values)
    assert nothing.completion.values == []


@pytest.mark.parametrize("mode", MODES)
async def test_campaign_id_completion_offers_the_workspace_campaign_ids(
    make_server: Callable[..., GistServer], emulator: GistEmulator, mode: str
) -> None:
    seeded = sorted(str(campaign_id) for campaign_id in emulator.store.campaigns)
    ref = ResourceTemplateReference(type="ref/resource", uri="gist://campaigns/{campaign_id}")
    async with Client(make_server(), mode=mode) as client:
        result = await client.complete(ref, {"name": "campaign_id", "value": ""})
    assert sorted(result.completion.values) == seeded


async def test_completion_is_empty_when_gist_fails_or_the_argument_is_unknown(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    ref = ResourceTemplateReference(type="ref/resource", uri="gist://segments/{segment_id}")
    async with Client(make_server(api_key=None), mode="legacy") as client:
        failed = await client.complete(ref, {"name": "segment_id", "value": ""})
    async with Client(make_server(), mode="legacy") as client:
        unknown = await client.complete(ref, {"name": "other", "value": ""})
    assert failed.completion.values == []
    assert unknown.completion.values == []


async def test_no_completion_for_a_toolset_that_is_off(make_server: Callable[..., GistServer]) -> None:
    ref = ResourceTemplateReference(type="ref/resource", uri="gist://segments/{segment_id}")
    async with Client(make_server(toolsets=frozenset({"campaigns"})), mode="legacy") as client:
        result = await client.complete(ref, {"name": "segment_id", "value": ""})
    assert result.completion.values == []
