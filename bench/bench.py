"""Benchmarks of gist-mcp against its floors, side by side in one run: `PYTHONPATH=. python bench/bench.py`.

(Run from the checkout's root: `PYTHONPATH=.` makes this process import the checkout's gist_mcp, as
the `python -m gist_mcp` subprocesses it starts there do.)

Prints ratios next to their targets, never asserts them (figures depend on the machine; see
bench/RESULTS.md). Every floor runs in the same process and run as what it is compared with,
interleaved, and medians are compared:

* the loopback floor: `GET /contacts/{id}` to the emulator vs the same GET to a bare Starlette app,
  both served by `gist_mcp._serve.serve_asgi` (the one uvicorn runner), with httpx;
* cold start to a completed `tools/list` over stdio: `python -m gist_mcp` (a real key, default
  toolsets) and `--sandbox` vs a one-tool `MCPServer` script launched the same way, and vs that script
  started with the garbage collector paused as gist-mcp starts (what gist-mcp's own code costs);
* per call: `get_user` via `mcp.Client` (in memory, and over stdio to a subprocess) vs a bare
  one-tool `MCPServer` whose tool makes the same GET with httpx (in memory and over stdio), against
  the emulator on a loopback socket; plus the stdio server's peak RSS after the run;
* while Gist takes 50 ms per request: `list_users` limit=1000, `tag_contacts` of 500 contacts and
  `import_contacts` of 5,000 records vs sequential httpx loops doing the same work, with the most
  requests Gist saw in any 10 s window and the 429s it sent;
* the size of `tools/list`.

Takes one to two minutes on a quiet machine; `--only cold-start` (repeatable) runs one section.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import logging
import os
import platform
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pydantic
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import gist_mcp
from gist_mcp._serve import serve_asgi
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server
from gist_mcp.settings import Settings

KEY = "bench-key"
LATENCY = 0.05
FLOOR_SERVER = '''\
from mcp.server import MCPServer

mcp = MCPServer("floor", version="0.0.1")


@mcp.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    mcp.run()
'''
PAUSED_FLOOR_SERVER = "import gc\n\ngc.disable()\n" + FLOOR_SERVER.replace(
    "    mcp.run()", "    gc.freeze()\n    gc.enable()\n    mcp.run()"
)
"""The floor started the way `gist-mcp` starts (gist_mcp/__main__.py): the collector paused while it imports
and builds, then its objects frozen and the collector back on to serve."""
BARE_TOOL_SERVER = '''\
"""A bare one-tool MCPServer doing get_user's GET: the per-call floor (in memory via build(), or on stdio)."""

import logging
import os
from typing import Any

import httpx
from mcp.server import MCPServer

logging.getLogger("httpx").setLevel(logging.WARNING)  # no request lines on stderr, as gist-mcp logs none


def build(base_url: str, key: str) -> MCPServer:
    http = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"})
    server = MCPServer("bare", version="0.0.1")

    @server.tool()
    async def get_user(id: int) -> dict[str, Any]:
        """Get one contact by Gist id."""
        response = await http.get(f"/contacts/{id}")
        response.raise_for_status()
        return response.json()

    return server


if __name__ == "__main__":
    build(os.environ["GIST_API_BASE_URL"], os.environ["GIST_API_KEY"]).run()
