"""Listing: page through a Gist collection until `limit` items, concurrently where Gist allows it.

Gist pages with `page` / `per_page` and, on some endpoints only, a link-only `pages` object (`next`,
`last`: absolute URLs). Only the page number is taken from those URLs; every request goes to the
configured base URL. When the first page names the last one, every further page the limit needs is
requested at once (the shared rate limiter keeps the pace). Without `pages`, a full page leads to
the next page number and an empty or short page ends the listing; a last page that is exactly full
then gives `has_more` true, and the next call returns nothing more. Results carry `has_more` and an
opaque `next_cursor`.

Every list tool takes `Paged` arguments: `limit`, `cursor` and `fields`, the item fields to return
(all by default) for token-light answers; an unknown field name is refused, listing the allowed ones,
before any request is sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, Self, cast

import anyio
from pydantic import BaseModel, Field, PrivateAttr, create_model, model_serializer

from gist_mcp._http import GistClient, page_number
from gist_mcp._json import JSON, JSONObject, as_object, objects_in
from gist_mcp.catalog._shapes import Cursor, Input, Limit, optional
from gist_mcp.errors import GistUsageError

PER_PAGE = 50
"""Gist's default page size; the maximum is undocumented (probably 60), and we never depend on it."""
MAX_WAVE = 40
"""Most pages requested at once (2,000 items at 50 a page, enough for `limit` 1,000 of a kind that
is half the contacts); the shared rate limiter still decides the pace."""
MIN_SHARE = 0.05
"""The smallest share of kept items assumed when sizing a wave for a filtered listing (users only),
so a first page with no match still leads to a bounded wave, not an unbounded one."""
MAX_CURSOR_LENGTH = 256
"""Longest cursor accepted; ours are about 60 characters."""
MAX_CURSOR_PAGE = 1_000_000
"""Highest page a cursor may name (50 million items at 50 a page)."""
MAX_CURSOR_OFFSET = 10_000
"""Highest offset within a page a cursor may name (pages hold 50 items, or Gist's own size)."""

Keep = Callable[[JSONObject], bool]


def _keep_all(raw: JSONObject) -> bool:
    return True


class Paged(Input):
    """The arguments every list tool takes (its own filters come on top)."""

    limit: Limit = 50
    cursor: Cursor = None
    fields: list[str] | None = Field(default=None, description="Item fields to return (default: all).")


class ListResult(BaseModel):
    """Base of list results: serialises each item with only the fields the caller chose (`fields`)."""

    plural: ClassVar[str]
    item_fields: ClassVar[tuple[str, ...]]
    """What an item may hold, in order: the names `fields` accepts."""
    _fields: frozenset[str] | None = PrivateAttr(None)

    @classmethod
    def describe(cls, text: str) -> str:
        """A list tool's description: `text`, then the item fields (output schemas leave items unspelled)."""
        return f"{text} Items: {', '.join(cls.item_fields)}."

    @classmethod
    def chosen(cls, fields: list[str] | None) -> frozenset[str] | None:
        """The `fields` argument checked against the item fields (None: all of them).

        Raises:
            GistUsageError: an unknown name, listing the allowed ones.
        """
        allowed = ", ".join(cls.item_fields)
        if fields is None:
            return None
        if not fields:
            raise GistUsageError(f"fields: name at least one item field, or omit it (allowed: {allowed})")
        unknown = [name for name in fields if name not in cls.item_fields]
        if unknown:
            raise GistUsageError(f"fields: unknown item field(s) {', '.join(unknown)} (allowed: {allowed})")
        return frozenset(fields)

    def showing(self, chosen: frozenset[str] | None) -> Self:
        """This result, serialised with only the `chosen` item fields (all when None)."""
        self._fields = chosen
        return self

    @model_serializer(mode="wrap")
    def _only_fields(self, handler: Any):  # no return annotation: pydantic keeps the model's own schema
        data = handler(self)
        if self._fields is not None:
            data[self.plural] = [{k: v for k, v in item.items() if k in self._fields} for item in data[self.plural]]
        return data


def page_model(plural: str, item: type[BaseModel]) -> type[ListResult]:
    """The result model of a list tool: `{<plural>: [...], count, has_more, next_cursor, hint}`."""
    fields: dict[str, Any] = {
        plural: (list[item], ...),
        "count": (int, ...),
        "has_more": (bool, ...),
        "next_cursor": (str | None, ...),
        "hint": (str | None, optional()),
    }
    model = create_model(f"{plural.title().replace('_', '')}List", __base__=ListResult, **fields)
    model.plural = plural
    model.item_fields = tuple(item.model_fields)
    return model


class FromGist(Protocol):
    """An item model that reads itself from Gist's JSON."""

    @classmethod
    def from_gist(cls, raw: JSONObject) -> BaseModel: ...


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
        args: Paged,
        *,
        params: Mapping[str, Any] | None = None,
        keep: Keep = _keep_all,
        narrow: str = "ask for a larger limit",
        path: str | None = None,
    ) -> BaseModel:
        """Up to `limit` items as this listing's result, with advice when more exist.

        `args` are the tool's paging arguments (`limit`, `cursor`, `fields`); `path` replaces `source`
        as the path for a sub-collection (`forms/{id}/submissions`).
        """
        chosen = self.model.chosen(args.fields)
        raws, more, next_cursor = await collect(
            gist,
            path or self.source,
            self.source,
            limit=args.limit,
            cursor=args.cursor,
            params=params,
            keep=keep,
            scope=self.plural,
        )
        items = [self.item.from_gist(raw) for raw in raws]
        page = {
            self.plural: items,
            "count": len(items),
            "has_more": more,
            "next_cursor": next_cursor,
            "hint": list_hint(len(items), more, narrow),
        }
        return self.model(**page).showing(chosen)


