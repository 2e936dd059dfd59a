"""The emulated workspace: stored records and the rules that change them (gist-api.md §6, §7, §13).

Records are plain dicts, so tests can read them directly:

* contact: ``id, type, name, first_name, last_name, company_name, job_title, email, user_id, phone,
  created_at, updated_at, last_seen_at, signed_up_at, last_seen_ip, last_seen_user_agent,
  location_data, custom_properties, tag_ids (list[int]), unsubscribed_from_emails (bool)``;
  ``type`` is ``"user"`` exactly when ``user_id`` is set.
* tag: ``id, name``. segment: ``id, name, created_at, updated_at, contact_ids (set[int])``.
* campaign: the §6.4 fields. event: ``id, name, contact_id, email, user_id, properties, occurred_at``.

Ids are never reused: each kind continues from the highest id it has issued, starting at the bases
below when the workspace is empty. Timestamps are integer Unix seconds from the injected clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid, missing, not_found
from .inbox_state import Inbox
from .inputs import ContactRef, TagItem

Record = dict[str, Any]

ID_BASES = {"contact": 179301, "tag": 71, "segment": 571, "campaign": 3101, "event": 1}
"""First id of each kind in an empty workspace (the §6 example ids are in these ranges)."""

ORDER_FIELDS = ("created_at", "last_seen_at", "signed_up_at", "updated_at")
"""``order_by`` values of ``GET /contacts`` (§7.1, §11)."""

NAME_FIELDS = ("first_name", "last_name", "company_name", "job_title")
"""Top-level contact properties some clients post (§6.1, pass 3): stored and answered as given."""

_CONTACT_COPY_FIELDS = (
    "email",
    "user_id",
    "name",
    *NAME_FIELDS,
    "phone",
    "signed_up_at",
    "last_seen_ip",
    "last_seen_user_agent",
    "unsubscribed_from_emails",
    "location_data",
)


@dataclass
class Upsert:
    """What ``POST /contacts`` did: the contact, whether it is new, and the tags it newly received."""

    contact: Record
    created: bool
    tagged: list[Record] = field(default_factory=list[Record])


@dataclass
class TagChange:
    """What a tag write did to contacts: the contacts that gained and that lost the tag."""

    tag: Record
    tagged: list[Record] = field(default_factory=list[Record])
    untagged: list[Record] = field(default_factory=list[Record])


class Store:
    """Holds the workspace records and applies the API's write rules to them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.contacts: dict[int, Record] = {}
        self.tags: dict[int, Record] = {}
        self.segments: dict[int, Record] = {}
        self.campaigns: dict[int, Record] = {}
        self.events: list[Record] = []
        self.inbox = Inbox(self)
        self._issued = {kind: base - 1 for kind, base in ID_BASES.items()}

    def now(self) -> int:
        """The clock as integer Unix seconds."""
        return int(self.clock())

    def clear(self) -> None:
        """Empty the workspace in place (references held by tests stay valid) and restart the ids."""
        for table in (self.contacts, self.tags, self.segments, self.campaigns):
            table.clear()
        self.events.clear()
        self.inbox.clear()
        self._issued = {kind: base - 1 for kind, base in ID_BASES.items()}

    def _take_id(self, kind: str, wanted: int | None, taken: Iterable[int]) -> int:
        """Issue the next id of `kind`, or claim `wanted` (seed data and test helpers)."""
        new = self._issued[kind] + 1 if wanted is None else wanted
        if new in taken:
            raise ValueError(f"{kind} id {new} already exists")
        self._issued[kind] = max(self._issued[kind], new)
        return new

    # Lookups

    def find(self, ref: ContactRef) -> Record | None:
        """The contact `ref` names, or None. Emails match case-insensitively (an emulator choice)."""
        if ref.field == "id":
            return self.contacts.get(int(ref.value))
        if ref.field == "user_id":
            return next((c for c in self.contacts.values() if c["user_id"] == ref.value), None)
        wanted = str(ref.value).lower()
        return next((c for c in self.contacts.values() if (c["email"] or "").lower() == wanted), None)

    def get(self, ref: ContactRef, where: str = "") -> Record:
        """The contact `ref` names; 404 ``not_found`` (mentioning `where`) when there is none."""
        contact = self.find(ref)
        if contact is None:
            raise not_found(f"no contact with {ref}{where}")
        return contact

    def tag_named(self, name: str) -> Record | None:
        """The tag called exactly `name` (names are case-sensitive, §6.2), or None."""
        return next((tag for tag in self.tags.values() if tag["name"] == name), None)

    def ensure_tag(self, name: str) -> Record:
        """The tag called `name`, created when missing (§7.1, §7.2)."""
        return self.tag_named(name) or self.add_tag(name)

    def segments_of(self, contact: Record) -> list[Record]:
        """The segments `contact` belongs to, by id."""
        # Filter before sorting: this runs for every contact of every list page.
        return sorted((s for s in self.segments.values() if contact["id"] in s["contact_ids"]), key=lambda s: s["id"])

    # Contacts

    def list_contacts(
        self,
        *,
        tag_id: int | None = None,
        tag_name: str | None = None,
        segment_id: int | None = None,
        created_after: int | None = None,
        email_like: str | None = None,
        order_by: str = "created_at",
        descending: bool = True,
    ) -> list[Record]:
        """Users and leads together, filtered (every given filter must hold) and sorted.

        A missing sort value (a lead's ``signed_up_at``) sorts as 0; ties go by id in the same direction.
        ``email_like`` is a case-insensitive substring match; unknown tags and segments match nothing.
        """
        segment = self.segments.get(segment_id or 0)
        result = [
            c
            for c in self.contacts.values()
            if (tag_id is None or tag_id in c["tag_ids"])
            and (tag_name is None or tag_name in (self.tags[t]["name"] for t in c["tag_ids"]))
            and (segment_id is None or (segment is not None and c["id"] in segment["contact_ids"]))
            and (created_after is None or c["created_at"] >= created_after)
            and (email_like is None or email_like.lower() in (c["email"] or "").lower())
        ]
        return sorted(result, key=lambda c: (c[order_by] or 0, c["id"]), reverse=descending)

    def add_contact(self, *, tags: Iterable[str] = (), segment_ids: Iterable[int] = (), **fields: Any) -> Record:
        """Put a contact straight into the store, bypassing the API rules (seed data, test set-up).

        `fields` are record fields (see the module docstring) stored as given; ``type`` follows
        ``user_id``. `tags` are tag names (created when missing), `segment_ids` existing segments.
        """
        now = self.now()
        contact: Record = {
            "id": None,
            "type": "lead",
            "name": None,
            **dict.fromkeys(NAME_FIELDS),
            "email": None,
            "user_id": None,
            "phone": None,
            "created_at": now,
            "updated_at": now,
            "last_seen_at": None,
            "signed_up_at": None,
            "last_seen_ip": None,
            "last_seen_user_agent": None,
            "location_data": None,
            "custom_properties": {},
            "tag_ids": [],
            "unsubscribed_from_emails": False,
        }
        unknown = set(fields) - set(contact)
        if unknown:
            raise TypeError(f"unknown contact fields: {', '.join(sorted(unknown))}")
        contact.update(fields, id=self._take_id("contact", fields.get("id"), self.contacts))
        contact["type"] = "user" if contact["user_id"] else "lead"
        self.contacts[contact["id"]] = contact
        for name in tags:
            _attach(contact, self.ensure_tag(name))
        for segment_id in segment_ids:
            self.segments[segment_id]["contact_ids"].add(contact["id"])
        return contact

    def upsert_contact(self, fields: Record) -> Upsert:
        """Apply a checked ``POST /contacts`` body (see `inputs.contact_write`): create or update.

        Rules (§6.1, §7.1, §10): email or user_id is required; the match goes id, then user_id, then
        email; an unknown id is 404; a user_id turns a lead into a user; ``type`` must agree with the
        result; ``custom_properties`` are merged; ``tags`` are added, never removed.
        """
        if "email" not in fields and "user_id" not in fields:
            raise missing("a contact write needs email or user_id")
        contact = self._match(fields)
        user_id = fields.get("user_id", contact["user_id"] if contact else None)
        kind = "user" if user_id else "lead"
        if fields.get("type", kind) != kind:
            raise invalid(f"type {fields['type']!r} does not match the result: this contact is a {kind}")
        created = contact is None
        if contact is None:
            contact = self.add_contact()
        for key in _CONTACT_COPY_FIELDS:
            if key in fields:
                contact[key] = fields[key]
        contact["type"] = kind
        contact["custom_properties"].update(fields.get("custom_properties", {}))
        tagged = [tag for tag in map(self.ensure_tag, fields.get("tags", ())) if _attach(contact, tag)]
        if not created:
            contact["updated_at"] = self.now()
        return Upsert(contact, created, tagged)

    def _match(self, fields: Record) -> Record | None:
        """The existing contact a write addresses, after checking that email and user_id stay unique."""
        if "id" in fields:
            target = self.get(ContactRef("id", fields["id"]))
        else:
            target = next(
                (c for f in ("user_id", "email") if f in fields and (c := self.find(ContactRef(f, fields[f])))), None
            )
        for key in ("user_id", "email"):
            owner = self.find(ContactRef(key, fields[key])) if key in fields else None
            if owner is not None and owner is not target:
                raise invalid(f"{key} {fields[key]} already belongs to contact {owner['id']}")
        if target and "id" not in fields and target["user_id"] not in (None, fields.get("user_id", target["user_id"])):
            raise invalid(
                f"email {fields['email']} belongs to contact {target['id']} with user_id {target['user_id']};"
                " send its id to change the user_id"
            )
        return target

    def delete_contact(self, contact: Record) -> None:
        """Remove `contact` and its segment memberships; recorded events keep their copy of its ids."""
        del self.contacts[contact["id"]]
        for segment in self.segments.values():
            segment["contact_ids"].discard(contact["id"])

    # Tags

    def add_tag(self, name: str, tag_id: int | None = None) -> Record:
        """Create a tag (no check that the name is free: use `ensure_tag` for that)."""
        tag: Record = {"id": self._take_id("tag", tag_id, self.tags), "name": name}
        self.tags[tag["id"]] = tag
        return tag

    def rename_tag(self, tag_id: int, name: str) -> Record:
        """Rename tag `tag_id`; 404 when unknown, 400 when another tag already has `name`."""
        tag = self.tags.get(tag_id)
        if tag is None:
            raise not_found(f"no tag with id {tag_id}")
        other = self.tag_named(name)
        if other is not None and other is not tag:
            raise invalid(f"tag name {name!r} is already used by tag {other['id']}")
        tag["name"] = name
        return tag

    def apply_tag(self, items: list[TagItem], *, name: str, tag_id: int | None = None) -> TagChange:
        """Tag or untag the contacts in `items` with tag `tag_id` (renamed to `name` if it differs), or
        else with the tag called `name` (created when missing).

        All contacts are resolved first: one unknown contact fails the whole request with 404 and
        changes nothing (an emulator choice; Gist's behaviour is not documented).
        """
        targets = [(self.get(item.ref, f" (contacts[{i}])"), item.untag) for i, item in enumerate(items)]
        change = TagChange(self.ensure_tag(name) if tag_id is None else self.rename_tag(tag_id, name))
        for contact, untag in targets:
            if untag and _detach(contact, change.tag):
                change.untagged.append(contact)
            elif not untag and _attach(contact, change.tag):
                change.tagged.append(contact)
        for contact in (*change.tagged, *change.untagged):
            contact["updated_at"] = self.now()
        return change

    def delete_tag(self, tag_id: int) -> TagChange:
        """Delete tag `tag_id` and take it off every contact; 404 when unknown."""
        tag = self.tags.pop(tag_id, None)
        if tag is None:
            raise not_found(f"no tag with id {tag_id}")
        return TagChange(tag, untagged=[c for c in self.contacts.values() if _detach(c, tag)])

    # Segments and campaigns (read-only through the API)

    def add_segment(self, name: str, created_at: int, updated_at: int, segment_id: int | None = None) -> Record:
        """Create an empty segment; members are added with `add_contact(segment_ids=...)`."""
        segment_id = self._take_id("segment", segment_id, self.segments)
        segment = {"id": segment_id, "name": name, "created_at": created_at, "updated_at": updated_at}
        self.segments[segment_id] = {**segment, "contact_ids": set[int]()}
        return self.segments[segment_id]

    def add_campaign(self, **fields: Any) -> Record:
        """Store a campaign record (§6.4 fields); ``id`` is issued when not given."""
        campaign = {**fields, "id": self._take_id("campaign", fields.get("id"), self.campaigns)}
        self.campaigns[campaign["id"]] = campaign
        return campaign

    # Events

    def add_event(self, contact: Record, name: str, properties: Record, occurred_at: int | None = None) -> Record:
        """Record event `name` for `contact`; ``.`` and ``$`` in the name become ``-`` (§10.8)."""
        event = {
            "id": self._take_id("event", None, ()),
            "name": re.sub(r"[.$]", "-", name),
            "contact_id": contact["id"],
            "email": contact["email"],
            "user_id": contact["user_id"],
            "properties": properties,
            "occurred_at": self.now() if occurred_at is None else occurred_at,
        }
        self.events.append(event)
        return event

    def list_events(self, name: str | None = None) -> list[Record]:
        """Events newest first, optionally only those called `name`."""
        events = [e for e in self.events if name is None or e["name"] == name]
        return sorted(events, key=lambda e: (e["occurred_at"], e["id"]), reverse=True)


def _attach(contact: Record, tag: Record) -> bool:
    """Give `contact` the tag; True when it did not have it yet."""
    if tag["id"] in contact["tag_ids"]:
        return False
    contact["tag_ids"].append(tag["id"])
    return True


def _detach(contact: Record, tag: Record) -> bool:
    """Take the tag off `contact`; True when it had it."""
    if tag["id"] not in contact["tag_ids"]:
        return False
    contact["tag_ids"].remove(tag["id"])
    return True
