"""`--metrics`: Prometheus text for MCP operations, Gist requests, rate-limit waits and webhook deliveries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CANARY_KEY, call, call_error, settings_for
from mcp import Client, MCPError
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from gist_mcp import _probes
from gist_mcp._sdk import add_middleware
from gist_mcp.cli import main
from gist_mcp.emulator import GistEmulator
from gist_mcp.http_app import METRICS_PATH, build_http_app
from gist_mcp.scale.metrics import OTHER, OperationTimer, PrometheusSink, enable
from gist_mcp.server import create_server
from gist_mcp.watch import WebhookHub
from gist_mcp.webhooks import WebhookSettings

pytestmark = pytest.mark.anyio
TOKEN = "metrics-bearer-token-0123456789"


@pytest.fixture
def sink() -> Iterator[PrometheusSink]:
    installed = enable()
    yield installed
    _probes.install(None)


def samples(sink: PrometheusSink) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by name and sorted labels."""
    text = sink.registry_text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_operations_gist_requests_waits_and_webhooks_are_counted(
    sink: PrometheusSink, emulator: GistEmulator, tmp_path: Path
) -> None:
    hub = WebhookHub(WebhookSettings(token="metrics-webhook-token-0123", data_dir=tmp_path))
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)
    add_middleware(server, OperationTimer())
    receiver = Starlette(routes=hub.routes())
    async with (
        Client(server) as client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url="http://r") as gist,
    ):
        await call(client, "list_tags", {})
        await call_error(client, "get_user", {"user": {"id": 999999}})
        with pytest.raises(MCPError):  # an unknown tool is a JSON-RPC error (-32602), counted as one
            await client.call_tool("no_such_tool_" + "x" * 50, {})
        body = json.dumps({"id": "m1", "topic": "contact.created"}).encode()
        for _ in range(2):
            assert (await gist.post(hub.settings.receiver_path, content=body)).status_code == 200
        assert (await gist.post("/webhooks/gist/wrong-token-0123456789", content=body)).status_code == 404

    seen = samples(sink)
    tools_call = "gist_mcp_operation_duration_seconds_count"
    assert seen[(tools_call, (("method", "tools/call"), ("outcome", "ok"), ("tool", "list_tags")))] == 1
    assert seen[(tools_call, (("method", "tools/call"), ("outcome", "error"), ("tool", "get_user")))] == 1
    assert seen[(tools_call, (("method", "tools/call"), ("outcome", "error"), ("tool", OTHER)))] == 1
    assert ("gist_mcp_gist_requests_total", (("method", "GET"), ("status", "200"))) in seen
    assert seen[("gist_mcp_gist_requests_total", (("method", "GET"), ("status", "404")))] >= 1
    assert seen[("gist_mcp_rate_limit_wait_seconds_count", ())] >= 2
    assert seen[("gist_mcp_webhook_deliveries_total", (("outcome", "stored"),))] == 1
    assert seen[("gist_mcp_webhook_deliveries_total", (("outcome", "duplicate"),))] == 1
    assert seen[("gist_mcp_webhook_deliveries_total", (("outcome", "404"),))] == 1
    assert CANARY_KEY not in sink.registry_text()


async def test_metrics_sit_behind_the_same_bearer_token_as_mcp(sink: PrometheusSink, emulator: GistEmulator) -> None:
    from starlette.routing import Route

    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app))
    app = build_http_app(
        server, host="127.0.0.1", auth_token=TOKEN, extra_routes=[Route(METRICS_PATH, sink.endpoint, methods=["GET"])]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        assert (await http.get(METRICS_PATH)).status_code == 401
        answer = await http.get(METRICS_PATH, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert "gist_mcp_operation_duration_seconds" in answer.text
        assert (await http.get("/health")).status_code == 200


def test_metrics_need_the_http_transport(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "--metrics"]) == 2
    assert "--metrics needs --transport http" in capsys.readouterr().err
