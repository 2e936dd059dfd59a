"""The demo workspace: "Northwind Analytics", a small B2B analytics SaaS, between September and
November 2026.

Everything is derived deterministically from the tables below, so ids, emails and timestamps are
the same on every run: 60 contacts (ids 179301-179360; every third one a lead, the rest users with
``user_id`` ``u_1001``-``u_1040``), 8 tags (71-78), 5 segments (571-575) with static memberships,
4 campaigns (3101-3104) and 41 tracked events (ids 1-41, oldest first). Names are fictional, emails use the reserved
``example.com`` (users) and ``example.org`` (leads) domains, phone numbers the fictional 555-01xx
range and IP addresses the documentation ranges.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .inbox_seed import load_inbox
from .state import Record, Store

SEPTEMBER_1 = 1788220800  # 2026-09-01T00:00:00Z
LAST_SEEN_CAP = 1796079600  # 2026-11-30T23:00:00Z
HOUR = 3600
DAY = 24 * HOUR

NAMES = (
    "Maya Patel", "Lucas Martin", "Sofia Rossi", "Ethan Brooks", "Amara Okafor", "Noah Schneider",
    "Hana Suzuki", "Liam O'Connor", "Isabela Costa", "Oliver Nguyen", "Fatima Zahra", "Jonas Berg",
    "Chloé Dubois", "Mateo García", "Aisha Khan", "Daniel Kim", "Elena Petrova", "Samuel Adeyemi",
    "Grace Liu", "Tomás Silva", "Priya Raman", "Henry Walker", "Yuki Tanaka", "Omar Haddad",
    "Freya Larsen", "Diego Álvarez", "Leah Cohen", "Arjun Mehta", "Nora Fischer", "Kwame Mensah",
    "Zoe Taylor", "Ravi Iyer", "Ingrid Johansson", "Marco Bianchi", "Selin Yilmaz", "Owen Davies",
    "Camille Laurent", "Mohammed Al-Farsi", "Julia Nowak", "Benjamin Clarke", "Sakura Ito", "Pedro Santos",
    "Emma Wilson", "Kofi Boateng", "Anna Kowalski", "Felix Wagner", "Lucia Fernández", "Hiro Yamamoto",
    "Olivia Bennett", "Tariq Aziz", "Mia Hoffmann", "Nikolai Ivanov", "Ruth Abebe", "Carlos Mendoza",
    "Astrid Nilsson", "Jamal Wright", "Mei Chen", "Patrick Byrne", "Valentina Ricci", "Sam Rivera",
)  # fmt: skip

COMPANIES = (
    "Acme Logistics", "Bluefin Foods", "Cobalt Health", "Dunmore Legal", "Evergreen Schools",
    "Fjord Outdoor", "Granite Insurance", "Harbor Bank", "Ivory Studio", "Juniper Retail",
    "Kestrel Air", "Lumen Energy", "Mosaic Media", "Nimbus Travel", "Orchid Clinics",
)  # fmt: skip

PLANS = ("growth", "starter", "trial", "starter", "growth", "enterprise", "trial", "starter", "growth", "trial")
"""Plan of the n-th user, cycling (12 growth, 12 starter, 12 trial, 4 enterprise)."""

PLAN_PRICE = {"trial": 0, "starter": 49, "growth": 199, "enterprise": 899}
LEAD_SOURCES = ("website", "webinar", "ebook", "referral", "website")

LOCATIONS = (
    (
        "San Francisco",
        "California",
        "United States",
        "US",
        "North America",
        "NA",
        37.7749,
        -122.4194,
        "America/Los_Angeles",
    ),
    ("Toronto", "Ontario", "Canada", "CA", "North America", "NA", 43.6532, -79.3832, "America/Toronto"),
    ("London", "England", "United Kingdom", "GB", "Europe", "EU", 51.5074, -0.1278, "Europe/London"),
    ("Berlin", "Berlin", "Germany", "DE", "Europe", "EU", 52.52, 13.405, "Europe/Berlin"),
    ("Paris", "Île-de-France", "France", "FR", "Europe", "EU", 48.8566, 2.3522, "Europe/Paris"),
    ("Bengaluru", "Karnataka", "India", "IN", "Asia", "AS", 12.9716, 77.5946, "Asia/Kolkata"),
    ("Lagos", "Lagos", "Nigeria", "NG", "Africa", "AF", 6.5244, 3.3792, "Africa/Lagos"),
    ("São Paulo", "São Paulo", "Brazil", "BR", "South America", "SA", -23.5505, -46.6333, "America/Sao_Paulo"),
)

USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
)

TAGS = (
    (71, "Customer"),
    (72, "Trial"),
    (73, "VIP"),
    (74, "Newsletter"),
    (75, "Webinar attendee"),
    (76, "Beta tester"),
    (77, "Needs onboarding"),
    (78, "Enterprise lead"),
)

PAYING, TRIALS, WEBSITE_LEADS, CHURN_RISK, NEWSLETTER = 571, 572, 573, 574, 575
SEGMENTS = (
    (PAYING, "Paying customers"),
    (TRIALS, "Active trials"),
    (WEBSITE_LEADS, "Website leads"),
    (CHURN_RISK, "Churn risk"),
    (NEWSLETTER, "Newsletter"),
)

CAMPAIGNS = (
    (3101, "Onboarding drip", "active", 5, 18, 2, "61.4", "22.8"),
    (3102, "Trial expiry", "active", 3, 11, 1, "54.9", "17.3"),
    (3103, "Monthly newsletter", "active", 3, 29, 4, "38.2", "6.1"),
    (3104, "Win-back", "paused", 2, 0, 3, "24.7", "3.9"),
)
"""(id, name, status, email_count, active subscribers, unsubscribed subscribers, open rate, click rate)."""


def load_demo(store: Store) -> None:
    """Fill an empty `store` with the demo workspace."""
    for tag_id, name in TAGS:
        store.add_tag(name, tag_id)
    for n, (segment_id, name) in enumerate(SEGMENTS):
        store.add_segment(name, SEPTEMBER_1 + n * HOUR, SEPTEMBER_1 + 20 * DAY + n * HOUR, segment_id)
    for campaign_id, name, status, emails, active, unsubscribed, opened, clicked in CAMPAIGNS:
        store.add_campaign(
            id=campaign_id,
            name=name,
            status=status,
            href=f"https://app.getgist.com/projects/sandbox/campaigns/{campaign_id}",
            email_count=emails,
            active_subscriber_count=active,
            unsubscribed_subscriber_count=unsubscribed,
            email_open_rate=opened,
            email_click_rate=clicked,
            created_at=SEPTEMBER_1 + (campaign_id - 3100) * 2 * DAY,
            updated_at=SEPTEMBER_1 + (campaign_id - 3100) * 19 * DAY,
        )
    contacts = [store.add_contact(**_contact_fields(n), tags=_tags(n), segment_ids=_segments(n)) for n in range(60)]
    for contact, name, properties, occurred_at in sorted(_events(contacts), key=lambda e: e[3]):
        store.add_event(contact, name, properties, occurred_at)
    load_inbox(store)


def _is_lead(n: int) -> bool:
    return n % 3 == 2


def _user_number(n: int) -> int:
    """0-based position of contact `n` among the users."""
    return n - (n + 1) // 3


def _plan(n: int) -> str | None:
    return None if _is_lead(n) else PLANS[_user_number(n) % len(PLANS)]


def _created_at(n: int) -> int:
    return SEPTEMBER_1 + n * 36 * HOUR + (n * 7919) % HOUR


def _contact_fields(n: int) -> dict[str, Any]:
    """Record fields of the n-th demo contact."""
    name = NAMES[n]
    created = _created_at(n)
    city, region, country, code, continent, continent_code, lat, lon, zone = LOCATIONS[n % len(LOCATIONS)]
    fields: dict[str, Any] = {
        "id": 179301 + n,
        "name": name,
        "phone": f"+1 415 555 01{n:02d}" if n % 4 != 3 else None,
        "created_at": created,
        "last_seen_ip": f"203.0.113.{10 + n}",
        "last_seen_user_agent": USER_AGENTS[n % len(USER_AGENTS)],
        "location_data": {
            "city_name": city,
            "region_name": region,
            "country_name": country,
            "country_code": code,
            "continent_name": continent,
            "continent_code": continent_code,
            "latitude": lat,
            "longitude": lon,
            "postal_code": None,
            "time_zone": zone,
        },
        "unsubscribed_from_emails": n % 11 == 5,
    }
    company = COMPANIES[n % len(COMPANIES)]
    if _is_lead(n):
        return {
            **fields,
            "email": f"{_slug(name)}@example.org",
            "updated_at": created + 2 * HOUR,
            "last_seen_at": created + 2 * HOUR,
            "custom_properties": {"company": company, "source": LEAD_SOURCES[n % len(LEAD_SOURCES)]},
        }
    plan = _plan(n) or ""
    seats = 1 if plan == "trial" else 3 + (n * 5) % 40
    last_seen = min(created + (n % 9 + 1) * DAY + 5 * HOUR, LAST_SEEN_CAP)
    return {
        **fields,
        "email": f"{_slug(name)}@example.com",
        "user_id": f"u_{1001 + _user_number(n)}",
        "signed_up_at": created,
        "last_seen_at": last_seen,
        "updated_at": last_seen,
        "custom_properties": {
            "plan": plan,
            "company": company,
            "seats": seats,
            "mrr": PLAN_PRICE[plan],
            "onboarding_complete": n % 5 != 1,
        },
    }


def _tags(n: int) -> list[str]:
    """Tag names of the n-th demo contact."""
    plan = _plan(n)
    rules = (
        ("Customer", plan in ("starter", "growth", "enterprise")),
        ("Trial", plan == "trial"),
        ("VIP", plan == "enterprise"),
        ("Newsletter", n % 2 == 0 and n % 11 != 5),
        ("Webinar attendee", n % 5 == 1),
        ("Beta tester", plan is not None and n % 7 == 0),
        ("Needs onboarding", plan is not None and n % 5 == 1),
        ("Enterprise lead", plan is None and n % 4 == 0),
    )
    return [name for name, applies in rules if applies]


def _segments(n: int) -> list[int]:
    """Segment ids the n-th demo contact belongs to."""
    plan = _plan(n)
    paying = plan in ("starter", "growth", "enterprise")
    rules = (
        (PAYING, paying),
        (TRIALS, plan == "trial" and n >= 20),
        (WEBSITE_LEADS, plan is None and LEAD_SOURCES[n % len(LEAD_SOURCES)] == "website"),
        (CHURN_RISK, paying and n % 6 == 1),
        (NEWSLETTER, n % 2 == 0 and n % 11 != 5),
    )
    return [segment_id for segment_id, applies in rules if applies]


def _events(contacts: list[Record]) -> list[tuple[Record, str, dict[str, Any], int]]:
    """(contact, name, properties, occurred_at) of the demo's tracked events."""
    events: list[tuple[Record, str, dict[str, Any], int]] = []
    for n, contact in enumerate(contacts):
        created = contact["created_at"]
        if _is_lead(n):
            if n % 4 != 0:
                events.append((contact, "viewed-pricing", {"page": "/pricing"}, created + HOUR))
            continue
        if n % 4 == 0:
            dashboard = ("Revenue", "Churn", "Funnel")[n % 3]
            events.append((contact, "created-dashboard", {"dashboard": dashboard}, created + DAY))
        if n % 6 == 1:
            events.append((contact, "invited-teammate", {"teammates": 1 + n % 4}, created + 2 * DAY))
        if _plan(n) == "growth" and n % 2 == 0:
            events.append((contact, "upgraded-plan", {"from": "starter", "to": "growth"}, created + 6 * DAY))
    return events


def _slug(name: str) -> str:
    """``"Chloé Dubois"`` -> ``"chloe.dubois"``: the local part of a demo email."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in ascii_name.lower().split()]
    return ".".join(words)
