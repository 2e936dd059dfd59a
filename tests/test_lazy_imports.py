"""Start-up imports only what the mode needs: checked in a fresh interpreter, as `gist-mcp` starts.

The MCP SDK itself imports Starlette and uvicorn, so those are not checked; gist-mcp's own optional
parts are: the emulator (sandbox only), the HTTP app (HTTP transport only) and the webhook receiver
(HTTP transport, `--webhook-port` or the sandbox's in-process deliveries only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from processes import probe

OPTIONAL = (
    "gist_mcp.emulator",
    "gist_mcp.http_app",
    "gist_mcp.webhooks.receiver",
    "gist_mcp._serve",
    "httpx",
    "gist_mcp.webhooks.store",
    "gist_mcp.webhooks.events",
    "sqlite3",
    "platformdirs",
    "gist_mcp.confirm",
)
"""Modules a stdio server with a real key does not load to start: httpx loads with its first Gist request, the
webhook store (and SQLite) with the store's first use, platformdirs only without `GIST_MCP_DATA_DIR`,
`confirm` with the first destructive call."""
THIRD_PARTY = ("httpx", "sqlite3", "platformdirs")
PROBE = f"""
import json, sys
from gist_mcp.cli import build_parser, build_server, load_settings
args = build_parser().parse_args(sys.argv[1:])
build_server(load_settings(args))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("gist_mcp") or m in {THIRD_PARTY!r})))
"""


def loaded_after_building(*argv: str, data_dir: Path) -> set[str]:
    """The gist_mcp and THIRD_PARTY modules loaded once `gist-mcp <argv>` has built its server (nothing served)."""
    env = {"GIST_API_KEY": "lazy-key", "GIST_MCP_DATA_DIR": str(data_dir)}
    return set(probe(PROBE, *argv, folder=data_dir, env=env))


@pytest.mark.slow
@pytest.mark.parametrize("argv", [(), ("--toolsets", "all"), ("--toolsets", "users")], ids=str)
def test_stdio_with_a_real_key_loads_none_of_the_optional_parts(argv: tuple[str, ...], tmp_path: Path) -> None:
    loaded = loaded_after_building(*argv, data_dir=tmp_path)
    assert "gist_mcp.server" in loaded
    assert not loaded & set(OPTIONAL), sorted(loaded & set(OPTIONAL))


@pytest.mark.slow
def test_the_sandbox_loads_the_emulator_and_the_receiver_it_delivers_through(tmp_path: Path) -> None:
    loaded = loaded_after_building("--sandbox", data_dir=tmp_path)
    assert {"gist_mcp.emulator", "gist_mcp.webhooks.receiver"} <= loaded
    assert "gist_mcp.http_app" not in loaded


def test_the_lazily_loaded_names_still_come_from_the_package() -> None:
    import gist_mcp.webhooks as webhooks
    from gist_mcp.webhooks import receiver, store

    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None
    assert set(webhooks.__all__) == {"WebhookSettings", "data_dir_from_env", *webhooks._MODULE_OF}  # pyright: ignore[reportPrivateUsage]
    assert webhooks.receiver_routes is receiver.receiver_routes
    assert webhooks.store_from_settings is store.store_from_settings
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = webhooks.no_such_name  # type: ignore[attr-defined]


COLLECTOR_PROBE = """
import gc, json, sys
import gist_mcp.server as server
seen = {}
build = server.create_server
def create_server(*args, **kwargs):
    seen["paused_while_building"] = not gc.isenabled()
    return build(*args, **kwargs)
def run(self, *args, **kwargs):
    seen.update(enabled_when_serving=gc.isenabled(), start_frozen=gc.get_freeze_count() > 0)
    print(json.dumps(seen))
server.create_server = create_server
server.GistServer.run = run
sys.argv = ["gist-mcp", *sys.argv[1:]]
from gist_mcp.__main__ import main
main()
"""


@pytest.mark.slow
def test_the_command_builds_with_the_collector_paused_and_serves_with_it_on(tmp_path: Path) -> None:
    """`gist-mcp` pauses the garbage collector for its start (~60 ms of walks that free next to nothing), then
    freezes what the start built and turns it back on before serving: a server never runs without it."""
    env = {"GIST_API_KEY": "gc-key", "GIST_MCP_DATA_DIR": str(tmp_path)}
    seen = probe(COLLECTOR_PROBE, folder=tmp_path, env=env)
    assert seen == {"paused_while_building": True, "enabled_when_serving": True, "start_frozen": True}
