"""Bulk import: many contacts through `POST /contacts/batch`, in chunks, with the job followed to its end.

gist-api.md §7.1 knows the paths but not the answers: Gist's SDK spec expects the written contacts
back, while slates describes a job to poll (`GET /contacts/batch/{id}`). Each chunk's answer is read
as either. Chunks go one after another so that a failure stops the import at a known place: the
result lists every chunk (accepted, finished, failed or not sent, with its record indexes), so
nothing is silently half-done. Running jobs are polled all at once each round. Polling keeps
`DEADLINE_MARGIN` seconds free to answer `running` with the batch ids instead of failing at the call's
deadline.
"""

from __future__ import annotations

from typing import Any, Literal, Self

import anyio
from pydantic import BaseModel, Field, model_validator

from gist_mcp._http import remaining
from gist_mcp._json import JSON, JSONArray, JSONObject, as_array, as_object
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Input, as_text, optional, unwrap
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.catalog.contacts import UserFields
from gist_mcp.errors import GistError, NotFoundError

CHUNK_SIZE = 100
"""Contacts per `POST /contacts/batch`. The reference gives no limit; 100 is our choice [I]."""
MAX_IMPORT_RECORDS = 10_000
"""Records one import_contacts call takes (CONTRACT.md)."""
CONFIRM_IMPORT_OVER = 1000
"""Importing more records than this in one call asks the user first (when the client can elicit)."""
POLL_DELAYS = (0.5, 1.0, 2.0, 3.0)
"""Seconds before each round of status polls; the last repeats."""
DEADLINE_MARGIN = 5.0
"""Seconds kept before the call's deadline: no chunk after the first is sent and no poll waits into them."""
MAX_LISTED_FAILURES = 100
"""Per-record failures listed in a result (`failed` still counts them all)."""

NOT_FOUND_HINT = "Use a batch_id that import_contacts returned (batches[].batch_id)."
"""The next step after a 404 from a bulk tool."""

_DONE = frozenset({"completed", "complete", "done", "finished", "success", "succeeded", "processed"})
_FAILED = frozenset({"failed", "error", "errored", "cancelled", "canceled"})

JobStatus = Literal["done", "running", "failed"]
ChunkStatus = Literal["done", "running", "failed", "not_sent"]


class _Identified(Input):
    """A contact record that names its contact: Gist needs email or user_id on every write."""

    @model_validator(mode="after")
    def _has_identifier(self) -> Self:
        if not getattr(self, "email", None) and not getattr(self, "user_id", None):
            raise ValueError("give email or user_id")
        return self


class ImportRecord(UserFields, _Identified):
    """One contact of an import: any field of create_user/create_lead, named by email or user_id."""

    user_id: str | None = Field(None, description="Your user id: makes it a user (else a lead).")


class ImportContactsInput(Input):
    contacts: list[ImportRecord] = Field(
        min_length=1,
        max_length=MAX_IMPORT_RECORDS,
        description="Contacts to create or update, each with email or user_id plus any create_user field.",
    )
    wait: bool = Field(True, description="Wait for Gist to finish (within the call's time); false returns at once.")


class GetImportStatusInput(Input):
    batch_id: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$", description="A batch_id from import_contacts."
    )


class RecordFailure(BaseModel):
    """A record Gist refused."""

    index: int | None = optional("Position in the contacts given (in the batch, for get_import_status).")
    email: str | None = optional()
    user_id: str | None = optional()
    message: str


class ImportChunk(BaseModel):
    """One `POST /contacts/batch` of an import and what became of it."""

    first: int
    """Index in `contacts` of the chunk's first record."""
    last: int
    status: ChunkStatus
    batch_id: str | None = optional()
    error: str | None = optional()


class ImportResult(BaseModel):
    """What import_contacts did, chunk by chunk."""

    status: Literal["done", "running", "incomplete"]
    total: int
    accepted: int
    failed: int
    failures: list[RecordFailure]
    batches: list[ImportChunk]
    hint: str | None = optional()


class ImportStatus(BaseModel):
    """A batch job as Gist reports it."""

    batch_id: str
    status: JobStatus
    gist_status: str | None = optional("Gist's own status word.")
    total: int | None = optional()
    succeeded: int | None = optional()
    failed: int
    failures: list[RecordFailure]
    hint: str | None = optional()


def _job_status(raw: JSONObject) -> JobStatus:
    word = str(raw.get("status") or raw.get("state") or "").lower()
    if word in _DONE:
        return "done"
    return "failed" if word in _FAILED else "running"


