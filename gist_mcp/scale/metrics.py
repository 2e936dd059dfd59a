"""`--metrics`: Prometheus text at `/metrics`, from the measurement points in `gist_mcp._probes`.

- `gist_mcp_operation_duration_seconds{method, tool, outcome}`: every MCP request and notification
  (the name follows the OpenTelemetry MCP convention's `mcp.server.operation.duration`);
- `gist_mcp_gist_requests_total{method, status}`: attempts sent to Gist (retries count each);
- `gist_mcp_rate_limit_wait_seconds`: how long attempts queued for a rate-limit slot;
- `gist_mcp_webhook_deliveries_total{outcome}`: deliveries stored, duplicate, or refused (by status).

`/metrics` sits on the MCP port behind the same Bearer token as `/mcp` (when one is set): the counts
reveal tool names and traffic, and one port behind one guard is one thing less to expose by mistake.
Prometheus sends the token with `authorization: {credentials_file: ...}`.
"""

from __future__ import annotations

import time
import typing
from typing import Any, cast

from mcp_types import ClientNotification, ClientRequest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from gist_mcp import _probes
from gist_mcp.catalog import CATALOG
from gist_mcp.catalog.dynamic import OPERATIONS as DYNAMIC_OPERATIONS
from gist_mcp.http_app import METRICS_PATH

OTHER = "other"
"""The label of a method or tool name gist-mcp does not serve: a client picks names freely, and each
distinct label value is a new time series, so unknown ones share this one."""


def _methods(union: Any) -> frozenset[str]:
    """The `method` literals of the SDK's client message union."""
    names: set[str] = set()
    for member in typing.get_args(union):
        for model in typing.get_args(member) or (member,):
            field = getattr(model, "model_fields", {}).get("method")
            if field is not None:
                names.update(typing.get_args(field.annotation))
    return frozenset(names)


KNOWN_METHODS = _methods(ClientRequest) | _methods(ClientNotification)
KNOWN_TOOLS = frozenset(op.name for op in (*CATALOG, *DYNAMIC_OPERATIONS))


class PrometheusSink:
    """The Prometheus metrics of one process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._operations = Histogram(
            "gist_mcp_operation_duration_seconds",
            "MCP requests and notifications handled, by method, tool and outcome.",
            ["method", "tool", "outcome"],
            registry=self.registry,
        )
        self._gist = Counter(
            "gist_mcp_gist_requests",
            "Attempts sent to the Gist API, by method and status.",
            ["method", "status"],
            registry=self.registry,
        )
        self._waits = Histogram(
            "gist_mcp_rate_limit_wait_seconds",
            "Time attempts waited for a rate-limit slot.",
            buckets=(0.0, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self._webhooks = Counter(
            "gist_mcp_webhook_deliveries",
            "Webhook deliveries received, by outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def operation(self, method: str, tool: str, outcome: str, seconds: float) -> None:
        self._operations.labels(method, tool, outcome).observe(seconds)

    def gist_request(self, method: str, status: str) -> None:
        self._gist.labels(method, status).inc()

    def rate_limit_wait(self, seconds: float) -> None:
        self._waits.observe(seconds)

    def webhook_delivery(self, outcome: str) -> None:
        self._webhooks.labels(outcome).inc()

    def registry_text(self) -> str:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry).decode()

    async def endpoint(self, request: Request) -> Response:
        """GET /metrics: the Prometheus text format."""
        return Response(self.registry_text(), media_type=CONTENT_TYPE_LATEST)


class OperationTimer:
    """SDK middleware timing every inbound MCP message by method and tool (see `_sdk.add_middleware`)."""

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        method = ctx.method if ctx.method in KNOWN_METHODS else OTHER
        name = ctx.params.get("name") if ctx.params else None
        tool = "" if method != "tools/call" else name if name in KNOWN_TOOLS else OTHER
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await call_next(ctx)
            outcome = "error" if getattr(result, "is_error", False) or _is_error_dict(result) else "ok"
            return result
        finally:
            _probes.operation(method, tool, outcome, time.perf_counter() - started)


def _is_error_dict(result: object) -> bool:
    """Whether a call's result is a plain `{"isError": true, ...}` (some middleware answers in dicts)."""
    return isinstance(result, dict) and bool(cast(dict[str, object], result).get("isError"))


def enable() -> PrometheusSink:
    """Start measuring this process; the sink serves `/metrics`."""
    sink = PrometheusSink()
    _probes.install(sink)
    return sink


__all__ = ["METRICS_PATH", "OperationTimer", "PrometheusSink", "enable"]
