"""The demo workspace's forms, submissions and subscription types (on top of `seed.load_demo`).

Deterministic like the rest of the demo: 4 forms (ids 801-804) with 2-4 fields each, 3 submissions
per live form (ids from 9001, by demo contacts, oldest first) and 3 subscription types (ids 61-63)
whose members are demo contacts. Campaign subscriptions start empty: the seeded campaigns carry
their subscriber counts as figures only.
"""

from __future__ import annotations

from typing import Any

from .extras_state import ExtraStore
from .seed import DAY, HOUR, SEPTEMBER_1


def _field(name: str, label: str, kind: str = "text", required: bool = False) -> dict[str, Any]:
    return {"name": name, "label": label, "type": kind, "required": required}


FORMS = (
    (801, "Newsletter signup", "inline", "live", [_field("email", "Email", "email", True), _field("name", "Name")]),
    (
        802,
        "Book a demo",
        "popup",
        "live",
        [
            _field("email", "Work email", "email", True),
            _field("name", "Full name", required=True),
            _field("company", "Company"),
            _field("team_size", "Team size", "number"),
        ],
    ),
    (
        803,
        "Webinar registration",
        "inline",
        "live",
        [_field("email", "Email", "email", True), _field("name", "Name", required=True), _field("role", "Role")],
    ),
    (
        804,
        "Ebook download",
        "slide_in",
        "draft",
        [_field("email", "Email", "email", True), _field("company", "Company")],
    ),
)
"""(id, title, form_type, status, fields); field shape ``{name, label, type, required}`` is ours (§6.6 [?])."""

SUBSCRIPTION_TYPES = (
    (61, "Product updates", "New features and release notes.", 1),
    (62, "Newsletter", "The monthly Northwind Analytics newsletter.", 2),
    (63, "Webinars", "Invitations to live sessions and recordings.", 3),
)
"""(id, name, description, display_order); all ``active``."""


def load_extras_demo(extras: ExtraStore) -> None:
    """Fill empty extra tables with the demo's forms, submissions and subscription types."""
    contacts = sorted(extras.store.contacts.values(), key=lambda c: c["id"])
    for n, (form_id, title, form_type, status, fields) in enumerate(FORMS):
        created = SEPTEMBER_1 + (n + 1) * 3 * DAY
        form = extras.add_form(
            id=form_id, title=title, form_type=form_type, status=status, fields=fields, created_at=created
        )
        if status != "live":
            continue
        for k in range(3):
            contact = contacts[(n * 7 + k * 5 + 2) % len(contacts)]
            values = {f["name"]: _value(f["name"], contact, k) for f in fields}
            extras.submit(form, contact["email"], values, created_at=created + (k + 1) * 5 * DAY + n * HOUR)
    for type_id, name, description, order in SUBSCRIPTION_TYPES:
        members = {c["id"] for i, c in enumerate(contacts) if (i + type_id) % 3 == 0}
        extras.add_subscription_type(
            id=type_id,
            name=name,
            description=description,
            status="active",
            display_order=order,
            contact_ids=members,
        )


def _value(name: str, contact: dict[str, Any], k: int) -> Any:
    """A demo contact's answer to form field `name`."""
    if name in ("email", "name"):
        return contact[name]
    if name == "company":
        return contact["custom_properties"].get("company")
    if name == "team_size":
        return 5 + 10 * k
    return ("Analyst", "Head of Data", "CTO")[k]