def _count(value: JSON) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_failures(raw: JSONObject, offset: int = 0) -> list[RecordFailure]:
    """Per-record failures in any of the spellings a batch answer may use; indexes shifted by `offset`."""
    arrays = (as_array(raw.get(k)) for k in ("failures", "errors", "failed_records"))
    listed: JSONArray = next((items for items in arrays if items is not None), None) or []
    failures: list[RecordFailure] = []
    for item in listed:
        if not isinstance(item, dict):
            failures.append(RecordFailure(message=str(item)))
            continue
        index = next((_count(item[k]) for k in ("index", "row", "position") if _count(item.get(k)) is not None), None)
        nested = item.get("errors")
        first: JSONObject = nested[0] if isinstance(nested, list) and nested and isinstance(nested[0], dict) else {}
        message = item.get("message") or item.get("error") or item.get("reason") or first.get("message") or "refused"
        failures.append(
            RecordFailure(
                index=None if index is None else index + offset,
                email=as_text(item.get("email")),
                user_id=as_text(item.get("user_id")),
                message=str(message),
            )
        )
    return failures


def _batch_id(data: JSONObject) -> str | None:
    """The job id of a batch answer: `batch_id`, `id`, `job_id`, or inside `batch` / `job`."""
    for source in (data, unwrap(data, "batch", "job")):
        for key in ("batch_id", "id", "job_id"):
            if isinstance(source.get(key), int | str) and str(source[key]):
                return str(source[key])
    return None


class _Import:
    """One import_contacts call in progress: its chunks, what Gist said of each, and the failures seen."""

    def __init__(self, ctx: ToolContext, records: list[dict[str, Any]]) -> None:
        self.ctx = ctx
        self.records = records
        self.chunks = [
            ImportChunk(first=start, last=min(start + CHUNK_SIZE, len(records)) - 1, status="not_sent")
            for start in range(0, len(records), CHUNK_SIZE)
        ]
        self.failures: list[RecordFailure] = []
        self.failed = 0
        self.steps = 0
        self.poll_error: str | None = None

    async def _step(self, message: str) -> None:
        """One progress step: each chunk counts once when sent and once when finished."""
        self.steps += 1
        await self.ctx.progress(self.steps, 2 * len(self.chunks), message)

    def _failed_records(self, failures: list[RecordFailure], count: int | None) -> None:
        self.failed += max(count or 0, len(failures))
        self.failures.extend(failures[: MAX_LISTED_FAILURES - len(self.failures)])

    async def send(self) -> None:
        """Send the chunks in order; stop at the first failure or when the deadline gets close."""
        for number, chunk in enumerate(self.chunks, start=1):
            if number > 1 and remaining() < DEADLINE_MARGIN:
                return
            body = {"contacts": self.records[chunk.first : chunk.last + 1]}
            try:
                response = await self.ctx.gist.request("POST", "contacts/batch", json_body=body)
            except GistError as error:
                if number == 1:
                    raise
                chunk.status, chunk.error = "failed", str(error)
                return
            data = as_object(response.data) or {}
            chunk.batch_id = None if isinstance(data.get("contacts"), list) else _batch_id(data)
            if chunk.batch_id is None:
                chunk.status = "done"
                self._failed_records(read_failures(data, chunk.first), None)
                await self._step(f"records {chunk.first}-{chunk.last} imported")
            else:
                chunk.status = "running"
            await self._step(f"chunk {number}/{len(self.chunks)} sent")

    async def poll(self) -> None:
        """Poll running jobs until each is done or failed, a poll fails, or the deadline gets close."""
        round_ = 0
        while pending := [c for c in self.chunks if c.status == "running"]:
            delay = POLL_DELAYS[min(round_, len(POLL_DELAYS) - 1)]
            if remaining() - delay < DEADLINE_MARGIN:
                return
            await self.ctx.gist.pause(delay)
            round_ += 1
            answers = await self._poll_round(pending)
            for chunk in pending:
                raw = answers[chunk.first]
                if isinstance(raw, GistError):
                    self.poll_error = str(raw)
                    return
                status = _job_status(raw)
                if status == "running":
                    continue
                chunk.status = status
                if status == "failed":
                    chunk.error = str(raw.get("message") or raw.get("error") or "Gist reports the batch failed")
                self._failed_records(read_failures(raw, chunk.first), _count(raw.get("failed")))
                await self._step(f"records {chunk.first}-{chunk.last} {status}")

    async def _poll_round(self, pending: list[ImportChunk]) -> dict[int, JSONObject | GistError]:
        """Every pending job's status at once (the shared rate limiter paces them), by the chunk's first index.

        A round costs one round trip instead of one per chunk; the answers are then read in chunk
        order, so the result and progress are the same as if they had been fetched one by one.
        """
        answers: dict[int, JSONObject | GistError] = {}

        async def fetch(chunk: ImportChunk) -> None:
            try:
                answers[chunk.first] = await _fetch_job(self.ctx, str(chunk.batch_id))
            except GistError as error:
                answers[chunk.first] = error

        async with anyio.create_task_group() as group:
            for chunk in pending:
                group.start_soon(fetch, chunk)
        return answers

    def result(self) -> ImportResult:
        accepted = sum(c.last - c.first + 1 for c in self.chunks if c.status in ("done", "running"))
        lost = [c for c in self.chunks if c.status in ("failed", "not_sent")]
        running = [c.batch_id for c in self.chunks if c.status == "running"]
        status: Literal["done", "running", "incomplete"] = "incomplete" if lost else "running" if running else "done"
        hints: list[str] = []
        if lost:
            ranges = ", ".join(f"{c.first}-{c.last}" for c in lost)
            reason = next((c.error for c in lost if c.error), None) or "the call's time ran out"
            hints.append(
                f"Records {ranges} (indexes in contacts) were NOT imported ({reason}); the records before them "
                "were accepted. Fix the cause and send only the records not imported."
            )
        if running:
            poll = f" (polling stopped: {self.poll_error})" if self.poll_error else ""
            hints.append(
                f"Gist is still importing{poll}: follow batch ids {', '.join(map(str, running))} "
                "with get_import_status."
            )
        if self.failed:
            hints.append(
                f"{self.failed} records were refused (see failures; index = position in contacts): "
                "fix and import only those."
            )
        return ImportResult(
            status=status,
            total=len(self.records),
            accepted=accepted,
            failed=self.failed,
            failures=self.failures,
            batches=self.chunks,
            hint=" ".join(hints) or None,
        )


