"""`_http.clean_json`'s fast path: a body that needs no cleaning is returned as parsed, any other is cleaned.

The fast path (`_plainly_clean` on the bytes or `_clean_text_throughout` on the parsed data, then
`_within_depth`) only decides whether the full walk (`_clean`) would change anything, so for every body
the answer must equal the full walk's, error included.
"""

from __future__ import annotations

import json

import pytest

from gist_mcp._http import (
    MAX_JSON_DEPTH,
    UnusableJSONError,
    _bounded_int,
    _clean,
    _clean_text_throughout,
    _plainly_clean,
    _within_depth,
    clean_json,
)

SECRET = "sk-canary-4242"
QUOTED_SECRET = 'sk"canary\\4242'

CLEAN_PAGE = json.dumps(
    {
        "contacts": [
            {"id": n, "name": f"Zoë {n} [x] {{y}}", "tags": [{"id": 1, "name": "vip"}], "score": 1.5, "ok": True}
            for n in range(50)
        ],
        "pages": {"next": "https://api.example/contacts?page=2"},
    }
).encode()

NEEDS_CLEANING = {
    "secret in a value": b'{"a": "x sk-canary-4242 y"}',
    "secret as a key": b'{"sk-canary-4242": 1}',
    "secret written with escapes": b'{"a": "\\u0073k-canary-4242"}',
    "Bearer secret": b'["Bearer sk-canary-4242"]',
    "lone surrogate": b'{"a": "\\ud800"}',
    "lone surrogate in a key": b'{"\\udc00": 1}',
    "infinite number": b"[1e400, -1e400]",
    "too deep": b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
    "too deep in objects": b'{"a":' * (MAX_JSON_DEPTH + 1) + b"{}" + b"}" * (MAX_JSON_DEPTH + 1),
}
ALREADY_CLEAN = {
    "a page of contacts": CLEAN_PAGE,
    "the deepest allowed": b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH,
    "a valid surrogate pair": b'{"a": "\\ud83d\\ude00"}',
    "NaN (read as null)": b"[NaN, 1]",
    "part of the secret": b'{"a": "sk-canary-424"}',
    "a scalar": b'"text"',
    "brackets in strings": b'{"a": "[[[[{{{{"}',
}


def _fast_path_passes(data: object) -> bool:
    return _clean_text_throughout(data, SECRET) and _within_depth(data)  # type: ignore[arg-type]


def _full_walk(body: bytes, secret: str | None) -> object:
    try:
        return _clean(json.loads(body, parse_int=_bounded_int, parse_constant=lambda _: None), secret, 0)
    except UnusableJSONError as error:
        return repr(error)


def _answer(body: bytes, secret: str | None) -> object:
    try:
        return clean_json(body, secret)
    except UnusableJSONError as error:
        return repr(error)


@pytest.mark.parametrize("body", NEEDS_CLEANING.values(), ids=NEEDS_CLEANING.keys())
def test_a_body_that_needs_cleaning_gets_the_full_walk(body: bytes) -> None:
    data = json.loads(body, parse_int=_bounded_int, parse_constant=lambda _: None)
    assert not _fast_path_passes(data)
    assert _answer(body, SECRET) == _full_walk(body, SECRET)
    assert SECRET not in str(_answer(body, SECRET))


@pytest.mark.parametrize("body", ALREADY_CLEAN.values(), ids=ALREADY_CLEAN.keys())
def test_a_body_that_needs_nothing_is_returned_as_parsed(body: bytes) -> None:
    data = json.loads(body, parse_int=_bounded_int, parse_constant=lambda _: None)
    assert _fast_path_passes(data)
    assert _answer(body, SECRET) == _full_walk(body, SECRET) == data


def test_a_secret_that_json_escapes_is_still_found() -> None:
    body = json.dumps({"echo": f"key={QUOTED_SECRET}"}).encode()
    assert _answer(body, QUOTED_SECRET) == {"echo": "key=[redacted]"}


def test_without_a_secret_only_the_other_checks_apply() -> None:
    assert _answer(b'{"a": "sk-canary-4242"}', None) == {"a": "sk-canary-4242"}
    assert _answer(b'{"a": "\\ud800"}', None) == {"a": "\ufffd"}


# The byte-level check (`_plainly_clean`) comes first: it may only say yes where no string needs cleaning.
# Depth is `_within_depth`'s job in both paths.
TOO_DEEP = {name: body for name, body in NEEDS_CLEANING.items() if name.startswith("too deep")}
RAW_BYTES_NEED_CLEANING = {
    **{name: body for name, body in NEEDS_CLEANING.items() if name != "infinite number" and name not in TOO_DEEP},
    "a surrogate written as UTF-8 bytes": b'{"a": "\xed\xa0\x80"}',
    "a surrogate in UTF-16": '{"a": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
    "the secret split by an escape": b'{"a": "sk-canary\\u002d4242"}',
}


@pytest.mark.parametrize("body", RAW_BYTES_NEED_CLEANING.values(), ids=RAW_BYTES_NEED_CLEANING.keys())
def test_the_byte_check_never_passes_a_body_the_full_walk_would_change(body: bytes) -> None:
    assert not _plainly_clean(body, SECRET)
    assert _answer(body, SECRET) == _full_walk(body, SECRET)
    assert SECRET not in str(_answer(body, SECRET))


@pytest.mark.parametrize("body", TOO_DEEP.values(), ids=TOO_DEEP.keys())
def test_a_plain_body_too_deep_is_refused_whichever_check_passes_it(body: bytes) -> None:
    assert _plainly_clean(body, SECRET)  # nothing in its strings to clean...
    assert not _within_depth(json.loads(body))  # ...but too deep, so the walk refuses it
    assert _answer(body, SECRET) == _full_walk(body, SECRET)
    assert "nested deeper" in str(_answer(body, SECRET))


def test_a_page_of_fifty_contacts_passes_the_byte_check() -> None:
    """A page holds more brackets than MAX_JSON_DEPTH but nests four deep: it needs no second serialisation."""
    page = CLEAN_PAGE.replace(b"\\u00eb", "ë".encode())  # as Gist writes it: UTF-8, no escapes
    assert page.count(b"[") + page.count(b"{") > MAX_JSON_DEPTH
    assert _plainly_clean(page, SECRET)
    assert _within_depth(json.loads(page))
    assert _answer(page, SECRET) == _full_walk(page, SECRET) == json.loads(page)


def test_the_byte_check_passes_a_plain_contact_and_leaves_it_as_parsed() -> None:
    body = json.dumps({"contact": {"id": 7, "name": "Zoë [x] {y}", "score": 2.5e3, "tags": [{"name": "vip"}]}}).encode()
    body = body.replace(b"\\u00eb", "ë".encode())  # as Gist writes it: UTF-8, no escapes
    assert _plainly_clean(body, SECRET)
    assert _answer(body, SECRET) == _full_walk(body, SECRET) == json.loads(body)


def test_an_infinite_number_is_null_as_soon_as_it_is_read() -> None:
    """The one change the byte check cannot see needs no walk: parsing makes it null, as the walk would."""
    body = b'{"id": 1, "score": 1e400, "low": -1e400, "name": "x"}'
    assert _plainly_clean(body, SECRET)
    assert _answer(body, SECRET) == _full_walk(body, SECRET) == {"id": 1, "score": None, "low": None, "name": "x"}
