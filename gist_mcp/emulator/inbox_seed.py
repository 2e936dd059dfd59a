"""The demo workspace's inbox: Northwind Analytics' support, sales and success teams in November 2026.

Deterministic like `seed`: 3 teams (ids 41-43), 6 teammates (501-506), 25 conversations (9001-9025)
from existing demo contacts, spread over the three states and assigned to a teammate, a team or
nobody, each with 2 to 6 messages; conversation 9001 is a long onboarding thread of
`LONG_THREAD_MESSAGES` messages, so its messages span several pages. Teammate emails use the
reserved ``example.net`` domain.
"""

from __future__ import annotations

from typing import Any

from .inbox_state import STATES, Record
from .state import Store

NOVEMBER_1 = 1793491200  # 2026-11-01T00:00:00Z
HOUR = 3600
LONG_THREAD_MESSAGES = 130
"""Messages in conversation 9001: more than two pages of 50, so readers must page."""

TEAMS = (("Support", "🛟"), ("Sales", "💼"), ("Customer Success", "🌱"))

TEAMMATES: tuple[tuple[str, tuple[int, ...], dict[str, Any]], ...] = (
    ("Riley Morgan", (0,), {}),
    ("Jordan Ellis", (0, 2), {}),
    ("Casey Nakamura", (1,), {}),
    ("Alex Moreau", (1,), {"agent_status": "offline"}),
    ("Taylor Quinn", (2,), {}),
    ("Sam Okoye", (0,), {"agent_status": "away", "away_mode_enabled": True}),
)
"""(name, indexes into TEAMS, other §6.9 fields)."""

THREADS = (
    ("Onboarding our analytics team", "Hi! We're rolling Northwind out to 40 analysts. Where do we start?"),
    ("Dashboard not loading", "The revenue dashboard spins forever since this morning."),
    ("Invoice question", "Our November invoice shows two seats more than we have."),
    ("CSV export is missing columns", "Exports drop the custom properties columns."),
    ("Upgrade to Growth plan", "We'd like to move from Starter to Growth. Any annual discount?"),
    ("SSO setup", "How do we connect Okta for single sign-on?"),
    ("Data retention policy", "How long do you keep raw event data?"),
    ("Webhook retries", "Our endpoint was down an hour; will events be resent?"),
    ("Cancel trial", "Please cancel our trial, the project was shelved."),
    ("Slack integration broken", "Alerts stopped arriving in our #metrics channel."),
    ("Add a teammate", "How do I invite a colleague as viewer only?"),
    ("GDPR request", "A customer asked us to delete their data. What do we need to do?"),
    ("API rate limits", "We hit 429s during our nightly sync. What's the limit?"),
    ("Wrong timezone in reports", "Weekly reports use UTC, we're in Berlin."),
    ("Pricing for 200 seats", "Do you offer volume pricing for a 200-seat rollout?"),
    ("Password reset email not arriving", "I requested a reset twice and got nothing."),
    ("Feature request: funnels", "Any plans for multi-step funnel analysis?"),
    ("Demo request", "Could we book a demo for our leadership team next week?"),
    ("Segment counts look off", "The churn-risk segment shows 0 but we know there are some."),
    ("Mobile app login", "The iOS app logs me out every few minutes."),
    ("Training session", "Could you run a training session for our new hires?"),
    ("Renewal terms", "Our contract renews in December; can we switch to monthly?"),
    ("Chart colours", "Can we use our brand colours in shared dashboards?"),
    ("Import from spreadsheet", "What columns does the contact import expect?"),
    ("Thanks!", "Just wanted to say the new reports are great."),
)
"""(title, the contact's opening message) of each conversation, in id order."""

REPLIES = (
    "Thanks for reaching out! Let me look into this for you.",
    "Could you share a screenshot or the exact steps?",
    "Here's what I found: {title} is covered in our help centre, and I've flagged it to the team.",
    "That should be sorted now. Can you confirm on your side?",
    "Great, glad it works. Anything else I can help with?",
)
CONTACT_FOLLOW_UPS = (
    "Sure, here are the details.",
    "Yes, that fixed it, thank you!",
    "Still seeing it, unfortunately.",
)
PRIORITISED = frozenset({1, 4, 9, 12})
"""Positions in THREADS of the conversations marked priority."""


def load_inbox(store: Store) -> None:
    """Add the demo inbox to a `store` that already holds the demo contacts (see `seed.load_demo`)."""
    inbox = store.inbox
    teams = [
        inbox.add_team(name, emoji, NOVEMBER_1 - 60 * 24 * HOUR + n * HOUR) for n, (name, emoji) in enumerate(TEAMS)
    ]
    teammates = [
        inbox.add_teammate(
            name,
            f"{name.lower().replace(' ', '.')}@example.net",
            [teams[t]["id"] for t in team_indexes],
            last_active_on=NOVEMBER_1 + 20 * 24 * HOUR + n * HOUR,
            **fields,
        )
        for n, (name, team_indexes, fields) in enumerate(TEAMMATES)
    ]
    contacts = sorted(store.contacts.values(), key=lambda c: c["id"])
    for n, (title, opening) in enumerate(THREADS):
        started = NOVEMBER_1 + n * 17 * HOUR
        contact = contacts[(n * 7) % len(contacts)]
        conversation = inbox.start(contact, opening, title, {"channel": ("chat", "email")[n % 2]}, started)
        helper = teammates[n % len(teammates)]
        length = LONG_THREAD_MESSAGES if n == 0 else 2 + n % 5
        for k in range(1, length):
            at = started + k * (5 * 60 if n == 0 else HOUR)
            if k % 2:
                inbox.add_message(conversation, _reply(k, title), "reply", "teammate", helper["id"], at)
            else:
                follow_up = CONTACT_FOLLOW_UPS[(n + k) % len(CONTACT_FOLLOW_UPS)]
                inbox.add_message(conversation, follow_up, "reply", "contact", contact["id"], at)
        conversation["state"] = STATES[(n + n // 3) % len(STATES)]
        conversation["assignee"] = _assignee(n, helper, teams)
        conversation["priority"] = n in PRIORITISED


def _reply(k: int, title: str) -> str:
    return REPLIES[(k // 2) % len(REPLIES)].format(title=title.lower())


def _assignee(n: int, helper: Record, teams: list[Record]) -> Record | None:
    """Every third conversation goes to a team, every third to nobody, the rest to the teammate helping."""
    if n % 3 == 1:
        return {"id": teams[(n // 3) % len(teams)]["id"], "type": "team"}
    if n % 3 == 2:
        return None
    return {"id": helper["id"], "type": "teammate"}
