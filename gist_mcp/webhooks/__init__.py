"""Gist webhooks ("Watch Events"): receive them over HTTP and keep them durably for the assistant.

```python
settings = WebhookSettings.from_env()
async with WebhookStore.from_settings(settings) as store:
    routes = receiver_routes(store, settings)          # beside /mcp in the HTTP app, or
    await serve_receiver(store, settings, port=8765)   # a listener of its own in stdio mode
    events = await store.wait(timeout=30)              # also sees events other processes stored
```
"""

from gist_mcp.webhooks.config import WebhookSettings, data_dir_from_env
from gist_mcp.webhooks.events import WebhookEvent, event_id, event_topic
from gist_mcp.webhooks.receiver import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    OnEvent,
    hide_token_in_access_log,
    receiver_routes,
    serve_receiver,
    signature,
    signature_matches,
)
from gist_mcp.webhooks.store import WebhookStore

__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "OnEvent",
    "WebhookEvent",
    "WebhookSettings",
    "WebhookStore",
    "data_dir_from_env",
    "event_id",
    "event_topic",
    "hide_token_in_access_log",
    "receiver_routes",
    "serve_receiver",
    "signature",
    "signature_matches",
]
