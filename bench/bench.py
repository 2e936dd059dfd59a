"""Benchmarks of gist-mcp against its floors, measured side by side in one run: `python bench/bench.py`.

Prints ratios, never asserts them (figures depend on the machine; see bench/RESULTS.md):

* cold start to a completed `tools/list` over stdio: `python -m gist_mcp --sandbox` vs a one-tool
  `MCPServer` script launched the same way, runs interleaved, medians compared;
* per-call overhead of `get_user` via `mcp.Client` (in memory, and over stdio to a subprocess) vs
  the same `GET /contacts/{id}` made directly with httpx, against the emulator on a loopback socket;
* `list_users` limit=1000 and `tag_contacts` with 500 contacts while Gist takes 50 ms per request,
  vs plain sequential httpx loops; with the most requests Gist saw in any 10 s window;
* the size of `tools/list` and the server process's peak RSS.

Takes well under two minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
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
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

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
    print(f"  {label:<44} {value}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# --- cold start ----------------------------------------------------------------------------------


def cold_start(argv: list[str]) -> float:
    """Seconds from spawning `argv` to the `tools/list` answer on its stdout (classic handshake)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
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
        ours_argv = [sys.executable, "-m", "gist_mcp", "--sandbox"]
        floor_argv = [sys.executable, str(floor)]
        cold_start(ours_argv)  # warm the OS file cache and bytecode
        cold_start(floor_argv)  # (the same)
        ours: list[float] = []
        floors: list[float] = []
        for _ in range(runs):
            ours.append(cold_start(ours_argv))
            floors.append(cold_start(floor_argv))
    result = {"ours": statistics.median(ours), "floor": statistics.median(floors)}
    result["ratio"] = result["ours"] / result["floor"]
    show("gist-mcp --sandbox", ms(result["ours"]))
    show("one-tool MCPServer (floor)", ms(result["floor"]))
    show("ratio (target <= 1.15x)", f"{result['ratio']:.2f}x")
    return result


# --- per-call overhead ---------------------------------------------------------------------------


def settings(base_url: str, **changes: Any) -> Settings:
    return Settings(api_key=SecretStr(KEY), base_url=base_url).replace(**changes)


