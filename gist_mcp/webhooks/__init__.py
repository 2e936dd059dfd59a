"""Gist webhooks ("Watch Events"): receive them over HTTP and keep them durably for the assistant.

```python
settings = WebhookSettings.from_env()
store = store_from_settings(settings)                  # SQLite, or PostgreSQL with GIST_MCP_DATABASE_URL
await store.open()
try:
    routes = receiver_routes(store, settings)          # beside /mcp in the HTTP app, or
    await serve_receiver(store, settings, port=8765)   # a listener of its own in stdio mode
    events = await store.wait(timeout=30)              # also sees events other processes stored
finally:
    await store.close()
```
"""

from typing import TYPE_CHECKING, Any

from gist_mcp.webhooks.config import WebhookSettings, data_dir_from_env
from gist_mcp.webhooks.events import (
    MAX_EVENT_BYTES,
    MAX_NESTING_DEPTH,
    PayloadRefused,
    WebhookEvent,
    accept,
    event_id,
    event_topic,
)
from gist_mcp.webhooks.store import (
    MAX_LISTING_BYTES,
    MAX_STORE_BYTES,
    EventPage,
    SqliteWebhookStore,
    WebhookStore,
    store_from_settings,
)

if TYPE_CHECKING:
    from gist_mcp.webhooks.receiver import (
        SIGNATURE_HEADER,
        hide_token_in_access_log,
        receiver_routes,
        serve_receiver,
        signature,
        signature_matches,
    )

_RECEIVER_NAMES = frozenset(
    {
        "SIGNATURE_HEADER",
        "hide_token_in_access_log",
        "receiver_routes",
        "serve_receiver",
        "signature",
        "signature_matches",
    }
)
"""Names of `receiver`, which loads on first use: a server without the receiver (no webhooks toolset,
stdio without `--webhook-port`) never pays for its module, Starlette app and uvicorn runner."""


def __getattr__(name: str) -> Any:
    if name in _RECEIVER_NAMES:
        from gist_mcp.webhooks import receiver

        return getattr(receiver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_LISTING_BYTES",
    "MAX_NESTING_DEPTH",
    "MAX_STORE_BYTES",
    "SIGNATURE_HEADER",
    "EventPage",
    "PayloadRefused",
    "SqliteWebhookStore",
    "WebhookEvent",
    "WebhookSettings",
    "WebhookStore",
    "accept",
    "data_dir_from_env",
    "event_id",
    "event_topic",
    "hide_token_in_access_log",
    "receiver_routes",
    "serve_receiver",
    "signature",
    "signature_matches",
    "store_from_settings",
]
