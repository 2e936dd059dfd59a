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

import importlib
from typing import TYPE_CHECKING, Any

from gist_mcp.webhooks.config import WebhookSettings, data_dir_from_env

if TYPE_CHECKING:
    from gist_mcp.webhooks.events import (
        MAX_EVENT_BYTES,
        MAX_NESTING_DEPTH,
        PayloadRefused,
        WebhookEvent,
        accept,
        event_id,
        event_topic,
    )
    from gist_mcp.webhooks.receiver import (
        SIGNATURE_HEADER,
        hide_token_in_access_log,
        receiver_routes,
        serve_receiver,
        signature,
        signature_matches,
    )
    from gist_mcp.webhooks.store import (
        MAX_LISTING_BYTES,
        MAX_STORE_BYTES,
        EventPage,
        SqliteWebhookStore,
        WebhookStore,
        store_from_settings,
    )

_LAZY = {
    "events": (
        "MAX_EVENT_BYTES",
        "MAX_NESTING_DEPTH",
        "PayloadRefused",
        "WebhookEvent",
        "accept",
        "event_id",
        "event_topic",
    ),
    "receiver": (
        "SIGNATURE_HEADER",
        "hide_token_in_access_log",
        "receiver_routes",
        "serve_receiver",
        "signature",
        "signature_matches",
    ),
    "store": (
        "MAX_LISTING_BYTES",
        "MAX_STORE_BYTES",
        "EventPage",
        "SqliteWebhookStore",
        "WebhookStore",
        "store_from_settings",
    ),
}
"""The submodule each name comes from; each loads on first use. Only the settings load with the package:
a server validates them at start, but loads the store, event and SQLite modules only when its store is
first used, and a server without the receiver (no webhooks toolset, stdio without `--webhook-port`)
never loads its module, Starlette app and uvicorn runner."""
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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
