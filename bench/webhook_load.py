"""Load and crash check of the webhook receiver: `python bench/webhook_load.py [--deliveries 1000]`.

It starts the receiver as a real subprocess (this file with `--serve-receiver`) on a free loopback port
with a temporary data directory and posts signed deliveries from this process: the first ones one at a
time, the rest with several in flight, some of them redeliveries of earlier events (half sent right
behind their original, so both are in flight together). In the middle of the concurrent part it kills
the receiver with SIGKILL and starts it again; like Gist, every delivery that got no 2xx is retried
until it does. Then it reads the store from this process and checks that every distinct event is
stored exactly once with its payload, that every 2xx'd delivery is there, and that the token never
reached the receiver's log. Exit status 1 if not.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.abc import Process

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from gist_mcp.webhooks import (  # noqa: E402
    SIGNATURE_HEADER,
    SqliteWebhookStore,
    WebhookEvent,
    WebhookSettings,
    event_id,
    serve_receiver,
    signature,
)

TOPICS = ("contact.created", "contact.tagged", "contact.untagged", "custom_property.updated", "conversation.opened")


@dataclass
class Delivery:
    """One POST as Gist would make it, and what became of it."""

    body: bytes
    event_id: str
    concurrent: bool
    attempts: int = 0
    failures: list[str] = field(default_factory=list)
    latency: float | None = None
    duplicate: bool | None = None


def make_payload(number: int, rng: random.Random) -> dict[str, Any]:
    """A plausible Gist event; the id sits under each of the keys the receiver knows, or is absent."""
    payload: dict[str, Any] = {
        "topic": rng.choice(TOPICS),
        "created_at": 1_764_000_000 + number,
        "workspace_id": "ws_bench",
        "contact": {"id": 10_000 + number, "email": f"contact{number}@example.com", "tags": [{"name": "vip"}]},
        "notes": "x" * rng.randrange(50, 4000),
    }
    id_key = ("id", "event_id", "uuid", None)[number % 4]
    if id_key is not None:
        payload[id_key] = f"evt_{rng.getrandbits(64):016x}"
    return payload


def make_deliveries(count: int, duplicate_share: float, sequential: int, rng: random.Random) -> list[Delivery]:
    distinct = [
        json.dumps(make_payload(number, rng)).encode() for number in range(round(count * (1 - duplicate_share)))
    ]
    bodies = list(distinct)
    for number in range(count - len(distinct)):
        original = rng.randrange(sequential, len(distinct))  # in the concurrent part, so they race
        if number % 2:
            bodies.insert(bodies.index(distinct[original]) + 1, distinct[original])
        else:
            bodies.insert(rng.randrange(bodies.index(distinct[original]) + 1, len(bodies) + 1), distinct[original])
    return [
        Delivery(body=body, event_id=event_id(json.loads(body)), concurrent=index >= sequential)
        for index, body in enumerate(bodies)
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """The receiver subprocess: started, killed (SIGKILL) and restarted on one port and data directory."""

    def __init__(self, port: int, data_dir: Path, env: dict[str, str], log: Path) -> None:
        self.port, self.data_dir, self.env, self.log = port, data_dir, env, log
        self.process: Process | None = None
        self.restart_seconds = 0.0

    async def start(self) -> None:
        command = [sys.executable, __file__, "--serve-receiver", str(self.port), str(self.data_dir)]
        with self.log.open("ab") as log:
            self.process = await anyio.open_process(
                command, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        with anyio.fail_after(20):
            while True:
                try:
                    await (await anyio.connect_tcp("127.0.0.1", self.port)).aclose()
                    return
                except OSError:
                    await anyio.sleep(0.02)

    async def stop(self, *, kill: bool = False) -> None:
        if self.process is not None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            await self.process.wait()
            await self.process.aclose()
            self.process = None

    async def crash_and_restart(self) -> None:
        begun = time.perf_counter()
        await self.stop(kill=True)
        await self.start()
        self.restart_seconds = time.perf_counter() - begun


async def post_until_acknowledged(client: httpx.AsyncClient, path: str, secret: str, delivery: Delivery) -> bool:
    """Post `delivery` until it gets a 2xx, as Gist's retries would (bounded: 200 tries, 20 s of pauses)."""
    headers = {SIGNATURE_HEADER: signature(secret, delivery.body), "Content-Type": "application/json"}
    while delivery.attempts < 200:
        delivery.attempts += 1
        begun = time.perf_counter()
        try:
            response = await client.post(path, content=delivery.body, headers=headers)
        except httpx.TransportError as error:
            delivery.failures.append(type(error).__name__)
        else:
            if response.is_success:
                delivery.latency = time.perf_counter() - begun
                delivery.duplicate = response.json()["duplicate"]
                return True
            delivery.failures.append(f"HTTP {response.status_code}")
        await anyio.sleep(0.1)
    return False