def _fingerprint(path: str, params: Mapping[str, Any], scope: str) -> str:
    text = json.dumps([path, sorted((k, str(v)) for k, v in params.items() if v is not None), scope])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(page: int, offset: int, fingerprint: str) -> str:
    """An opaque cursor: where the next unread item is, and which listing it belongs to."""
    raw = json.dumps({"p": page, "o": offset, "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _bounded(value: object, low: int, high: int) -> int:
    """`value` if it is a JSON integer in [low, high]; ValueError otherwise (floats, Infinity, NaN, huge)."""
    if type(value) is not int or not low <= value <= high:
        raise ValueError(value)
    return value


def decode_cursor(cursor: str, fingerprint: str) -> tuple[int, int]:
    """(page, offset) of a cursor made by `encode_cursor` for the same listing.

    Anything else (too long, not base64 JSON, a page or offset that is not an integer within
    `MAX_CURSOR_PAGE` / `MAX_CURSOR_OFFSET`, `Infinity`, NaN) is a usage error naming `cursor`.
    """
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError(cursor)
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        page = _bounded(data["p"], 1, MAX_CURSOR_PAGE)
        offset = _bounded(data["o"], 0, MAX_CURSOR_OFFSET)
        owner = data["f"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise GistUsageError(
            "cursor: not a next_cursor this server made; omit it to start from the beginning."
        ) from None
    if owner != fingerprint:
        raise GistUsageError(
            "cursor: it belongs to a different listing (other tool or filters); "
            "repeat the call with the same filters, or omit cursor to start over."
        )
    return page, offset


Page = tuple[list[JSONObject], int | None, int | None]
"""One fetched page: its items, the next page number (None: this was the last) and the last page number if named."""


async def fetch_page(
    gist: GistClient, path: str, key: str, number: int, params: Mapping[str, Any] | None = None, largest: int = 0
) -> Page:
    """GET page `number` (of `PER_PAGE` items) of a collection, read tolerantly (`largest`: see `_next_page`)."""
    response = await gist.request("GET", path, params={**(params or {}), "page": number, "per_page": PER_PAGE})
    data = as_object(response.data) or {}
    rows = objects_in(data.get(key))
    return rows, *_next_page(number, rows, data.get("pages"), largest)


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
) -> tuple[list[JSONObject], bool, str | None]:
    """Return (items, has_more, next_cursor) for up to `limit` raw items of `key` that `keep` accepts.

    `scope` names a client-side filter (e.g. users only) so a cursor is not reused across filters.
    The first page is fetched alone. If it names the last page, every further page the limit needs
    is then requested at once (the shared rate limiter paces them); otherwise pages follow one by
    one, by `pages.next` or, when the answer has no `pages` at all, by number while pages come back
    full (see `_next_page`), so no request goes beyond the empty or short page that ends a listing.
    """
    params = dict(params or {})
    fingerprint = _fingerprint(path, params, scope)
    page, offset = decode_cursor(cursor, fingerprint) if cursor else (1, 0)
    kept: list[JSONObject] = []
    largest = 0

    async def fetch_into(number: int, results: dict[int, Page]) -> None:
        results[number] = await fetch_page(gist, path, key, number, params, largest)

    wave: list[int] = [page]
    seen = kept_seen = 0
    while wave:
        results: dict[int, Page] = {}
        async with anyio.create_task_group() as group:
            for number in wave:
                group.start_soon(fetch_into, number, results)
        last: int | None = None
        for number in wave:
            items, next_page, last_page = results[number]
            last = last_page or last
            largest = max(largest, len(items))
            start = offset if number == page else 0
            for index in range(start, len(items)):
                seen += 1
                if keep(items[index]):
                    kept.append(items[index])
                    kept_seen += 1
                    if len(kept) == limit:
                        return kept, *_stop_at(number, index + 1, items, next_page, fingerprint)
            if not items or next_page is None:
                return kept, False, None
        following = wave[-1] + 1
        if last is None or last < following:
            wave = [following]
            continue
        # Pages still needed, from the share of items kept so far (all of them for an unfiltered listing).
        share = max(kept_seen / max(seen, 1), MIN_SHARE)
        wanted = math.ceil((limit - len(kept)) / max(largest * share, 1))
        wave = list(range(following, min(last, following + min(wanted, MAX_WAVE) - 1) + 1))
    return kept, False, None


def _next_page(number: int, items: list[JSONObject], pages: JSON, largest: int) -> tuple[int | None, int | None]:
    """(next page, last page) after page `number`: from Gist's `pages` links, or by number without them.

    Gist sends `pages` on some endpoints only (gist-api.md §3, pass 3). An answer without it is
    followed by the next page number when the page is full: as many items as `PER_PAGE` asked,
    or as the largest page seen before (a server that pages by its own size). An empty or shorter
    page ends the listing, as WP Fusion, Pipedream and Airbyte stop.
    """
    if isinstance(pages, dict):
        return page_number(pages.get("next")), page_number(pages.get("last"))
    full = len(items) >= PER_PAGE or (largest > 0 and len(items) >= largest)
    return (number + 1 if items and full else None), None


def _stop_at(
    page: int, next_index: int, items: list[JSONObject], next_page: int | None, fingerprint: str
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
