"""Hypothesis fuzzing of webhook bodies through the real receiver app and back out through MCP.

Random unicode (lone surrogates included, as JSON escapes and as raw bytes), deep nesting, huge and
non-finite numbers and arbitrary bytes: the receiver never answers 5xx, and every event it
acknowledged lists and reads back as valid JSON (strictly: no NaN or Infinity) through MCP.

One server, one MCP client and one receiver client per module run in a blocking portal, so that
hypothesis can drive many examples quickly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import CANARY_KEY, settings_for, strict_json
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import TextContent, TextResourceContents
from starlette.applications import Starlette

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server
from gist_mcp.watch import WebhookHub
from gist_mcp.webhooks import WebhookSettings

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
TOKEN = "fuzz-webhook-token-0123456789"


@dataclass
class Rig:
    portal: BlockingPortal
    client: Client
    receiver: httpx.AsyncClient
    path: str

    def post(self, body: bytes) -> httpx.Response:
        return self.portal.call(lambda: self.receiver.post(self.path, content=body))

    def tool_text(self, arguments: dict[str, Any]) -> str:
        result = self.portal.call(self.client.call_tool, "list_webhook_events", arguments)
        assert not result.is_error, result
        [content] = result.content
        assert isinstance(content, TextContent)
        return content.text

    def resource_text(self, uri: str) -> str:
        [contents] = self.portal.call(self.client.read_resource, uri).contents
        assert isinstance(contents, TextResourceContents)
        return contents.text


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    hub = WebhookHub(WebhookSettings(token=TOKEN, data_dir=data_dir))
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)
    receiver_app = Starlette(routes=hub.routes())
    receiver = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver_app), base_url="http://receiver")
    with start_blocking_portal("asyncio") as portal, portal.wrap_async_context_manager(Client(server, cache=None)) as c:
        yield Rig(portal, c, receiver, hub.settings.receiver_path)
        portal.call(receiver.aclose)


LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
# Hypothesis's text() leaves surrogates out even from an alphabet that has them: splice them in.
text = st.lists(
    st.text(st.characters(exclude_categories=()), max_size=4) | st.sampled_from(LONE_SURROGATES), max_size=4
).map("".join)
number = (
    st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e308, -1.7976931348623157e308, 5e-324, -0.0, float("inf"), float("nan")])
)
json_value = st.recursive(
    st.none() | st.booleans() | number | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
deep = st.integers(min_value=1, max_value=60).map(lambda depth: {"deep": json.loads("[" * depth + "]" * depth)})


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A body as a sender might post it: JSON escaped, raw UTF-8 (surrogates as invalid bytes), or junk."""
    kind = draw(st.sampled_from(["escaped", "escaped", "escaped", "raw", "bytes", "literal"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "literal":  # number and nesting text json.dumps would never write
        literal = draw(st.sampled_from(["1e400", "-1e999", "NaN", "Infinity", "9" * 4400, "[" * 3000]))
        return f'{{"n": {literal}}}'.encode()
    payload = draw(st.dictionaries(text, json_value | deep, max_size=5))
    if kind == "escaped":
        return json.dumps(payload).encode()
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.mark.slow
@FUZZ
@given(body=bodies())
def test_hostile_bodies_never_5xx_and_what_is_acknowledged_reads_back_as_json(rig: Rig, body: bytes) -> None:
    response = rig.post(body)
    event(f"HTTP {response.status_code}")

    assert response.status_code in (200, 400, 413), response.text
    if response.status_code != 200:
        assert response.json()["error"]
        return
    event_id = response.json()["id"]
    one = strict_json(rig.resource_text(f"gist://webhook-events/{event_id}"))
    assert one["id"] == event_id
    listed = strict_json(rig.tool_text({"limit": 100}))
    assert event_id in [event["id"] for event in listed["webhook_events"]]
    assert strict_json(rig.resource_text("gist://webhook-events"))["count"] >= 1
