"""Shared fixtures: an emulator per test, a server wired to it in memory, MCP clients in both eras."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import hypothesis
import pytest
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr
from services import database_url, key_prefix, redis_url  # noqa: F401 - fixtures for every test file
from virtual_time import VirtualTimeLoop, unix_time

from gist_mcp.catalog import TOOLSET_NAMES
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer, create_server
from gist_mcp.settings import Settings

CANARY_KEY = "sk_canary_3f9a1c7e5b2d"
"""The API key every test uses: it must never show up in a result, an error or a log line."""
BASE_URL = "http://gist.test"
MODES = ["legacy", "auto"]
"""The 2025-11-25 handshake era and the stateless 2026-07-28 era."""

# Property tests: in CI (the CI variable set) the same examples every run, and a failure prints the blob that
# replays it (`@reproduce_failure`); locally random, so new inputs keep being tried. Loaded here, before any
# test module builds its own `settings(...)`, which inherit from the profile in force.
hypothesis.settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis.settings.register_profile("dev", print_blob=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "dev")

SPARE_WORKERS = 1
"""`-n auto` (pyproject's addopts) starts one pytest-xdist worker per core the process may use, plus this
many: the quick suite is mostly CPU, with a little waiting on sockets. Measured on 2 cores: 3 workers ran
it in 24-26 s, 4 in 28-32 s (each worker collects and imports everything: ~4 CPU-seconds)."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers `-n auto` means here (see SPARE_WORKERS)."""
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0)) + SPARE_WORKERS
    return (os.cpu_count() or 1) + SPARE_WORKERS  # macOS and Windows have no affinity call


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        help="also run the tests marked slow (each starts a process or takes seconds: servers over stdio and HTTP, "
        "the CLI, replicas, agent SDK scripts, a browser); CI always does",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without --slow the tests marked slow are deselected: the default run is the quick one."""
    if config.getoption("--slow"):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


def pytest_report_header(config: pytest.Config) -> str | None:
    return None if config.getoption("--slow") else "tests marked slow are deselected: `pytest --slow` runs them too"


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str | tuple[str, dict[str, Any]]:
    """asyncio; on virtual time (tests/virtual_time.py) for tests marked `virtual_time`."""
    if request.node.get_closest_marker("virtual_time") is not None:
        return ("asyncio", {"loop_factory": VirtualTimeLoop})
    return "asyncio"


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test doubles as a leak check: no log line may contain the canary key."""
    caplog.set_level(logging.DEBUG)
    yield
    leaked = [r.getMessage() for r in caplog.records if CANARY_KEY in r.getMessage()]
    assert not leaked, f"API key leaked into logs: {leaked}"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No GIST_* variable from the outer environment; a private data folder."""
    for name in list(os.environ):
        if name.startswith("GIST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GIST_MCP_DATA_DIR", str(tmp_path))
    return monkeypatch


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> GistEmulator:
    virtual = request.node.get_closest_marker("virtual_time") is not None
    return GistEmulator(api_keys=(CANARY_KEY,), clock=unix_time if virtual else None)


@pytest.fixture
async def gist(emulator: GistEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the in-memory emulator with the canary key, for tests of the emulator's own answers."""
    transport = httpx.ASGITransport(app=emulator.app)
    headers = {"Authorization": f"Bearer {CANARY_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as http:
        yield http


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    """An emulator error answer as (status, code, message) from its `errors` envelope (exactly one error)."""
    (error,) = response.json()["errors"]
    return response.status_code, error["code"], error["message"]


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


def strict_json(text: str) -> Any:
    """`text` parsed as JSON proper: encodable as UTF-8, and no NaN or Infinity (json.loads takes them)."""
    return json.loads(text.encode(), parse_constant=_not_json)  # encode(): a lone surrogate raises


class SettableClock:
    """A clock a test moves by hand (`clock.now += 60`): for the emulator, the rate limiter, timestamps."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


FOREIGN_CURSOR = (
    "cursor: it belongs to a different listing (other tool or filters); "
    "repeat the call with the same filters, or omit cursor to start over."
)
"""The whole error for a cursor handed to another listing: what it is, and the two ways on."""


def settings_for(**changes: Any) -> Settings:
    """Settings pointing at the in-memory emulator with the canary key, every toolset on unless changed."""
    every = frozenset(TOOLSET_NAMES)
    return Settings(api_key=SecretStr(CANARY_KEY), base_url=BASE_URL, toolsets=every).replace(**changes)


@pytest.fixture
def make_server(emulator: GistEmulator) -> Callable[..., GistServer]:
    def make(**changes: Any) -> GistServer:
        return create_server(settings_for(**changes), transport=httpx.ASGITransport(app=emulator.app))

    return make


@pytest.fixture(params=MODES)
async def client(request: pytest.FixtureRequest, make_server: Callable[..., GistServer]) -> AsyncIterator[Client]:
    async with Client(make_server(), mode=request.param, cache=None) as connected:
        yield connected


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; check the text block mirrors structuredContent; return it."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, error_text(result)
    assert result.structured_content is not None
    assert json.loads(text_of(result)) == result.structured_content
    assert CANARY_KEY not in text_of(result)
    return result.structured_content


async def call_error(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """Call a tool that must fail; return the error text the model reads."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {result.structured_content}"
    text = error_text(result)
    assert CANARY_KEY not in text
    assert "Traceback" not in text
    return text


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def error_text(result: CallToolResult) -> str:
    return text_of(result)
