"""An in-package emulator of the Gist REST API, hand-written from ``gist-api.md``.

It is the second, independent witness for the client: it serves the current API (contacts, tags,
segments, campaigns, events) strictly in the recommended shapes of that reference, so a wrong path
or field in the client fails a test. Use it in memory through ``httpx.ASGITransport(app=emu.app)``
(tests, ``gist-mcp --sandbox``) or on a loopback socket with ``emu.serve()``.
"""

from .app import GistEmulator, serve_asgi
from .faults import FAULT_KINDS, Fault, FaultKind, Faults
from .recording import RecordedRequest
from .webhooks import TOPICS, Payload, Topic, WebhookSink

__all__ = [
    "FAULT_KINDS",
    "TOPICS",
    "Fault",
    "FaultKind",
    "Faults",
    "GistEmulator",
    "Payload",
    "RecordedRequest",
    "Topic",
    "WebhookSink",
    "serve_asgi",
]
