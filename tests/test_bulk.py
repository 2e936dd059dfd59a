"""import_contacts and get_import_status through MCP against the emulator's batch endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import MODES, call, call_error, settings_for
from mcp import Client

from gist_mcp.catalog.bulk import CHUNK_SIZE, MAX_IMPORT_RECORDS, MAX_LISTED_FAILURES, POLL_DELAYS
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer, create_server

pytestmark = [pytest.mark.anyio, pytest.mark.virtual_time]


def records(count: int, prefix: str = "imp") -> list[dict[str, Any]]:
    return [{"email": f"{prefix}{i}@example.net", "name": f"Imported {i}"} for i in range(count)]


def batch_posts(emulator: GistEmulator) -> list[Any]:
    return [r for r in emulator.requests if r.method == "POST" and r.path == "/contacts/batch"]


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def server(emulator: GistEmulator, waits: list[float]) -> GistServer:
    """A server whose Gist client records its polling pauses instead of sleeping, and a roomy rate limit."""

    async def pause(seconds: float) -> None:
        waits.append(seconds)

    built = create_server(
        settings_for(rate_limit=(10_000, 10.0)), transport=httpx.ASGITransport(app=emulator.app), sleep=pause
    )
    emulator.reset()
    return built


@pytest.fixture(params=MODES)
async def bulk_client(request: pytest.FixtureRequest, server: GistServer) -> Any:
    async with Client(server, mode=request.param, cache=None) as connected:
        yield connected


@pytest.mark.slow
async def test_five_thousand_records_go_in_chunks_and_all_land(
    server: GistServer, emulator: GistEmulator, waits: list[float]
) -> None:
    emulator.extras.batch_answer = "contacts"
    given = records(5000)
    async with Client(server, cache=None) as client:
        result = await call(client, "import_contacts", {"contacts": given})
    posts = batch_posts(emulator)
    assert len(posts) == 5000 // CHUNK_SIZE
    assert all(len(p.json["contacts"]) == CHUNK_SIZE for p in posts)
    assert [c["email"] for p in posts for c in p.json["contacts"]] == [r["email"] for r in given]
    assert result["status"] == "done"
    assert (result["total"], result["accepted"], result["failed"]) == (5000, 5000, 0)
    assert len(result["batches"]) == 50
    assert result["batches"][-1] == {"first": 4900, "last": 4999, "status": "done"}
    last = emulator.find_contact(email="imp4999@example.net")
    assert last is not None
    assert last["name"] == "Imported 4999"
    assert waits == []  # an answer with the contacts needs no polling


async def test_a_batch_job_is_polled_until_done_with_its_refused_records(
    bulk_client: Client, emulator: GistEmulator, waits: list[float]
) -> None:
    emulator.extras.batch_reads_before_done = 2
    taken = emulator.find_contact(user_id="u_1002")
    assert taken is not None
    clash = {"user_id": "u_1001", "email": taken["email"]}
    given = [*records(150), clash]
    result = await call(bulk_client, "import_contacts", {"contacts": given})
    assert result["status"] == "done"
    assert [(b["status"], b["batch_id"]) for b in result["batches"]] == [("done", "5001"), ("done", "5002")]
    polls = [r.path for r in emulator.requests if r.method == "GET"]
    assert polls == ["/contacts/batch/5001", "/contacts/batch/5002"] * 3
    assert waits == list(POLL_DELAYS[:3])
    assert result["failed"] == 1
    assert result["failures"] == [
        {**clash, "index": 150, "message": f"email {taken['email']} already belongs to contact {taken['id']}"}
    ]
    assert "refused" in result["hint"]
    assert emulator.find_contact(email="imp149@example.net") is not None


async def test_without_wait_the_batch_ids_come_back_and_get_import_status_follows_them(
    bulk_client: Client, emulator: GistEmulator
) -> None:
    emulator.extras.batch_reads_before_done = 1
    result = await call(bulk_client, "import_contacts", {"contacts": records(3), "wait": False})
    assert result["status"] == "running"
    assert result["batches"] == [{"first": 0, "last": 2, "status": "running", "batch_id": "5001"}]
    assert "get_import_status" in result["hint"]
    assert "5001" in result["hint"]
    assert emulator.find_contact(email="imp0@example.net") is None
    first = await call(bulk_client, "get_import_status", {"batch_id": "5001"})
    assert first["status"] == "running"
    done = await call(bulk_client, "get_import_status", {"batch_id": 5001})
    assert done == {
        "batch_id": "5001",
        "status": "done",
        "gist_status": "completed",
        "total": 3,
        "succeeded": 3,
        "failed": 0,
        "failures": [],
    }
    assert emulator.find_contact(email="imp2@example.net") is not None


async def test_polling_stops_before_the_deadline_and_says_running(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    emulator.extras.batch_reads_before_done = 5
    async with Client(make_server(deadline=3.0), cache=None) as client:
        result = await call(client, "import_contacts", {"contacts": records(2)})
    assert result["status"] == "running"
    assert result["batches"] == [{"first": 0, "last": 1, "status": "running", "batch_id": "5001"}]
    assert "get_import_status" in result["hint"]
    assert not [r for r in emulator.requests if r.method == "GET"]


async def test_chunks_after_the_first_are_not_sent_into_the_deadline_margin(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    async with Client(make_server(deadline=3.0), cache=None) as client:
        result = await call(client, "import_contacts", {"contacts": records(150)})
    assert result["status"] == "incomplete"
    assert [b["status"] for b in result["batches"]] == ["running", "not_sent"]
    assert "100-149" in result["hint"]
    assert "time ran out" in result["hint"]
    assert len(batch_posts(emulator)) == 1


async def test_a_later_chunk_that_fails_is_reported_with_the_records_not_imported(
    bulk_client: Client, emulator: GistEmulator
) -> None:
    emulator.faults.add("status", status=500, method="POST", path_prefix="/contacts/batch", after=2)
    result = await call(bulk_client, "import_contacts", {"contacts": records(450)})
    assert result["status"] == "incomplete"
    assert [b["status"] for b in result["batches"]] == ["done", "done", "failed", "not_sent", "not_sent"]
    assert "500" in result["batches"][2]["error"]
    assert result["accepted"] == 200
    assert "200-299, 300-399, 400-449" in result["hint"]
    assert "NOT imported" in result["hint"]
    assert len(batch_posts(emulator)) == 3
    assert emulator.find_contact(email="imp199@example.net") is not None
    assert emulator.find_contact(email="imp200@example.net") is None


async def test_a_first_chunk_that_fails_is_a_plain_error(bulk_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=400, method="POST", path_prefix="/contacts/batch")
    text = await call_error(bulk_client, "import_contacts", {"contacts": records(2)})
    assert "400" in text
    assert "/contacts/batch" in text


async def test_progress_notifications_count_chunks_sent_and_finished(
    server: GistServer, emulator: GistEmulator
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(server, cache=None) as client:
        result = await client.call_tool("import_contacts", {"contacts": records(250)}, progress_callback=on_progress)
    assert not result.is_error
    assert [p for p, _, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert {t for _, t, _ in seen} == {6}
    assert seen[0][2] == "chunk 1/3 sent"
    assert seen[-1][2] == "records 200-249 done"


async def test_refused_records_listed_are_capped(bulk_client: Client, emulator: GistEmulator) -> None:
    emulator.extras.batch_answer = "contacts"
    taken = emulator.find_contact(user_id="u_1002")
    assert taken is not None
    given = [{"user_id": "u_1001", "email": taken["email"]}] * (MAX_LISTED_FAILURES + 20)
    result = await call(bulk_client, "import_contacts", {"contacts": given})
    assert result["failed"] == MAX_LISTED_FAILURES + 20
    assert len(result["failures"]) == MAX_LISTED_FAILURES


async def test_an_unknown_batch_id_names_where_batch_ids_come_from(bulk_client: Client) -> None:
    text = await call_error(bulk_client, "get_import_status", {"batch_id": "999"})
    assert "404" in text
    assert "import_contacts" in text


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("import_contacts", {"contacts": []}, "contacts"),
        ("import_contacts", {"contacts": [{"name": "No identifier"}]}, "contacts.0"),
        ("import_contacts", {"contacts": [{"email": "a@example.net", "colour": "red"}]}, "contacts.0.colour"),
        ("import_contacts", {"contacts": [{"email": "a@example.net"}] * (MAX_IMPORT_RECORDS + 1)}, "contacts"),
        ("import_contacts", {"contacts": [{"email": "a@example.net"}], "wait": "soon"}, "wait"),
        ("get_import_status", {"batch_id": "../contacts"}, "batch_id"),
        ("get_import_status", {}, "batch_id"),
    ],
)
async def test_bad_arguments_name_the_argument_and_reach_no_gist(
    bulk_client: Client, emulator: GistEmulator, tool: str, arguments: dict[str, Any], named: str
) -> None:
    before = len(emulator.requests)
    text = await call_error(bulk_client, tool, arguments)
    assert f"Invalid arguments for {tool}" in text
    assert named in text
    assert len(emulator.requests) == before


async def test_many_invalid_records_make_a_short_error(bulk_client: Client, emulator: GistEmulator) -> None:
    text = await call_error(bulk_client, "import_contacts", {"contacts": [{"name": "no id"}] * 5000})
    assert "contacts.0" in text
    assert "and 4980 more" in text
    assert len(text) < 2000
    assert not batch_posts(emulator)
