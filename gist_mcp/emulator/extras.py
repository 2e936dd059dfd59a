"""HTTP routes for campaign subscriptions, forms, subscription types and batch imports.

Paths come from Gist's SDK (gist-api.md §7.1 batch rows, §7.4, §7.6, §7.7); the bodies and answers
of these endpoints are mostly `[?]` there, so each handler says which shape it chose and what it
accepts besides. Strict where the reference is sure (unknown body keys are 400, unknown ids 404
``not_found``), tolerant where it lists alternatives. Rules live in `extras_state.ExtraStore`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import serialize
from .errors import invalid, missing, not_found
from .extras_state import BatchRun, ExtraStore
from .inputs import ContactRef, email, first_ref, flag, gist_id, json_dict, json_object, query_int, stringish, text
from .pagination import Paging, paginate
from .routes import route
from .state import Record
from .webhooks import Notify

MAX_BATCH_CONTACTS = 100
"""Contacts per ``POST /contacts/batch``; more are 400. The reference gives no size: our choice [I]."""

CAMPAIGN_SUBSCRIBE_FIELDS = ("id", "email", "user_id", "starting_email_index", "reactivate_if_removed", "unsubscribed")
"""Body keys of ``POST /campaigns`` (§7.4: the SDK's subscribe, Pipedream's body)."""

SUBSCRIPTION_FIELDS = ("id", "contact_id", "email", "user_id", "unsubscribed", "subscribed", "action")
"""Body keys of ``POST /subscription_types/{id}``: a contact selector and the action, in every spelling seen."""

_ACTIONS = {"attach": True, "subscribe": True, "opt_in": True, "detach": False, "unsubscribe": False, "opt_out": False}


class ExtraApi:
    """Route handlers bound to the extra tables, the webhook notifier and the emulator's paging."""

    def __init__(self, extras: ExtraStore, notify: Notify, paging: Paging) -> None:
        self.extras = extras
        self.store = extras.store
        self.notify = notify
        self.paging = paging

    def routes(self) -> list[Route]:
        """The extra routes; ``POST /campaigns`` joins the read-only ``GET /campaigns`` of `routes.Api`."""
        return [
            route("/campaigns", POST=self.campaign_subscription),
            route("/forms", GET=self.get_forms),
            route("/forms/{form_id:int}/submissions", GET=self.list_submissions),
            route("/forms/{form_id:int}/subscribe", POST=self.submit_form),
            route("/subscription_types", GET=self.list_subscription_types),
            route("/subscription_types/{type_id:int}", GET=self.get_subscription_type, POST=self.set_subscription),
            route("/subscription_types/{type_id:int}/attach", POST=self.attach),
            route("/subscription_types/{type_id:int}/detach", POST=self.detach),
            route("/contacts/batch", POST=self.create_batch),
            route("/contacts/batch/{batch_id}", GET=self.get_batch),
        ]

    def _page(self, request: Request, items: list[Record], plural: str, render: Any) -> Response:
        return JSONResponse(paginate(request, items, plural, render, self.paging))

    # Campaign subscriptions (§7.4)

    async def campaign_subscription(self, request: Request) -> Response:
        """``POST /campaigns``: subscribe (``unsubscribed: true`` unsubscribes) the contact named by email or user_id.

        Answer [?]: we answer ``{"campaign": <campaign with updated counts>, "subscription": {...}}``.
        An unknown campaign or contact is 404; unsubscribing a contact who never subscribed is a no-op.
        """
        body = await json_object(request, CAMPAIGN_SUBSCRIBE_FIELDS)
        if "id" not in body:
            raise missing("id (the campaign id) is required")
        campaign_id = gist_id(body["id"], "id")
        campaign = self.store.campaigns.get(campaign_id)
        if campaign is None:
            raise not_found(f"no campaign with id {campaign_id}")
        ref = _email_or_user_id(body)
        contact = self.store.get(ref)
        if flag(body.get("unsubscribed", False), "unsubscribed"):
            subscription = self.extras.unsubscribe(campaign, contact)
        else:
            index = body.get("starting_email_index", 0)
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise invalid(f"starting_email_index must be a non-negative integer, got {index!r}")
            reactivate = flag(body.get("reactivate_if_removed", False), "reactivate_if_removed")
            subscription = self.extras.subscribe(campaign, contact, index, reactivate)
        answer: dict[str, Any] = {"campaign": serialize.campaign(campaign)}
        if subscription is not None:
            answer["subscription"] = dict(subscription)
        return JSONResponse(answer)

    # Forms (§7.6)

    async def get_forms(self, request: Request) -> Response:
        """``GET /forms`` (list, by id) or ``GET /forms?form_id=`` (one form as ``{"form"}``, §10.9)."""
        form_id = query_int(request, "form_id", minimum=1)
        if form_id is not None:
            return JSONResponse({"form": _form(self.extras.form(form_id))})
        forms = sorted(self.extras.forms.values(), key=lambda f: f["id"])
        return self._page(request, forms, "forms", _form)

    async def list_submissions(self, request: Request) -> Response:
        """``GET /forms/{id}/submissions``, newest first; submission shape [?]: ours (see `extras_state`)."""
        form = self.extras.form(request.path_params["form_id"])
        return self._page(request, self.extras.submissions_of(form["id"]), "submissions", dict)

    async def submit_form(self, request: Request) -> Response:
        """``POST /forms/{id}/subscribe``: body [?]. We take ``email`` plus the field values, either nested
        as ``fields`` (ConvertKit's shape for the same path) or flat by field name; unknown names are 400.

        Answer [?]: ``{"submission": {...}}``.
        """
        form = self.extras.form(request.path_params["form_id"])
        names = [f["name"] for f in form["fields"]]
        body = await json_object(request, ("email", "fields", *(n for n in names if n != "email")))
        if body.get("email") in (None, ""):
            raise missing("email is required")
        address = email(body["email"])
        values = {k: v for k, v in body.items() if k not in ("email", "fields")}
        values.update(json_dict(body.get("fields", {}), "fields"))
        if "email" in names:
            values.setdefault("email", address)
        submission = self.extras.submit(form, address, values)
        return JSONResponse({"submission": dict(submission)})

    # Subscription types (§7.7)

    async def list_subscription_types(self, request: Request) -> Response:
        """``GET /subscription_types``, by display order."""
        types = sorted(self.extras.subscription_types.values(), key=lambda t: (t["display_order"], t["id"]))
        return self._page(request, types, "subscription_types", _subscription_type)

    async def get_subscription_type(self, request: Request) -> Response:
        """``GET /subscription_types/{id}``."""
        record = self.extras.subscription_type(request.path_params["type_id"])
        return JSONResponse({"subscription_type": _subscription_type(record)})

    async def set_subscription(self, request: Request) -> Response:
        """``POST /subscription_types/{id}`` (the SDK's path): body [?]. A contact selector (``email``,
        ``user_id``, ``id`` or ``contact_id``) and the action as ``unsubscribed: true`` (POST /campaigns'
        convention, what our client sends), ``subscribed: bool`` or ``action`` (attach/detach,
        subscribe/unsubscribe, opt_in/opt_out); no action means subscribe.
        """
        body = await json_object(request, SUBSCRIPTION_FIELDS)
        return await self._subscription(request, body, _subscribed(body))

    async def attach(self, request: Request) -> Response:
        """``POST /subscription_types/{id}/attach``: alias (slates) that subscribes."""
        return await self._subscription(request, await json_object(request, SUBSCRIPTION_FIELDS), True)

    async def detach(self, request: Request) -> Response:
        """``POST /subscription_types/{id}/detach``: alias (slates) that unsubscribes."""
        return await self._subscription(request, await json_object(request, SUBSCRIPTION_FIELDS), False)

    async def _subscription(self, request: Request, body: dict[str, Any], subscribed: bool) -> Response:
        """Apply the action; answer [?]: ``{"subscription_type": <type with its contact_count>}``."""
        record = self.extras.subscription_type(request.path_params["type_id"])
        if body.get("contact_id") is not None and body.get("id") is None:
            body = {**body, "id": body["contact_id"]}
        contact = self.store.get(first_ref(body, "a subscription change"))
        if subscribed:
            record["contact_ids"].add(contact["id"])
        else:
            record["contact_ids"].discard(contact["id"])
        return JSONResponse({"subscription_type": _subscription_type(record)})

    # Batch import (§7.1)

    async def create_batch(self, request: Request) -> Response:
        """``POST /contacts/batch`` ``{"contacts": [...]}`` (1 to `MAX_BATCH_CONTACTS` contact bodies).

        Answer [?], by the `ExtraStore.batch_answer` switch: ``"job"`` → ``{"batch_id", "status",
        "total"}`` (the job completes at once or after some status reads); ``"contacts"`` →
        ``{"contacts": [...written...]}`` plus ``failures`` when some bodies were refused. A body that
        fails (no email or user_id, unknown key, bad value) is a per-record failure, never a 400 for all.
        """
        body = await json_object(request, ("contacts",))
        contacts = body.get("contacts")
        if not isinstance(contacts, list) or not contacts:
            raise missing("contacts must be a non-empty list of contact objects")
        if len(contacts) > MAX_BATCH_CONTACTS:
            raise invalid(f"at most {MAX_BATCH_CONTACTS} contacts per batch, got {len(contacts)}")
        items: list[Any] = list(contacts)
        if self.extras.batch_answer == "contacts":
            run = self.extras.run_batch(items)
            await self._notify_written(run)
            answer: dict[str, Any] = {"contacts": [serialize.contact(self.store, u.contact) for u in run.written]}
            if run.failures:
                answer["failures"] = run.failures
            return JSONResponse(answer)
        batch = self.extras.add_batch(items)
        if batch["reads_left"] == 0:
            await self._notify_written(self.extras.complete(batch))
        return JSONResponse({"batch_id": batch["id"], "status": batch["status"], "total": len(items)})

    async def get_batch(self, request: Request) -> Response:
        """``GET /contacts/batch/{id}``: answer [?]: ``{"batch": {id, status, total, succeeded, failed,
        failures, created_at, completed_at}}``; ``running`` until the configured reads have passed."""
        batch_id = text(request.path_params["batch_id"], "batch_id")
        batch = self.extras.batches.get(batch_id)
        if batch is None:
            raise not_found(f"no batch with id {batch_id}")
        if batch["status"] != "completed":
            if batch["reads_left"] <= 0:
                await self._notify_written(self.extras.complete(batch))
            else:
                batch["reads_left"] -= 1
                batch["status"] = "running"
        return JSONResponse({"batch": _batch(batch)})

    async def _notify_written(self, run: BatchRun) -> None:
        for upsert in run.written:
            body = serialize.contact(self.store, upsert.contact)
            await self.notify("contact.created" if upsert.created else "contact.updated", body)