async def send_all(
    args: argparse.Namespace, receiver: Receiver, path: str, secret: str, deliveries: list[Delivery]
) -> float:
    """Send every delivery, crash the receiver once mid-way; returns the seconds it all took."""
    acknowledged = 0
    limits = httpx.Limits(max_connections=args.concurrency)
    begun = time.perf_counter()
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{receiver.port}", timeout=10, limits=limits) as client,
        anyio.create_task_group() as tasks,
    ):

        async def send(delivery: Delivery) -> None:
            nonlocal acknowledged
            if await post_until_acknowledged(client, path, secret, delivery):
                acknowledged += 1
                if acknowledged == args.kill_after:
                    tasks.start_soon(receiver.crash_and_restart)  # while other deliveries are in flight

        async def worker(queue: list[Delivery]) -> None:
            while queue:
                await send(queue.pop(0))

        for delivery in deliveries[: args.sequential]:
            await send(delivery)
        queue = deliveries[args.sequential :]
        for _ in range(args.concurrency):
            tasks.start_soon(worker, queue)
    return time.perf_counter() - begun


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def verify(db_path: Path, deliveries: list[Delivery]) -> tuple[int, dict[str, int]]:
    """Read the store from this (second) process: how many events, and what is missing, extra, doubled or altered."""
    sent = {delivery.event_id: json.loads(delivery.body) for delivery in deliveries}
    events: list[WebhookEvent] = []
    async with SqliteWebhookStore(db_path) as store:
        while True:  # page by page: a listing stops at its byte budget
            page = await store.list(limit=len(deliveries) + 1, before_seq=events[-1].seq if events else None)
            events += page.events
            if not page.more:
                break
    stored_ids = Counter(event.id for event in events)
    acknowledged = {delivery.event_id for delivery in deliveries if delivery.latency is not None}
    return len(events), {
        "lost (2xx'd but not stored)": len(acknowledged - stored_ids.keys()),
        "never acknowledged": len(sent.keys() - acknowledged),
        "stored more than once": sum(count - 1 for count in stored_ids.values()),
        "stored but never sent": len(stored_ids.keys() - sent.keys()),
        "payload mismatches": sum(event.payload != sent.get(event.id) for event in events),
    }


async def run(args: argparse.Namespace) -> bool:
    rng = random.Random(args.seed)
    deliveries = make_deliveries(args.deliveries, args.duplicate_share, args.sequential, rng)
    token, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="gist-mcp-webhook-load-") as temporary:
        data_dir, log = Path(temporary) / "data", Path(temporary) / "receiver.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "GIST_WEBHOOK_TOKEN": token,
            "GIST_WEBHOOK_SECRET": secret,
        }
        receiver = Receiver(free_port(), data_dir, env, log)
        with anyio.fail_after(args.timeout):
            await receiver.start()
            try:
                elapsed = await send_all(args, receiver, f"/webhooks/gist/{token}", secret, deliveries)
                stored, problems = await verify(data_dir / "webhooks.sqlite3", deliveries)
            finally:
                await receiver.stop()
        problems["token occurrences in the receiver log"] = log.read_text(errors="replace").count(token)
    distinct = len({delivery.event_id for delivery in deliveries})
    report(args, deliveries, distinct, elapsed, receiver.restart_seconds, {"stored events": stored, **problems})
    return stored == distinct and not any(problems.values())


def report(
    args: argparse.Namespace,
    deliveries: list[Delivery],
    distinct: int,
    elapsed: float,
    restart: float,
    checks: dict[str, int],
) -> None:
    attempts = sum(delivery.attempts for delivery in deliveries)
    ok = [delivery for delivery in deliveries if delivery.latency is not None]
    failures = Counter(failure for delivery in deliveries for failure in delivery.failures)
    figures: dict[str, object] = {
        "deliveries": len(deliveries),
        "distinct events": distinct,
        "duplicate deliveries (by design)": len(deliveries) - distinct,
        "sequential / concurrent": f"{args.sequential} / {len(deliveries) - args.sequential} "
        f"(concurrency {args.concurrency})",
        "requests sent (retries included)": attempts,
        "failed attempts around the SIGKILL": f"{sum(failures.values())} {dict(failures)}",
        "2xx responses": len(ok),
        "answered as duplicate": sum(bool(delivery.duplicate) for delivery in ok),
        "receiver kill + restart": f"{restart:.2f} s",
        "elapsed": f"{elapsed:.2f} s",
        "throughput": f"{len(ok) / elapsed:.0f} 2xx/s, {attempts / elapsed:.0f} req/s",
    }
    for label, concurrent in (("sequential", False), ("concurrent", True)):
        latencies = [
            delivery.latency * 1000
            for delivery in ok
            if delivery.concurrent == concurrent and delivery.latency is not None
        ]
        figures[f"latency {label} p50 / p99"] = (
            f"{percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.99):.1f} ms"
        )
    for name, value in {**figures, **checks}.items():
        print(f"{name:>40}: {value}")


def serve_receiver_process(port: int, data_dir: Path) -> None:
    """The child process: only the receiver, on 127.0.0.1:port, storing into data_dir (exit 1 if the port is taken)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = WebhookSettings.from_env(data_dir_override=data_dir)

    async def serve() -> bool:
        async with SqliteWebhookStore.from_settings(settings) as store:
            return await serve_receiver(store, settings, "127.0.0.1", port)

    sys.exit(0 if anyio.run(serve) else 1)


def main() -> None:
    if sys.argv[1:2] == ["--serve-receiver"]:
        _, _, port, data_dir = sys.argv
        serve_receiver_process(int(port), Path(data_dir))
    parser = argparse.ArgumentParser(description="Load and crash check of the webhook receiver.")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--duplicate-share", type=float, default=0.2, help="share of deliveries that are redeliveries")
    parser.add_argument("--sequential", type=int, default=200, help="deliveries sent one at a time first")
    parser.add_argument("--concurrency", type=int, default=16, help="deliveries in flight in the concurrent part")
    parser.add_argument("--kill-after", type=int, default=600, help="SIGKILL the receiver after this many 2xx")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180, help="seconds the whole check may take")
    args = parser.parse_args()
    if not 0 < args.kill_after <= args.deliveries:
        parser.error("--kill-after must be between 1 and --deliveries")
    sys.exit(0 if anyio.run(run, args) else 1)


if __name__ == "__main__":
    main()
