"""200 tool calls in flight at once over real Streamable HTTP, from 8 client sessions (bench/load.py)."""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import pytest

# bench/ is not a package and not installed: load the script beside the tests by its path, so this
# runs the same under an editable and a plain `pip install .` (CI).
_spec = importlib.util.spec_from_file_location("gist_bench_load", Path(__file__).parents[1] / "bench" / "load.py")
assert _spec is not None
assert _spec.loader is not None
_load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _load  # dataclasses look their module up there
_spec.loader.exec_module(_load)
run_load = _load.run_load

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_200_calls_in_flight_over_http_all_correct_and_no_429_reaches_the_model(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Keep the leak check on INFO and up: thousands of captured DEBUG records would be the biggest
    # memory cost of this test, hiding the server's own.
    caplog.set_level(logging.INFO)
    # Gist's published 100 requests, in a 2 s window rather than 10 s: 200 calls still overflow it (so the
    # limiter must queue), without the test waiting 10 s of real time for the window to slide.
    result = await run_load(sessions=8, calls_per_session=25, rate_limit=(100, 2.0))
    print(result.report())  # the figures, for the CI log (pytest -s)
    assert result.errors == []
    assert result.wrong == 0
    assert len(result.latencies) == 200
    # One Gist request per call, plus one retry for any 429 that slipped past the limiter.
    assert result.gist_requests == 200 + result.gist_429s
    # Memory stays bounded: 200 concurrent calls must not cost more than a few tens of MiB.
    assert result.rss_after_kib - result.rss_before_kib < 100 * 1024
