"""State and rules for the endpoints beyond the Make app: campaign subscriptions, forms, subscription
types and batch imports (gist-api.md §6.4, §6.6, §6.7, §7.1 batch rows, §7.4, §7.6, §7.7).

Kept apart from `state.Store` (which it reads and writes through its public methods) so these
tables have one owner. Records are plain dicts, for tests to read:

* campaign subscription, keyed ``(campaign_id, contact_id)``: ``campaign_id, contact_id, status
  ("active" | "unsubscribed"), starting_email_index, created_at, updated_at``.
* form: ``id, title, form_type, status, fields ([{name, label, type, required}]), created_at``.
  submission: ``id, form_id, contact_id, email, fields ({name: value}), created_at``.
* subscription type: ``id, name, description, status, display_order, contact_ids (set[int])``.
* batch: ``id, status ("queued" | "running" | "completed"), contacts (the bodies as sent),
  reads_left, succeeded, failures ([{index, email, user_id, code, message}]), created_at, completed_at``.

Every response shape here is `[?]` in the reference; the choices are ours and documented where made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gist_mcp._json import JSON, as_object

from .errors import ApiError, invalid, not_found
from .inputs import CONTACT_FIELDS, ContactRef, checked_keys, contact_write, json_dict
from .state import Record, Store, Upsert

BatchAnswer = Literal["job", "contacts"]

EXTRA_ID_BASES = {"form": 801, "submission": 9001, "subscription_type": 61, "batch": 5001}
"""First id of each kind in an empty workspace (our choice; Gist's real ranges are unknown)."""


@dataclass
class BatchRun:
    """What processing a batch did: the contacts written (with whether each is new) and the failures."""

    written: list[Upsert] = field(default_factory=list[Upsert])
    failures: list[Record] = field(default_factory=list[Record])


class ExtraStore:
    """The tables of campaign subscriptions, forms, subscription types and batches, plus the switches.

    Switches (tests and the sandbox set them directly):
        batch_answer: what ``POST /contacts/batch`` answers: ``"job"`` (default: ``{"batch_id",
            "status"}`` to poll, as slates suggests) or ``"contacts"`` (the written contacts at once,
            as the SDK spec expects).
        batch_reads_before_done: how many ``GET /contacts/batch/{id}`` reads still answer
            ``running`` before the job completes (0: it completes when submitted).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.campaign_subscriptions: dict[tuple[int, int], Record] = {}
        self.forms: dict[int, Record] = {}
        self.submissions: list[Record] = []
        self.subscription_types: dict[int, Record] = {}
        self.batches: dict[str, Record] = {}
        self.batch_answer: BatchAnswer = "job"
        self.batch_reads_before_done = 0
        self._issued = {kind: base - 1 for kind, base in EXTRA_ID_BASES.items()}

    def clear(self) -> None:
        """Empty every table in place, restart the ids and reset the switches."""
        self.campaign_subscriptions.clear()
        self.forms.clear()
        self.submissions.clear()
        self.subscription_types.clear()
        self.batches.clear()
        self.batch_answer = "job"
        self.batch_reads_before_done = 0
        self._issued = {kind: base - 1 for kind, base in EXTRA_ID_BASES.items()}

    def _take_id(self, kind: str, wanted: int | None = None) -> int:
        new = self._issued[kind] + 1 if wanted is None else wanted
        self._issued[kind] = max(self._issued[kind], new)
        return new

    # Campaign subscriptions (§7.4)

    def subscribe(self, campaign: Record, contact: Record, starting_email_index: int, reactivate: bool) -> Record:
        """Add `contact` to `campaign`; one who unsubscribed earlier comes back only with `reactivate`.

        Keeps the campaign's subscriber counts in step (§6.4 fields). A repeat subscribe changes nothing.
        """
        key = (campaign["id"], contact["id"])
        now = self.store.now()
        subscription = self.campaign_subscriptions.get(key)
        if subscription is None:
            subscription = {
                "campaign_id": campaign["id"],
                "contact_id": contact["id"],
                "status": "active",
                "starting_email_index": starting_email_index,
                "created_at": now,
                "updated_at": now,
            }
            self.campaign_subscriptions[key] = subscription
            campaign["active_subscriber_count"] = (campaign.get("active_subscriber_count") or 0) + 1
        elif subscription["status"] == "unsubscribed" and reactivate:
            subscription.update(status="active", starting_email_index=starting_email_index, updated_at=now)
            campaign["active_subscriber_count"] = (campaign.get("active_subscriber_count") or 0) + 1
            campaign["unsubscribed_subscriber_count"] = max(0, (campaign.get("unsubscribed_subscriber_count") or 0) - 1)
        return subscription

    def unsubscribe(self, campaign: Record, contact: Record) -> Record | None:
        """Take `contact` off `campaign` (kept as ``unsubscribed``); a contact never subscribed is a no-op."""
        subscription = self.campaign_subscriptions.get((campaign["id"], contact["id"]))
        if subscription is not None and subscription["status"] == "active":
            subscription.update(status="unsubscribed", updated_at=self.store.now())
            campaign["active_subscriber_count"] = max(0, (campaign.get("active_subscriber_count") or 0) - 1)
            campaign["unsubscribed_subscriber_count"] = (campaign.get("unsubscribed_subscriber_count") or 0) + 1
        return subscription

    # Forms (§6.6, §7.6)

    def add_form(self, **fields: Any) -> Record:
        """Store a form record (§6.6 fields); ``id`` is issued when not given."""
        form = {**fields, "id": self._take_id("form", fields.get("id"))}
        self.forms[form["id"]] = form
        return form

    def form(self, form_id: int) -> Record:
        """Form `form_id`, or 404 ``not_found``."""
        if form_id not in self.forms:
            raise not_found(f"no form with id {form_id}")
        return self.forms[form_id]

    def submit(self, form: Record, email: str, values: dict[str, Any], created_at: int | None = None) -> Record:
        """Record a submission of `form`: every required field present, no field the form lacks.

        The submitter becomes a lead when no contact has this email (an emulator choice; Gist's
        behaviour is [?]), and a ``name`` field fills an empty contact name.
        """
        names = [f["name"] for f in form["fields"]]
        unknown = [key for key in values if key not in names]
        if unknown:
            raise invalid(f"form {form['id']} has no field {unknown[0]!r}; its fields: {', '.join(names)}")
        absent = [f["name"] for f in form["fields"] if f["required"] and values.get(f["name"]) in (None, "")]
        if absent:
            raise invalid(f"field {absent[0]!r} of form {form['id']} is required")
        contact = self.store.find(ContactRef("email", email))
        if contact is None:
            contact = self.store.upsert_contact({"email": email}).contact
        if values.get("name") and not contact["name"]:
            contact["name"] = values["name"]
        submission = {
            "id": self._take_id("submission"),
            "form_id": form["id"],
            "contact_id": contact["id"],
            "email": contact["email"],
            "fields": dict(values),
            "created_at": self.store.now() if created_at is None else created_at,
        }
        self.submissions.append(submission)
        return submission

    def submissions_of(self, form_id: int) -> list[Record]:
        """The submissions of a form, newest first."""
        found = [s for s in self.submissions if s["form_id"] == form_id]
        return sorted(found, key=lambda s: (s["created_at"], s["id"]), reverse=True)

    # Subscription types (§6.7, §7.7)

    def add_subscription_type(self, **fields: Any) -> Record:
        """Store a subscription type; ``contact_ids`` starts empty unless given."""
        record: Record = {
            "contact_ids": set[int](),
            **fields,
            "id": self._take_id("subscription_type", fields.get("id")),
        }
        self.subscription_types[record["id"]] = record
        return record

    def subscription_type(self, type_id: int) -> Record:
        """Subscription type `type_id`, or 404 ``not_found``."""
        if type_id not in self.subscription_types:
            raise not_found(f"no subscription type with id {type_id}")
        return self.subscription_types[type_id]

    # Batch import (§7.1)

    def add_batch(self, contacts: list[Any]) -> Record:
        """Queue a batch of contact bodies; it runs when submitted or after the configured status reads."""
        batch: Record = {
            "id": str(self._take_id("batch")),
            "status": "queued",
            "contacts": contacts,
            "reads_left": self.batch_reads_before_done,
            "succeeded": 0,
            "failures": [],
            "created_at": self.store.now(),
            "completed_at": None,
        }
        self.batches[batch["id"]] = batch
        return batch

    def run_batch(self, contacts: list[JSON]) -> BatchRun:
        """Write each contact body as ``POST /contacts`` would; a body that fails is a per-record failure."""
        run = BatchRun()
        for index, body in enumerate(contacts):
            try:
                fields = contact_write(checked_keys(json_dict(body, f"contacts[{index}]"), CONTACT_FIELDS, "a contact"))
                run.written.append(self.store.upsert_contact(fields))
            except ApiError as error:
                raw = as_object(body) or {}
                run.failures.append(
                    {
                        "index": index,
                        "email": raw.get("email"),
                        "user_id": raw.get("user_id"),
                        "code": error.code,
                        "message": error.message,
                    }
                )
        return run

    def complete(self, batch: Record) -> BatchRun:
        """Run a queued batch and mark it completed with its counts and failures."""
        run = self.run_batch(batch["contacts"])
        batch.update(
            status="completed",
            succeeded=len(run.written),
            failures=run.failures,
            completed_at=self.store.now(),
        )
        return run
