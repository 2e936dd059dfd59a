"""List pagination in the §3 "Recommended emulator shape" of gist-api.md.

``page`` is 1-based, ``per_page`` defaults to 50 and is clamped to the emulator's maximum. The
``pages`` object holds links only, as observed on the live API: ``first``/``prev`` from page 2 on,
``next`` while more pages exist, ``last`` whenever there is more than one page, and ``{}`` for a
single page. Links are absolute URLs on the base URL the request came in on and keep every other
query parameter in the caller's order; only ``page`` and ``per_page`` are replaced (or appended).
There are no numeric counters, so no client can come to depend on them. With ``links=False`` the
``pages`` key is left out altogether, as on the endpoints where it was never observed (§3, pass 3).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from starlette.requests import Request

from .inputs import query_int

T = TypeVar("T")

DEFAULT_PER_PAGE = 50


@dataclass
class Paging:
    """How every list endpoint of one emulator pages: shared, so one switch changes them all."""

    max_per_page: int
    """``per_page`` is clamped to this (gist-api.md §3 infers 60)."""
    links: bool = True
    """Whether answers carry ``pages`` (False: left out, as where Gist never sent it)."""


def paginate(
    request: Request, items: Sequence[T], plural: str, render: Callable[[T], dict[str, Any]], paging: Paging
) -> dict[str, Any]:
    """Build ``{plural: [...one page...], "pages": {...}}`` for `items`, rendering each with `render`."""
    page = query_int(request, "page", minimum=1) or 1
    per_page = min(query_int(request, "per_page", minimum=1) or DEFAULT_PER_PAGE, paging.max_per_page)
    page_count = max(1, math.ceil(len(items) / per_page))
    start = (page - 1) * per_page
    answer: dict[str, Any] = {plural: [render(item) for item in items[start : start + per_page]]}
    if not paging.links:
        return answer
    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = _link(request, 1, per_page)
        pages["prev"] = _link(request, page - 1, per_page)
    if page < page_count:
        pages["next"] = _link(request, page + 1, per_page)
    if page_count > 1:
        pages["last"] = _link(request, page_count, per_page)
    return {**answer, "pages": pages}


def _link(request: Request, page: int, per_page: int) -> str:
    """The request's own URL with `page` and `per_page` set, other parameters kept in order."""
    wanted: dict[str, str] = {"page": str(page), "per_page": str(per_page)}
    pairs: list[tuple[str, str]] = []
    for key, value in request.query_params.multi_items():
        if key not in wanted and key in ("page", "per_page"):
            continue  # a repeated page/per_page: it keeps its first position only
        pairs.append((key, wanted.pop(key, value)))
    pairs.extend(wanted.items())
    return str(request.url.replace(query=urlencode(pairs, quote_via=quote)))