'''
HANDSHAKE = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def show(label: str, value: str) -> None:
    print(f"  {label:<52} {value}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def ratio(ours: float, floor: float, target: str) -> str:
    return f"{ours / floor:.2f}x (target {target})"


def speed_up(floor: float, ours: float, target: str = "") -> str:
    return f"{floor / ours:.2f}x faster" + (f" (target {target})" if target else "")


async def timed(n: int, fn: Callable[[], Awaitable[object]]) -> list[float]:
    times: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return times


async def timed_collected(fn: Callable[[], Awaitable[object]]) -> list[float]:
    """One timed run of `fn` after a full garbage collection (untimed), as `timeit` keeps collections out of
    what it times: by the latency section this process holds three populated emulators, and a collection of
    that heap landing inside one ~150 ms run had moved the median of three by 20%."""
    gc.collect()
    return await timed(1, fn)


async def interleaved(
    calls: int, ours: Callable[[], Awaitable[object]], floor: Callable[[], Awaitable[object]]
) -> tuple[float, float]:
    """Medians of `calls` runs each of `ours` and `floor`, after a warm-up, alternating call by call.

    Each pair runs within a millisecond or two, so the machine's drift (other tenants, frequency changes)
    weighs on both alike; alternating blocks of 200 calls had let one run's ratio differ from the next by 10%.
    """
    await timed(10, floor)
    await timed(10, ours)
    ours_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(calls):
        floor_times += await timed(1, floor)
        ours_times += await timed(1, ours)
    return statistics.median(ours_times), statistics.median(floor_times)


# --- the loopback floor --------------------------------------------------------------------------


def bare_app(body: dict[str, Any]) -> Starlette:
    """A Starlette app answering `GET /contacts/{id}` with `body`: no routing table, auth or latency."""

    async def contact(request: Request) -> JSONResponse:
        return JSONResponse(body)

    return Starlette(routes=[Route("/contacts/{id:int}", contact)])


async def bench_loopback(calls: int) -> dict[str, float]:
    print(f"loopback floor: GET /contacts/{{id}} with httpx ({calls} calls each, interleaved, medians)")
    emulator = GistEmulator(api_keys=(KEY,), rate_limit=None)
    contact_id = next(c["id"] for c in emulator.contacts.values() if c.get("type") == "user")
    headers = {"Authorization": f"Bearer {KEY}"}
    async with emulator.serve() as emulator_url, httpx.AsyncClient(base_url=emulator_url, headers=headers) as http:
        body = (await http.get(f"/contacts/{contact_id}")).json()
        async with serve_asgi(bare_app(body)) as bare_url, httpx.AsyncClient(base_url=bare_url) as bare:

            async def to_emulator() -> None:
                (await http.get(f"/contacts/{contact_id}")).raise_for_status()

            async def to_bare() -> None:
                (await bare.get(f"/contacts/{contact_id}")).raise_for_status()

            ours, floor = await interleaved(calls, to_emulator, to_bare)
    show("the emulator", ms(ours))
    show("a bare Starlette app, same runner (floor)", ms(floor))
    show("ratio", f"{ours / floor:.2f}x")
    return {"emulator": ours, "bare": floor}


# --- cold start ----------------------------------------------------------------------------------


def cold_start(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning `argv` to the `tools/list` answer on its stdout (classic handshake)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write("".join(json.dumps(m) + "\n" for m in HANDSHAKE).encode())
        process.stdin.flush()
        for line in process.stdout:
            message = json.loads(line)
            if message.get("id") == 2:
                assert message["result"]["tools"], message
                return time.perf_counter() - started
        raise RuntimeError(f"{argv} ended without answering tools/list")
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bench_cold_start(runs: int) -> dict[str, float]:
    print(f"cold start to tools/list over stdio ({runs} interleaved runs each, medians)")
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp, "floor_server.py")
        floor.write_text(FLOOR_SERVER)
        paused_floor = Path(tmp, "paused_floor_server.py")
        paused_floor.write_text(PAUSED_FLOOR_SERVER)
        env = {**os.environ, "GIST_API_KEY": KEY, "GIST_MCP_DATA_DIR": tmp}
        argvs = {
            "gist-mcp": [sys.executable, "-m", "gist_mcp"],
            "gist-mcp --sandbox": [sys.executable, "-m", "gist_mcp", "--sandbox"],
            "floor": [sys.executable, str(floor)],
            "paused floor": [sys.executable, str(paused_floor)],
        }
        # pip compiles an installed package's bytecode; a checkout run where PYTHONDONTWRITEBYTECODE is
        # set (this machine sets it) would compile every gist_mcp module again at each start (~20 ms).
        compileall.compile_dir(Path(gist_mcp.__file__).parent, quiet=1)
        for argv in argvs.values():
            cold_start(argv, env)  # warm the OS file cache
        times: dict[str, list[float]] = {name: [] for name in argvs}
        for _ in range(runs):
            for name, argv in argvs.items():
                times[name].append(cold_start(argv, env))
    result = {name: statistics.median(values) for name, values in times.items()}
    show("one-tool MCPServer (floor)", ms(result["floor"]))
    show("gist-mcp (real key, default toolsets)", ms(result["gist-mcp"]))
    show("  ratio", ratio(result["gist-mcp"], result["floor"], "<= 1.05x"))
    show("gist-mcp --sandbox (emulator and demo data)", ms(result["gist-mcp --sandbox"]))
    show("  ratio", ratio(result["gist-mcp --sandbox"], result["floor"], "<= 1.05x"))
    # gist-mcp pauses the garbage collector while it starts (gist_mcp/__main__.py); so can any server. Against a
    # floor started the same way, the ratio is what gist-mcp's own imports and work cost.
    show("one-tool MCPServer, collector paused likewise", ms(result["paused floor"]))
    show("  gist-mcp / that floor", f"{result['gist-mcp'] / result['paused floor']:.2f}x (its own cost)")
    return result


# --- per-call overhead ---------------------------------------------------------------------------


def settings(base_url: str, **changes: Any) -> Settings:
    return Settings(api_key=SecretStr(KEY), base_url=base_url).replace(**changes)


def child_peak_rss_kib(marker: str) -> int | None:
    """VmHWM of this process's child whose command line contains `marker` (Linux /proc)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = stat.rsplit(")", 1)[1].split()[1]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if ppid == me and marker in cmdline:
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except (OSError, IndexError):
            continue
    return None


async def bench_per_call(calls: int) -> dict[str, float]:
    print(f"per call: get_user vs a bare one-tool MCPServer making the same GET ({calls} calls each, medians)")
    emulator = GistEmulator(api_keys=(KEY,), rate_limit=None)
    contact_id = next(c["id"] for c in emulator.contacts.values() if c.get("type") == "user")
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bare_script = Path(tmp, "bare_tool_server.py")
        await anyio.Path(bare_script).write_text(BARE_TOOL_SERVER)
        async with emulator.serve() as base_url:
            server = create_server(settings(base_url, rate_limit=(1_000_000, 1.0)))
            bare_server = runpy.run_path(str(bare_script), run_name="bare_tool_server")["build"](base_url, KEY)
            async with (
                Client(server, mode="legacy", cache=None) as client,
                Client(bare_server, mode="legacy", cache=None) as bare,
            ):
                result["memory"], result["memory_floor"] = await interleaved(
                    calls, tool_call(client, {"user": {"id": contact_id}}), tool_call(bare, {"id": contact_id})
                )
            show("bare one-tool MCPServer in memory (floor)", ms(result["memory_floor"]))
            show("get_user via mcp.Client in memory", ms(result["memory"]))
            show("  ratio", ratio(result["memory"], result["memory_floor"], "<= 1.15x"))

            env = {**os.environ, "GIST_API_KEY": KEY, "GIST_API_BASE_URL": base_url, "GIST_MCP_DATA_DIR": tmp}
            ours_params = StdioServerParameters(
                command=sys.executable, args=["-m", "gist_mcp"], env={**env, "GIST_RATE_LIMIT": "1000000/1"}
            )
            bare_params = StdioServerParameters(command=sys.executable, args=[str(bare_script)], env=env)
            async with (
                Client(ours_params, mode="legacy", cache=None) as stdio,
                Client(bare_params, mode="legacy", cache=None) as bare_stdio,
            ):
                result["stdio"], result["stdio_floor"] = await interleaved(
                    calls, tool_call(stdio, {"user": {"id": contact_id}}), tool_call(bare_stdio, {"id": contact_id})
                )
                rss = child_peak_rss_kib("gist_mcp")
                bare_rss = child_peak_rss_kib("bare_tool_server")
    show("bare one-tool MCPServer over stdio (floor)", ms(result["stdio_floor"]))
    show("get_user via mcp.Client over stdio", ms(result["stdio"]))
    show("  ratio", ratio(result["stdio"], result["stdio_floor"], "<= 1.15x"))
    if rss is not None:
        result["stdio_peak_rss_mib"] = rss / 1024
        show("gist-mcp stdio server peak RSS after the run", f"{rss / 1024:.1f} MiB (target <= 80 MiB)")
    if bare_rss is not None:
        show("bare one-tool server peak RSS after the run", f"{bare_rss / 1024:.1f} MiB")
    return result


def tool_call(client: Client, arguments: dict[str, Any]) -> Callable[[], Awaitable[None]]:
    """One `get_user` call through `client`, checked."""

    async def call() -> None:
        answer = await client.call_tool("get_user", arguments)
        assert not answer.is_error, answer.content

    return call


# --- listing and tagging under latency -----------------------------------------------------------


class Stamps:
    """ASGI wrapper recording the monotonic time of every request Gist receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.times: list[float] = []
        self.statuses: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.times.append(time.monotonic())

        async def spy(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            await send(message)

        await self.app(scope, receive, spy)

    def max_in_window(self, window: float = 10.0) -> int:
        times = sorted(self.times)
        best = 0
        start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best


def populated_emulator(rate_limit: tuple[int, float] | None, contacts: int = 1100) -> tuple[GistEmulator, Stamps]:
    """An emulator with 50 ms latency and `contacts` more users, recording when Gist receives each request."""
    emulator = GistEmulator(api_keys=(KEY,), latency=LATENCY, rate_limit=rate_limit)
    for n in range(contacts):
        emulator.add_contact(user_id=f"bench_{n}", email=f"bench{n}@example.com", name=f"Bench {n}")
    stamps = Stamps(emulator.app)
    emulator.app = stamps  # type: ignore[assignment]  # serve() serves whatever `app` is
    return emulator, stamps


async def bench_under_latency(runs: int) -> dict[str, float]:
    print(f"under {LATENCY * 1000:.0f} ms Gist latency ({runs} runs each, medians)")
    # The client path and the server-side path each get their own Gist (and server, so their own rate limiter):
    # 3 runs of a 21-request listing, a warm-up and (on the client's) 3 tag runs of 10 requests all fit one
    # 100-requests-per-10-s window, so no run measures a wait for budget that an earlier run used up.
    ours_emu, ours_stamps = populated_emulator((100, 10.0))
    direct_emu, direct_stamps = populated_emulator((100, 10.0))
    floor_emu, _ = populated_emulator(None)
    user_ids = [c["id"] for c in ours_emu.contacts.values() if str(c.get("user_id", "")).startswith("bench_")][:500]
    result: dict[str, float] = {}
    async with ours_emu.serve() as ours_url, direct_emu.serve() as direct_url, floor_emu.serve() as floor_url:
        server = create_server(settings(ours_url))  # default 100 requests / 10 s, like the emulator
        direct_server = create_server(settings(direct_url))
        headers = {"Authorization": f"Bearer {KEY}"}
        async with (
            Client(server, mode="legacy", cache=None) as client,
            httpx.AsyncClient(base_url=floor_url, headers=headers) as http,
        ):

            async def list_tool() -> None:
                answer = await client.call_tool("list_users", {"limit": 1000})
                assert not answer.is_error, answer.content
                assert answer.structured_content
                assert answer.structured_content["count"] == 1000

            async def list_loop() -> None:
                users: list[dict[str, Any]] = []
                page = 1
                while len(users) < 1000:
                    response = await http.get("/contacts", params={"page": page, "per_page": 50})
                    response.raise_for_status()
                    data = response.json()
                    users += [c for c in data["contacts"] if c.get("type") == "user"][: 1000 - len(users)]
                    if not data["pages"].get("next"):
                        break
                    page += 1
                assert len(users) == 1000

            async def list_execute() -> None:
                # The server's own work (the tool call up to its CallToolResult) without the SDK
                # client, whose jsonschema check of the 1000-item result costs tens of ms of CPU.
                answer = await direct_server.call_tool("list_users", {"limit": 1000})
                assert isinstance(answer, CallToolResult)  # not a confirmation round: list_users asks nothing
                assert answer.structured_content
                assert answer.structured_content["count"] == 1000

            contacts = [{"id": i} for i in user_ids]

            async def tag_tool() -> None:
                answer = await client.call_tool("tag_contacts", {"tag": "bench", "contacts": contacts})
                assert not answer.is_error, answer.content
                assert answer.structured_content
                assert answer.structured_content["tagged"] == 500

            async def tag_loop() -> None:
                for i in range(0, len(contacts), 50):
                    response = await http.post("/tags", json={"name": "bench", "contacts": contacts[i : i + 50]})
                    response.raise_for_status()

            # First calls load the toolset's module, build its models' validators and compile the client's
            # output-schema check: one request each, outside the timing.
            await client.call_tool("list_users", {"limit": 10})
            await direct_server.call_tool("list_users", {"limit": 10})
            list_ours, list_floor, list_server, tag_ours, tag_floor = [], [], [], [], []
            for _ in range(runs):
                list_floor += await timed_collected(list_loop)
                list_ours += await timed_collected(list_tool)
                list_server += await timed_collected(list_execute)
            for _ in range(runs):
                tag_floor += await timed_collected(tag_loop)
                tag_ours += await timed_collected(tag_tool)
            await direct_server.gist.aclose()  # called without a session, so no lifespan closes its client
    result["list_ours"], result["list_floor"] = statistics.median(list_ours), statistics.median(list_floor)
    result["tag_ours"], result["tag_floor"] = statistics.median(tag_ours), statistics.median(tag_floor)
    result["list_server"] = statistics.median(list_server)
    show("sequential httpx page loop (floor)", ms(result["list_floor"]))
    show("list_users limit=1000 via mcp.Client", ms(result["list_ours"]))
    show("  speed-up", speed_up(result["list_floor"], result["list_ours"], ">= 6x"))
    show("list_users server side only (GistServer.call_tool)", ms(result["list_server"]))
    show("  speed-up", speed_up(result["list_floor"], result["list_server"]))
    show("10 sequential POST /tags of 50 (floor)", ms(result["tag_floor"]))
    show("tag_contacts of 500 contacts via mcp.Client", ms(result["tag_ours"]))
    show("  speed-up", speed_up(result["tag_floor"], result["tag_ours"]))
    result.update(window_figures(ours_stamps, direct_stamps))
    result.update(await bench_import())
    return result


def window_figures(*gists: Stamps) -> dict[str, float]:
    """Requests, the most in any 10 s window (of any one Gist), and 429s that Gist saw from gist-mcp; printed."""
    figures: dict[str, float] = {
        "gist_requests": sum(len(stamps.times) for stamps in gists),
        "max_window": max(stamps.max_in_window() for stamps in gists),
        "gist_429s": sum(stamps.statuses.count(429) for stamps in gists),
    }
    show("requests from gist-mcp to Gist", str(figures["gist_requests"]))
    show("most requests in any 10 s window (<= 100)", str(figures["max_window"]))
    show("429s Gist sent to gist-mcp (0)", str(figures["gist_429s"]))
    return figures


IMPORT_RECORDS = 5000


async def bench_import() -> dict[str, float]:
    """`import_contacts` of 5,000 records vs a loop of `POST /contacts/batch` of 100, each one's status read once.

    The emulator completes a batch when it is submitted, so one status read each is all the loop needs.

    Once per run: the import's ~100 requests fill a 10 s rate-limit window, and a second run would
    measure the wait for the next one.
    """
    print(f"import_contacts of {IMPORT_RECORDS:,} records under {LATENCY * 1000:.0f} ms latency (1 run each)")
    ours_emu, stamps = populated_emulator((100, 10.0), contacts=0)
    floor_emu, _ = populated_emulator(None, contacts=0)
    records = [{"email": f"import{n}@example.com", "name": f"Import {n}"} for n in range(IMPORT_RECORDS)]
    async with ours_emu.serve() as ours_url, floor_emu.serve() as floor_url:
        server = create_server(settings(ours_url, toolsets=frozenset({"bulk"})))
        headers = {"Authorization": f"Bearer {KEY}"}
        async with (
            Client(server, mode="legacy", cache=None) as client,
            httpx.AsyncClient(base_url=floor_url, headers=headers) as http,
        ):

            async def import_tool() -> None:
                answer = await client.call_tool("import_contacts", {"contacts": records})
                assert not answer.is_error, answer.content
                assert answer.structured_content
                assert answer.structured_content["status"] == "done", answer.structured_content

            async def import_loop() -> None:
                for i in range(0, len(records), 100):
                    response = await http.post("/contacts/batch", json={"contacts": records[i : i + 100]})
                    response.raise_for_status()
                    batch_id = response.json()["batch_id"]
                    status = await http.get(f"/contacts/batch/{batch_id}")
                    assert status.json()["batch"]["status"] == "completed"

            (floor,) = await timed(1, import_loop)
            (ours,) = await timed(1, import_tool)
    show("50 sequential POST /contacts/batch + status (floor)", ms(floor))
    show(f"import_contacts of {IMPORT_RECORDS:,} via mcp.Client", ms(ours))
    show("  speed-up", speed_up(floor, ours))
    figures = window_figures(stamps)
    return {"import_ours": ours, "import_floor": floor, **{f"import_{k}": v for k, v in figures.items()}}


# --- tools/list size -----------------------------------------------------------------------------


async def bench_tools_list() -> dict[str, float]:
    print("tools/list for the full catalogue")
    server = create_server(settings("http://gist.invalid"))
    async with Client(server, mode="legacy", cache=None) as client:
        tools = await client.list_tools()
    payload = json.dumps(
        {"tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools.tools]},
        separators=(",", ":"),
    ).encode()
    result = {"tools": len(tools.tools), "bytes": len(payload), "tokens": len(payload) / 4}
    show("tools", str(len(tools.tools)))
    show("bytes (compact JSON)", str(len(payload)))
    show("tokens (bytes / 4)", f"{len(payload) / 4:.0f}")
    return result


def mcp_version() -> str:
    from importlib.metadata import version

    return version("mcp")


def own_peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SECTIONS = ("loopback", "cold-start", "per-call", "latency", "tools-list")
"""The sections `--only` picks from, in the order a full run takes them."""


def main() -> None:
    logging.disable(logging.INFO)  # uvicorn access lines and httpx request lines
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold-start runs of each server (default 7)")
    parser.add_argument("--calls", type=int, default=200, help="calls per per-call measurement (default 200)")
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
        help="run only this section (repeatable; default: every section)",
    )
    args = parser.parse_args()
    only = set(args.only or SECTIONS)
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), platform.processor())
    python = platform.python_version()
    print(f"gist-mcp bench: {time.strftime('%Y-%m-%d %H:%M')}, nproc {os.cpu_count()}, {cpu}, Python {python}")
    print(f"mcp {mcp_version()}, pydantic {pydantic.VERSION}, httpx {httpx.__version__}, uvicorn {uvicorn.__version__}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    if "loopback" in only:
        anyio.run(bench_loopback, args.calls)
    if "cold-start" in only:
        bench_cold_start(args.runs)
    if "per-call" in only:
        anyio.run(bench_per_call, args.calls)
    if "latency" in only:
        anyio.run(bench_under_latency, 3)
    if "tools-list" in only:
        anyio.run(bench_tools_list)
    print("this process (in-memory server + emulators)")
    show("peak RSS", f"{own_peak_rss_mib():.1f} MiB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
