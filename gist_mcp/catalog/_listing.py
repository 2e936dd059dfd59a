"""Listing: page through a Gist collection until `limit` items, concurrently where Gist allows it.

Gist pages with `page` / `per_page` and a link-only `pages` object (`next`, `last`: absolute URLs).
Only the page number is taken from those URLs; every request goes to the configured base URL. When
the first page names the last one, the pages still needed are fetched in concurrent waves (the
shared rate limiter keeps the pace). Results carry `has_more` and an opaque `next_cursor`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

import anyio
from pydantic import BaseModel, create_model

from gist_mcp._http import GistClient, page_number
from gist_mcp.catalog._shapes import optional
from gist_mcp.errors import GistUsageError

PER_PAGE = 50
"""Gist's default page size; the maximum is undocumented (probably 60), and we never depend on it."""
MAX_WAVE = 8
"""Pages fetched at once; the rate limiter still decides the pace."""

Keep = Callable[[dict[str, Any]], bool]


def _keep_all(raw: dict[str, Any]) -> bool:
    return True


def page_model(plural: str, item: type[BaseModel]) -> type[BaseModel]:
    """The result model of a list tool: `{<plural>: [...], count, has_more, next_cursor, hint}`."""
    fields: dict[str, Any] = {
        plural: (list[item], ...),
        "count": (int, ...),
        "has_more": (bool, ...),
        "next_cursor": (str | None, ...),
        "hint": (str | None, optional()),
    }
    return create_model(f"{plural.title().replace('_', '')}List", **fields)


class FromGist(Protocol):
    """An item model that reads itself from Gist's JSON."""

    @classmethod
    def from_gist(cls, raw: dict[str, Any]) -> BaseModel: ...


class Listing:
    """One list tool's result shape and how it reads a Gist collection into it."""

    def __init__(self, plural: str, item: type[FromGist], *, source: str | None = None) -> None:
        self.plural = plural
        self.item = item
        self.source = source or plural
        """The Gist collection: its path and its key in the answer (`contacts` for users and leads)."""
        self.model = page_model(plural, cast(type[BaseModel], item))

    async def fetch(
        self,
        gist: GistClient,
        *,
        limit: int,
        cursor: str | None,
        params: Mapping[str, Any] | None = None,
        keep: Keep = _keep_all,
        narrow: str = "ask for a larger limit",
        path: str | None = None,
    ) -> BaseModel:
        """Up to `limit` items as this listing's result, with advice when more exist.

        `path` replaces `source` as the path for a sub-collection (`forms/{id}/submissions`).
        """
        raws, more, next_cursor = await collect(
            gist,
            path or self.source,
            self.source,
            limit=limit,
            cursor=cursor,
            params=params,
            keep=keep,
            scope=self.plural,
        )
        items = [self.item.from_gist(raw) for raw in raws]
        return self.model(
            **{self.plural: items},
            count=len(items),
            has_more=more,
            next_cursor=next_cursor,
            hint=list_hint(len(items), more, narrow),
        )


def _fingerprint(path: str, params: Mapping[str, Any], scope: str) -> str:
    text = json.dumps([path, sorted((k, str(v)) for k, v in params.items() if v is not None), scope])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(page: int, offset: int, fingerprint: str) -> str:
    """An opaque cursor: where the next unread item is, and which listing it belongs to."""
    raw = json.dumps({"p": page, "o": offset, "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> tuple[int, int]:
    """(page, offset) of a cursor made by `encode_cursor` for the same listing."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        page, offset, owner = int(data["p"]), int(data["o"]), str(data["f"])
    except (ValueError, KeyError, TypeError):
        raise GistUsageError(
            "cursor: not a next_cursor this server made; omit it to start from the beginning."
        ) from None
    if owner != fingerprint or page < 1 or offset < 0:
        raise GistUsageError(
            "cursor: it belongs to a different listing (other tool or filters); "
            "repeat the call with the same filters, or omit cursor to start over."
        )
    return page, offset


Page = tuple[list[dict[str, Any]], int | None, int | None]
"""One page of a collection: its items, and the `next` and `last` page numbers (None when absent)."""


async def fetch_page(
    gist: GistClient, path: str, key: str, number: int, params: Mapping[str, Any] | None = None
) -> Page:
    """GET page `number` (of `PER_PAGE` items) of a collection, read tolerantly."""
    response = await gist.request("GET", path, params={**(params or {}), "page": number, "per_page": PER_PAGE})
    data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
    items = data.get(key)
    pages = data.get("pages")
    links: dict[str, Any] = pages if isinstance(pages, dict) else {}
    rows = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    return rows, page_number(links.get("next")), page_number(links.get("last"))


async def collect(
    gist: GistClient,
    path: str,
    key: str,
    *,
    limit: int,
    cursor: str | None = None,
    params: Mapping[str, Any] | None = None,
    keep: Keep = _keep_all,
    scope: str = "",
) -> tuple[list[dict[str, Any]], bool, str | None]:
    """Return (items, has_more, next_cursor) for up to `limit` raw items of `key` that `keep` accepts.

    `scope` names a client-side filter (e.g. users only) so a cursor is not reused across filters.
    """
    params = dict(params or {})
    fingerprint = _fingerprint(path, params, scope)
    page, offset = decode_cursor(cursor, fingerprint) if cursor else (1, 0)
    filtered = keep is not _keep_all
    kept: list[dict[str, Any]] = []

    async def fetch_into(number: int, results: dict[int, Any]) -> None:
        results[number] = await fetch_page(gist, path, key, number, params)

    wave = [page]
    last: int | None = None
    page_size = PER_PAGE
    while wave:
        results: dict[int, Page] = {}
        async with anyio.create_task_group() as group:
            for number in wave:
                group.start_soon(fetch_into, number, results)
        for number in wave:
            items, next_page, last_page = results[number]
            last = last_page or last
            start = offset if number == page else 0
            for index in range(start, len(items)):
                if keep(items[index]):
                    kept.append(items[index])
                    if len(kept) == limit:
                        return kept, *_stop_at(number, index + 1, items, next_page, fingerprint)
            if not items or next_page is None:
                return kept, False, None
            page_size = len(items)
        following = wave[-1] + 1
        if last is None or last < following:
            wave = [following]
            continue
        missing = limit - len(kept)
        wanted = MAX_WAVE if filtered else math.ceil(missing / max(page_size, 1))
        wave = list(range(following, min(last, following + min(wanted, MAX_WAVE) - 1) + 1))
    return kept, False, None


def _stop_at(
    page: int, next_index: int, items: list[dict[str, Any]], next_page: int | None, fingerprint: str
) -> tuple[bool, str | None]:
    """has_more and next_cursor when `limit` was reached at `items[next_index - 1]` of `page`."""
    if next_index < len(items):
        return True, encode_cursor(page, next_index, fingerprint)
    if next_page is not None:
        return True, encode_cursor(next_page, 0, fingerprint)
    return False, None


def list_hint(count: int, has_more: bool, narrow: str) -> str | None:
    """Advice in the result: how to continue or narrow a listing that did not come back whole."""
    if not has_more:
        return None
    return f"{count} items returned and more exist: pass next_cursor as cursor to continue, or {narrow}."