async def _fetch_job(ctx: ToolContext, batch_id: str) -> JSONObject:
    response = await ctx.gist.request("GET", f"contacts/batch/{batch_id}")
    return unwrap(response.data, "batch", "job")


async def import_contacts(ctx: ToolContext, args: ImportContactsInput) -> ImportResult:
    records = [record.model_dump(exclude_none=True) for record in args.contacts]
    job = _Import(ctx, records)
    await job.send()
    if args.wait:
        await job.poll()
    return job.result()


async def get_import_status(ctx: ToolContext, args: GetImportStatusInput) -> ImportStatus:
    try:
        raw = await _fetch_job(ctx, args.batch_id)
    except NotFoundError as error:
        raise error.with_hint(NOT_FOUND_HINT) from None
    status = _job_status(raw)
    failures = read_failures(raw)
    failed = max(_count(raw.get("failed")) or 0, len(failures))
    hint = None
    if status == "running":
        hint = "Still importing: call get_import_status again in a few seconds."
    elif failed:
        hint = "index in failures is the record's position within this batch."
    return ImportStatus(
        batch_id=args.batch_id,
        status=status,
        gist_status=as_text(raw.get("status") or raw.get("state")),
        total=_count(raw.get("total")),
        succeeded=_count(raw.get("succeeded") or raw.get("processed")),
        failed=failed,
        failures=failures[:MAX_LISTED_FAILURES],
        hint=hint,
    )


IMPORT_CONTACTS = Operation(
    name="import_contacts",
    title="Import contacts",
    toolset="bulk",
    description=(
        f"Create or update up to {MAX_IMPORT_RECORDS:,} contacts in one call (Gist's batch import, sent in "
        f"chunks of {CHUNK_SIZE}). Writes many contacts; repeating it writes them again. The result lists "
        "each chunk, refused records and, if Gist is still working, batch ids for get_import_status."
    ),
    gist_call="POST /contacts/batch (per chunk), GET /contacts/batch/{id}",
    input=ImportContactsInput,
    output=ImportResult,
    run=import_contacts,
    confirm=lambda args: (
        f"Import {len(args.contacts):,} contacts into Gist (creating or updating each)?"
        if len(args.contacts) > CONFIRM_IMPORT_OVER
        else None
    ),
    read_only=False,
    destructive=False,
    idempotent=False,
)

GET_IMPORT_STATUS = Operation(
    name="get_import_status",
    title="Get import status",
    toolset="bulk",
    description="Get the progress of a batch import started by import_contacts: status, counts, refused records.",
    gist_call="GET /contacts/batch/{id}",
    input=GetImportStatusInput,
    output=ImportStatus,
    run=get_import_status,
    read_only=True,
    destructive=False,
    idempotent=True,
)


TOOLSET = Toolset(
    name="bulk",
    description="Bulk import: create or update up to 10,000 contacts in one call, and follow the import.",
    not_found_hint=NOT_FOUND_HINT,
    operations=(IMPORT_CONTACTS, GET_IMPORT_STATUS),
    default=False,
)