async def timed(n: int, fn: Callable[[], Awaitable[object]]) -> list[float]:
    times: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return times


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
    print(f"per-call overhead: get_user vs GET /contacts/{{id}} with httpx ({calls} calls each, medians)")
    emulator = GistEmulator(api_keys=(KEY,), rate_limit=None)
    contact_id = next(c["id"] for c in emulator.contacts.values() if c.get("type") == "user")
    result: dict[str, float] = {}
    async with emulator.serve() as base_url:
        no_limit = settings(base_url, rate_limit=(1_000_000, 1.0))
        server = create_server(no_limit)
        async with (
            Client(server, mode="legacy", cache=None) as client,
            httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}) as http,
        ):

            async def direct() -> None:
                response = await http.get(f"/contacts/{contact_id}")
                response.raise_for_status()
                response.json()

            async def tool() -> None:
                answer = await client.call_tool("get_user", {"user": {"id": contact_id}})
                assert not answer.is_error, answer.content

            await timed(20, direct)  # warm-up
            await timed(20, tool)
            ours: list[float] = []
            floors: list[float] = []
            for _ in range(5):  # interleaved blocks
                floors += await timed(calls // 5, direct)
                ours += await timed(calls // 5, tool)
        result["floor"] = statistics.median(floors)
        result["memory"] = statistics.median(ours)
        show("httpx GET (floor)", ms(result["floor"]))
        show("get_user via mcp.Client in memory", ms(result["memory"]))
        show("ratio in memory", f"{result['memory'] / result['floor']:.2f}x")
        show("overhead per call in memory", ms(result["memory"] - result["floor"]))

        env = {
            **os.environ,
            "GIST_API_KEY": KEY,
            "GIST_API_BASE_URL": base_url,
            "GIST_RATE_LIMIT": "1000000/1",
        }
        params = StdioServerParameters(command=sys.executable, args=["-m", "gist_mcp"], env=env)
        async with Client(params, mode="legacy", cache=None) as stdio:

            async def stdio_tool() -> None:
                answer = await stdio.call_tool("get_user", {"user": {"id": contact_id}})
                assert not answer.is_error, answer.content

            await timed(20, stdio_tool)
            stdio_times = await timed(calls, stdio_tool)
            rss = child_peak_rss_kib("gist_mcp")
        result["stdio"] = statistics.median(stdio_times)
        show("get_user via mcp.Client over stdio", ms(result["stdio"]))
        show("ratio over stdio", f"{result['stdio'] / result['floor']:.2f}x")
        if rss is not None:
            result["stdio_peak_rss_mib"] = rss / 1024
            show("stdio server peak RSS after the run", f"{rss / 1024:.1f} MiB")
    return result


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


def populated_emulator(rate_limit: tuple[int, float] | None) -> tuple[GistEmulator, Stamps]:
    emulator = GistEmulator(api_keys=(KEY,), latency=LATENCY, rate_limit=rate_limit)
    for n in range(1100):
        emulator.add_contact(user_id=f"bench_{n}", email=f"bench{n}@example.com", name=f"Bench {n}")
    stamps = Stamps(emulator.app)
    emulator.app = stamps  # type: ignore[assignment]  # serve() serves whatever `app` is
    return emulator, stamps


async def bench_under_latency(runs: int) -> dict[str, float]:
    print(f"under {LATENCY * 1000:.0f} ms Gist latency ({runs} runs each, medians)")
    ours_emu, ours_stamps = populated_emulator((100, 10.0))
    floor_emu, _ = populated_emulator(None)
    user_ids = [c["id"] for c in ours_emu.contacts.values() if str(c.get("user_id", "")).startswith("bench_")][:500]
    result: dict[str, float] = {}
    async with ours_emu.serve() as ours_url, floor_emu.serve() as floor_url:
        server = create_server(settings(ours_url))  # default 100 requests / 10 s, like the emulator
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
                # client, whose jsonschema check of the 1000-item result costs 0.2-0.8 s of CPU.
                answer = await server.call_tool("list_users", {"limit": 1000})
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

            list_ours, list_floor, list_server, tag_ours, tag_floor = [], [], [], [], []
            for _ in range(runs):
                list_floor += await timed(1, list_loop)
                list_ours += await timed(1, list_tool)
                list_server += await timed(1, list_execute)
            for _ in range(runs):
                tag_floor += await timed(1, tag_loop)
                tag_ours += await timed(1, tag_tool)
    result["list_ours"], result["list_floor"] = statistics.median(list_ours), statistics.median(list_floor)
    result["tag_ours"], result["tag_floor"] = statistics.median(tag_ours), statistics.median(tag_floor)
    result["list_server"] = statistics.median(list_server)
    result["list_speedup"] = result["list_floor"] / result["list_ours"]
    result["list_server_speedup"] = result["list_floor"] / result["list_server"]
    result["tag_speedup"] = result["tag_floor"] / result["tag_ours"]
    result["max_window"] = ours_stamps.max_in_window()
    result["gist_requests"] = len(ours_stamps.times)
    result["gist_429s"] = ours_stamps.statuses.count(429)
    show("list_users limit=1000", ms(result["list_ours"]))
    show("sequential httpx page loop (floor)", ms(result["list_floor"]))
    show("listing speed-up (target >= 4x)", f"{result['list_speedup']:.2f}x")
    show("list_users server side only (call_tool)", ms(result["list_server"]))
    show("listing speed-up, server side only", f"{result['list_server_speedup']:.2f}x")
    show("tag_contacts 500 contacts", ms(result["tag_ours"]))
    show("10 sequential POST /tags of 50 (floor)", ms(result["tag_floor"]))
    show("tag_contacts speed-up", f"{result['tag_speedup']:.2f}x")
    show("requests from gist-mcp to Gist", str(result["gist_requests"]))
    show("most requests in any 10 s window (<= 100)", str(result["max_window"]))
    show("429s Gist sent to gist-mcp", str(result["gist_429s"]))
    return result


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


def own_peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    logging.disable(logging.INFO)  # uvicorn access lines and httpx request lines
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold-start runs of each server (default 7)")
    parser.add_argument("--calls", type=int, default=200, help="calls per per-call measurement (default 200)")
    args = parser.parse_args()
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), platform.processor())
    python = platform.python_version()
    print(f"gist-mcp bench: {time.strftime('%Y-%m-%d')}, nproc {os.cpu_count()}, {cpu}, Python {python}")
    started = time.perf_counter()
    bench_cold_start(args.runs)
    anyio.run(bench_per_call, args.calls)
    anyio.run(bench_under_latency, 3)
    anyio.run(bench_tools_list)
    print("this process (in-memory server + emulators)")
    show("peak RSS", f"{own_peak_rss_mib():.1f} MiB")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
