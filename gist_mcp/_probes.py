"""Measurement points the rest of gist-mcp reports to; a no-op until `--metrics` installs a sink.

Keeping the points here (not prometheus-client calls scattered through the client and the receiver)
lets the core run without the `scale` extra, and gives one list of what is measured:
`gist_mcp.scale.metrics.PrometheusSink` is the only sink.
"""

from __future__ import annotations

from typing import Protocol


class Sink(Protocol):
    """Receives every measurement."""

    def operation(self, method: str, tool: str, outcome: str, seconds: float) -> None:
        """One MCP request or notification handled (`tool` is "" outside tools/call)."""
        ...

    def gist_request(self, method: str, status: str) -> None:
        """One attempt sent to Gist: its HTTP status, or "transport_error"."""
        ...

    def rate_limit_wait(self, seconds: float) -> None:
        """How long one attempt waited for a rate-limit slot (0 when one was free)."""
        ...

    def webhook_delivery(self, outcome: str) -> None:
        """One webhook delivery: "stored", "duplicate", or the refusal's HTTP status."""
        ...


_sink: Sink | None = None


def install(sink: Sink | None) -> None:
    """Send measurements to `sink` from now on (None: stop measuring)."""
    global _sink
    _sink = sink


def operation(method: str, tool: str, outcome: str, seconds: float) -> None:
    if _sink is not None:
        _sink.operation(method, tool, outcome, seconds)


def gist_request(method: str, status: str) -> None:
    if _sink is not None:
        _sink.gist_request(method, status)


def rate_limit_wait(seconds: float) -> None:
    if _sink is not None:
        _sink.rate_limit_wait(seconds)


def webhook_delivery(outcome: str) -> None:
    if _sink is not None:
        _sink.webhook_delivery(outcome)
