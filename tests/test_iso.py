"""`_shapes.iso`: its fast path for whole Unix seconds says exactly what the general `datetime` path says."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from gist_mcp._json import JSON
from gist_mcp.catalog._shapes import ISO_FORMAT, MAX_UNIX_SECONDS, iso

EDGES = [1, 59, 86_399, 951_782_400, 1_796_119_294, MAX_UNIX_SECONDS]


def test_whole_seconds_read_as_datetime_reads_them() -> None:
    rng = random.Random(14)
    for value in EDGES + [rng.randint(1, MAX_UNIX_SECONDS) for _ in range(5_000)]:
        assert iso(value) == datetime.fromtimestamp(value, UTC).strftime(ISO_FORMAT), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, None),
        ("0", None),
        ("", None),
        (None, None),
        (1.9, "1970-01-01T00:00:01Z"),
        ("12", "1970-01-01T00:00:12Z"),
        ("2026-11-27T09:30:00Z", "2026-11-27T09:30:00Z"),
        (True, "True"),
    ],
)
def test_other_values_keep_the_general_path(value: JSON, expected: str | None) -> None:
    assert iso(value) == expected
