"""The Watch Events hub on its own: how it shows itself, when it is off, and the sandbox's signed delivery."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gist_mcp.watch import WebhookHub, deliver_in_process, hub_from_env
from gist_mcp.webhooks import WebhookSettings

pytestmark = pytest.mark.anyio

TOKEN = "hub-token-canary-0123456789abcdef"
SECRET = "hub-secret-canary-fedcba9876543210"


def test_repr_names_the_folder_and_never_the_token_or_secret(tmp_path: Path) -> None:
    hub = WebhookHub(WebhookSettings(token=TOKEN, secret=SECRET, data_dir=tmp_path), listen=("127.0.0.1", 0))
    assert repr(hub) == f"WebhookHub(data_dir={str(tmp_path)!r}, listen=('127.0.0.1', 0))"


def test_an_unusable_data_folder_turns_watch_events_off_with_a_warning(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    clean_env.setenv("GIST_MCP_DATA_DIR", str(blocker / "data"))
    assert hub_from_env(sandbox=False) is None
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().startswith("Webhook events are off: cannot prepare the data folder (")


async def test_the_sandbox_signs_what_it_delivers_when_a_secret_is_set(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hub = WebhookHub(WebhookSettings(token=TOKEN, secret=SECRET, data_dir=tmp_path))
    deliver = deliver_in_process(hub)
    async with hub.running(notify=_ignore):
        await deliver({"id": "signed-1", "topic": "contact.created"})
        stored = (await hub.store.list()).events
    assert [event.payload for event in stored] == [{"id": "signed-1", "topic": "contact.created"}]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def _ignore(_uri: str) -> None:
    return None