def _email_or_user_id(body: dict[str, Any]) -> ContactRef:
    """The contact of a campaign subscription: ``user_id`` first, then ``email`` (``id`` is the campaign)."""
    if body.get("user_id") not in (None, ""):
        return ContactRef("user_id", stringish(body["user_id"], "user_id"))
    if body.get("email") not in (None, ""):
        return ContactRef("email", email(body["email"]))
    raise missing("a campaign subscription needs email or user_id")


def _subscribed(body: dict[str, Any]) -> bool:
    """The action of a subscription change, from whichever spelling the body uses (default: subscribe)."""
    if "unsubscribed" in body:
        return not flag(body["unsubscribed"], "unsubscribed")
    if "subscribed" in body:
        return flag(body["subscribed"], "subscribed")
    action = body.get("action", "attach")
    if action not in _ACTIONS:
        raise invalid(f"action must be one of {', '.join(_ACTIONS)}, got {action!r}")
    return _ACTIONS[action]


def _form(record: Record) -> dict[str, Any]:
    """A form (§6.6): ``id, title, form_type, status, fields, created_at``."""
    return {key: record[key] for key in ("id", "title", "form_type", "status", "fields", "created_at")}


def _subscription_type(record: Record) -> dict[str, Any]:
    """A subscription type (§6.7) with its live ``contact_count``."""
    data = {key: record[key] for key in ("id", "name", "description", "status", "display_order")}
    data["contact_count"] = len(record["contact_ids"])
    return data


def _batch(record: Record) -> dict[str, Any]:
    """A batch job's status: counts and per-record failures (our shape; §7.1 says [?])."""
    done = record["status"] == "completed"
    return {
        "id": record["id"],
        "status": record["status"],
        "total": len(record["contacts"]),
        "succeeded": record["succeeded"],
        "failed": len(record["failures"]) if done else 0,
        "failures": list(record["failures"]),
        "created_at": record["created_at"],
        "completed_at": record["completed_at"],
    }
