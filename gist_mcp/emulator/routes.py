"""The HTTP routes of the current Gist API (gist-api.md §7.1 to §7.5), on top of the `Store`.

Each path is one Starlette route whose handlers are picked by method, so a wrong method on a known
path is a 405 with an ``Allow`` header and an unknown path a 404. Handlers check their input with
`inputs`, apply the rules in `state`, answer with `serialize` shapes in the §1 envelopes (singular key
for one object, plural key plus ``pages`` for a list) and report each write to the webhook sink.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import serialize
from .errors import missing, not_found
from .inputs import (
    CONTACT_FIELDS,
    EVENT_FIELDS,
    TAG_FIELDS,
    ContactRef,
    contact_write,
    event_write,
    json_object,
    query_bool,
    query_choice,
    query_int,
    tag_write,
)
from .pagination import Paging, paginate
from .state import ORDER_FIELDS, Record, Store, TagChange
from .webhooks import Notify, Topic

Handler = Callable[[Request], Awaitable[Response]]

SECONDS_PER_DAY = 86400


def route(path: str, **handlers: Handler) -> Route:
    """One route for `path` that dispatches on the method (HEAD is served as GET)."""

    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return Route(path, endpoint, methods=list(handlers))


class Api:
    """Route handlers bound to one store, one webhook notifier and the emulator's paging."""

    def __init__(self, store: Store, notify: Notify, paging: Paging) -> None:
        self.store = store
        self.notify = notify
        self.paging = paging

    def routes(self) -> list[Route]:
        """All routes of the emulated API."""
        return [
            route("/contacts", GET=self.get_contacts, POST=self.upsert_contact, DELETE=self.delete_contact_by),
            route("/contacts/{contact_id:int}", GET=self.get_contact, DELETE=self.delete_contact),
            route("/tags", GET=self.list_tags, POST=self.write_tag),
            route("/tags/{tag_id:int}", DELETE=self.delete_tag),
            route("/segments", GET=self.list_segments),
            route("/segments/{segment_id:int}", GET=self.get_segment),
            route("/campaigns", GET=self.list_campaigns),
            route("/campaigns/{campaign_id:int}", GET=self.get_campaign),
            route("/events", GET=self.list_events, POST=self.track_event),
        ]

    def _page(self, request: Request, items: list[Record], plural: str, render: Callable[[Record], Any]) -> Response:
        return JSONResponse(paginate(request, items, plural, render, self.paging))

    def _contact(self, record: Record) -> dict[str, Any]:
        return serialize.contact(self.store, record)

    # Contacts (§7.1)

    async def get_contacts(self, request: Request) -> Response:
        """``GET /contacts``: one contact for ``?user_id=`` / ``?email=``, else the filtered list."""
        ref = _query_ref(request)
        if ref is not None:
            return JSONResponse({"contact": self._contact(self.store.get(ref))})
        since_days = query_int(request, "created_since")
        contacts = self.store.list_contacts(
            tag_id=query_int(request, "tag_id", minimum=1),
            tag_name=request.query_params.get("tags"),
            segment_id=query_int(request, "segment_id", minimum=1),
            created_after=None if since_days is None else self.store.now() - since_days * SECONDS_PER_DAY,
            email_like=request.query_params.get("email_like"),
            order_by=query_choice(request, "order_by", ORDER_FIELDS, "created_at"),
            descending=query_choice(request, "order", ("asc", "desc"), "desc") == "desc",
        )
        return self._page(request, contacts, "contacts", self._contact)

    async def get_contact(self, request: Request) -> Response:
        """``GET /contacts/{id}``."""
        contact = self.store.get(ContactRef("id", request.path_params["contact_id"]))
        return JSONResponse({"contact": self._contact(contact)})

    async def upsert_contact(self, request: Request) -> Response:
        """``POST /contacts``: create or update (rules in `Store.upsert_contact`); always 200."""
        result = self.store.upsert_contact(contact_write(await json_object(request, CONTACT_FIELDS)))
        body = self._contact(result.contact)
        await self.notify("contact.created" if result.created else "contact.updated", body)
        for tag in result.tagged:
            await self.notify("contact.tagged", body, tag=serialize.tag(tag))
        return JSONResponse({"contact": body})

    async def delete_contact(self, request: Request) -> Response:
        """``DELETE /contacts/{id}``: answers the deleted contact (§7.1 [I])."""
        return await self._delete(self.store.get(ContactRef("id", request.path_params["contact_id"])))

    async def delete_contact_by(self, request: Request) -> Response:
        """``DELETE /contacts?user_id=`` or ``?email=``."""
        ref = _query_ref(request)
        if ref is None:
            raise missing("DELETE /contacts needs ?user_id= or ?email=")
        return await self._delete(self.store.get(ref))

    async def _delete(self, contact: Record) -> Response:
        body = self._contact(contact)
        self.store.delete_contact(contact)
        await self.notify("contact.deleted", body)
        return JSONResponse({"contact": body})

    # Tags (§7.2)

    async def list_tags(self, request: Request) -> Response:
        """``GET /tags``, by id."""
        return self._page(request, sorted(self.store.tags.values(), key=_by_id), "tags", serialize.tag)

    async def write_tag(self, request: Request) -> Response:
        """``POST /tags``: create (`name`), rename (`id` + `name`), tag/untag (`contacts`; see `TagWrite`)."""
        write = tag_write(await json_object(request, TAG_FIELDS))
        if write.items is None:
            tag = self.store.ensure_tag(write.name) if write.id is None else self.store.rename_tag(write.id, write.name)
        else:
            change = self.store.apply_tag(write.items, name=write.name, tag_id=write.id)
            await self._notify_tag_change(change)
            tag = change.tag
        return JSONResponse({"tag": serialize.tag(tag)})

    async def delete_tag(self, request: Request) -> Response:
        """``DELETE /tags/{id}``: answers the deleted tag and takes it off every contact."""
        change = self.store.delete_tag(request.path_params["tag_id"])
        await self._notify_tag_change(change)
        return JSONResponse({"tag": serialize.tag(change.tag)})

    async def _notify_tag_change(self, change: TagChange) -> None:
        """One payload per contact whose tags actually changed."""
        tag = serialize.tag(change.tag)
        topics: list[tuple[Topic, list[Record]]] = [
            ("contact.tagged", change.tagged),
            ("contact.untagged", change.untagged),
        ]
        for topic, contacts in topics:
            for contact in contacts:
                await self.notify(topic, self._contact(contact), tag=tag)

    # Segments (§7.3) and campaigns (§7.4): read-only

    async def list_segments(self, request: Request) -> Response:
        """``GET /segments?include_count=``."""
        include_count = query_bool(request, "include_count")
        segments = sorted(self.store.segments.values(), key=_by_id)
        return self._page(request, segments, "segments", lambda s: serialize.segment(s, include_count))

    async def get_segment(self, request: Request) -> Response:
        """``GET /segments/{id}?include_count=``."""
        segment = _get(self.store.segments, request.path_params["segment_id"], "segment")
        return JSONResponse({"segment": serialize.segment(segment, query_bool(request, "include_count"))})

    async def list_campaigns(self, request: Request) -> Response:
        """``GET /campaigns``."""
        campaigns = sorted(self.store.campaigns.values(), key=_by_id)
        return self._page(request, campaigns, "campaigns", serialize.campaign)

    async def get_campaign(self, request: Request) -> Response:
        """``GET /campaigns/{id}``."""
        campaign = _get(self.store.campaigns, request.path_params["campaign_id"], "campaign")
        return JSONResponse({"campaign": serialize.campaign(campaign)})

    # Events (§7.5)

    async def list_events(self, request: Request) -> Response:
        """``GET /events``, newest first; ``event_type`` other than ``all`` filters by event name ([I])."""
        event_type = request.query_params.get("event_type", "all")
        events = self.store.list_events(None if event_type == "all" else event_type)
        return self._page(request, events, "events", serialize.event)

    async def track_event(self, request: Request) -> Response:
        """``POST /events``: record an event for the contact named, creating it for an unknown user_id or email.

        Gist's own spec tracks an event for a contact nobody created and expects success (§7.5, pass
        3): the emulator then creates a user (by ``user_id``) or a lead (by ``email``) and announces
        it like a ``POST /contacts`` would. An unknown Gist ``id`` cannot be created: 404.
        """
        write = event_write(await json_object(request, EVENT_FIELDS))
        contact = self.store.find(write.ref)
        if contact is None:
            if write.ref.field == "id":
                raise not_found(f"no contact with {write.ref}")
            contact = self.store.upsert_contact({write.ref.field: write.ref.value}).contact
            await self.notify("contact.created", self._contact(contact))
        event = serialize.event(self.store.add_event(contact, write.name, write.properties, write.occurred_at))
        await self.notify("event.performed", self._contact(contact), event=event)
        return JSONResponse({"event": event})


def _query_ref(request: Request) -> ContactRef | None:
    """The ``?user_id=`` or ``?email=`` lookup of a request (user_id first, as in §7.1 matching)."""
    for field in ("user_id", "email"):
        value = request.query_params.get(field)
        if value is not None:
            return ContactRef(field, value)
    return None


def _get(table: dict[int, Record], record_id: int, kind: str) -> Record:
    """`table[record_id]`, or 404 ``not_found``."""
    if record_id not in table:
        raise not_found(f"no {kind} with id {record_id}")
    return table[record_id]


def _by_id(record: Record) -> int:
    return record["id"]
