"""The protocol to the letter, both eras: subscribe, per-session logging, capabilities, errors, cursors,
completions (gist_mcp/_sdk.py, gist_mcp/server.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import httpx
import pytest
from conftest import CANARY_KEY, call, settings_for
from mcp import Client, MCPError
from mcp.types import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    LoggingMessageNotificationParams,
    ResourceTemplateReference,
    ResourceUpdatedNotification,
)
from starlette.types import Receive, Scope, Send

from gist_mcp._sdk import MAX_PENDING_LOG_MESSAGES
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer, create_server

MODES = ["legacy", "auto"]
"""The 2025-11-25 handshake era and the stateless 2026-07-28 era."""
NO_WORKFLOW = frozenset({"raw"})
"""Toolsets none of the workflow prompts can run with: such a server offers no prompt."""

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


async def test_set_level_is_per_session_and_leaves_the_process_log_alone(
    make_server: Callable[..., GistServer],
) -> None:
    server = make_server()
    package = logging.getLogger("gist_mcp")
    before = package.level
    chatty: list[LoggingMessageNotificationParams] = []
    quiet: list[LoggingMessageNotificationParams] = []

    async def to_chatty(params: LoggingMessageNotificationParams) -> None:
        chatty.append(params)

    async def to_quiet(params: LoggingMessageNotificationParams) -> None:
        quiet.append(params)

    async with (
        Client(server, mode="legacy", logging_callback=to_chatty) as debug_client,
        Client(server, mode="legacy", logging_callback=to_quiet) as error_client,
    ):
        await debug_client.set_logging_level("debug")
        await error_client.set_logging_level("error")
        await call(debug_client, "list_segments", {})
        await call(error_client, "list_segments", {})
    assert package.level == before, "logging/setLevel must not change the process-wide logger"
    assert quiet == []
    assert chatty, "the debug client gets the server's debug log of its own call"
    assert all(p.level == "debug" and p.logger and p.logger.startswith("gist_mcp") for p in chatty)
    assert any("GET /segments" in str(p.data) for p in chatty)
    assert all(CANARY_KEY not in str(p.data) for p in chatty)


async def test_a_flood_of_log_records_is_capped_per_call(emulator: GistEmulator) -> None:
    """Records beyond MAX_PENDING_LOG_MESSAGES that pile up before the client is sent any are dropped."""
    flood = MAX_PENDING_LOG_MESSAGES + 50
    noisy = logging.getLogger("gist_mcp.flood")

    async def flooding_gist(scope: Scope, receive: Receive, send: Send) -> None:
        for n in range(flood):  # all at once, inside the tool call: the forwarder gets no turn in between
            noisy.warning("flood %d", n)
        await emulator.app(scope, receive, send)

    server = create_server(settings_for(), transport=httpx.ASGITransport(app=flooding_gist))
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    async with Client(server, mode="legacy", logging_callback=on_log) as client:
        await call(client, "list_segments", {})
    floods = [p for p in received if str(p.data).startswith("flood")]
    # The queue holds MAX_PENDING_LOG_MESSAGES; the forwarder may already be waiting for one more.
    assert MAX_PENDING_LOG_MESSAGES <= len(floods) <= MAX_PENDING_LOG_MESSAGES + 1 < flood
    assert floods[0].data == "flood 0"
    assert all(p.level == "warning" for p in floods)


async def test_a_modern_request_gets_log_messages_only_when_it_opts_in(
    make_server: Callable[..., GistServer],
) -> None:
    server = make_server()
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    async with Client(server, mode="auto", logging_callback=on_log) as silent:
        await call(silent, "list_segments", {})
    assert received == []
    async with Client(server, mode="auto", logging_callback=on_log, log_level="debug") as opted_in:
        await call(opted_in, "list_segments", {})
    assert any("GET /segments" in str(p.data) for p in received)


async def test_a_legacy_client_without_set_level_gets_warnings_only(make_server: Callable[..., GistServer]) -> None:
    received: list[LoggingMessageNotificationParams] = []

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)

    async with Client(make_server(), mode="legacy", logging_callback=on_log) as client:
        await call(client, "list_segments", {})
    assert received == []


@pytest.mark.parametrize("mode", MODES)
async def test_capabilities_declare_only_what_is_sent(make_server: Callable[..., GistServer], mode: str) -> None:
    async with Client(make_server(toolsets=NO_WORKFLOW), mode=mode) as client:
        static = client.server_capabilities
    async with Client(make_server(dynamic_toolsets=True), mode=mode) as client:
        dynamic = client.server_capabilities
    assert static is not None
    assert static.tools is not None
    assert static.resources is not None
    assert static.prompts is None, "no workflow's tools are all served, so no prompt is advertised"
    assert not static.tools.list_changed
    assert not static.resources.list_changed
    assert dynamic is not None
    assert dynamic.tools is not None
    assert dynamic.resources is not None
    assert dynamic.tools.list_changed is True
    assert dynamic.resources.list_changed is True


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_are_advertised_once_one_is_registered(make_server: Callable[..., GistServer], mode: str) -> None:
    server = make_server(toolsets=NO_WORKFLOW)

    @server.prompt(name="hello", description="Say hello.")
    def hello() -> str:
        return "hello"

    async with Client(server, mode=mode, cache=None) as client:
        caps = client.server_capabilities
        result = await client.get_prompt("hello")
    assert caps is not None
    assert caps.prompts is not None
    assert caps.prompts.list_changed is not True
    assert result.messages


@pytest.mark.parametrize("mode", MODES)
async def test_without_prompts_prompts_list_is_not_served(make_server: Callable[..., GistServer], mode: str) -> None:
    async with Client(make_server(toolsets=NO_WORKFLOW), mode=mode, cache=None) as client:
        with pytest.raises(MCPError) as raised:
            await client.list_prompts()
    assert raised.value.error.code == METHOD_NOT_FOUND


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_prompt_is_invalid_params(make_server: Callable[..., GistServer], mode: str) -> None:
    async with Client(make_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.get_prompt("nope")
    assert raised.value.error.code == INVALID_PARAMS
    assert "Unknown prompt: nope" in raised.value.error.message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["tools/list", "resources/list", "resources/templates/list", "prompts/list"])
async def test_a_bogus_cursor_is_invalid_params(make_server: Callable[..., GistServer], mode: str, method: str) -> None:
    server = make_server()
    server.prompt(name="hello", description="Say hello.")(lambda: "hello")
    async with Client(server, mode=mode, cache=None) as client:
        listing = {
            "tools/list": client.list_tools,
            "resources/list": client.list_resources,
            "resources/templates/list": client.list_resource_templates,
            "prompts/list": client.list_prompts,
        }[method]
        assert await listing() is not None, "without a cursor the list is served"
        with pytest.raises(MCPError) as raised:
            await listing(cursor="bogus")
    assert raised.value.error.code == INVALID_PARAMS
    assert method in raised.value.error.message


@pytest.mark.parametrize(("mode", "code"), [("legacy", -32002), ("auto", INVALID_PARAMS)])
async def test_a_missing_resource_is_not_found_in_each_eras_code(
    make_server: Callable[..., GistServer], mode: str, code: int
) -> None:
    async with Client(make_server(), mode=mode, cache=None) as client:
        with pytest.raises(MCPError) as unknown_uri:
            await client.read_resource("gist://nothing-here")
        with pytest.raises(MCPError) as missing_segment:
            await client.read_resource("gist://segments/999999")
    for raised in (unknown_uri, missing_segment):
        assert raised.value.error.code == code
        assert raised.value.error.data == {"uri": str(raised.value.error.data["uri"])}


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_tool_is_invalid_params_in_both_eras(
    make_server: Callable[..., GistServer], mode: str
) -> None:
    async with Client(make_server(), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("nope", {})
    assert raised.value.error.code == INVALID_PARAMS
    assert raised.value.error.message.startswith("Unknown tool: nope. Available: ")


@pytest.mark.parametrize("mode", MODES)
async def test_a_write_tool_in_read_only_mode_says_why_it_is_unavailable(
    make_server: Callable[..., GistServer], mode: str
) -> None:
    async with Client(make_server(read_only=True), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("delete_user", {"user": {"id": 1}})
    assert raised.value.error.code == INVALID_PARAMS
    message = raised.value.error.message
    assert "runs read-only" in message
    assert "--read-only" in message
    assert "GIST_READ_ONLY" in message
    assert "Unknown tool" not in message


async def test_a_tool_of_a_toolset_that_is_off_names_the_toolset(make_server: Callable[..., GistServer]) -> None:
    async with Client(make_server(toolsets=frozenset({"campaigns"})), mode="legacy") as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("list_segments", {})
    assert "toolset segments is off" in raised.value.error.message


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
