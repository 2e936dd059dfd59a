"""`api_request`: any call on the configured Gist API host, for what the typed tools do not cover.

It is an escape hatch, never a way out: the path must stay relative to the API base URL, caller
headers come from a short allowlist (`CALLER_HEADERS`: nothing that touches authentication,
framing, cookies, proxies or the method), method overrides are refused in every mode, and
redirects are not followed (see `_http.py`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, Field, WithJsonSchema, field_validator

from gist_mcp._http import CALLER_HEADERS
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Input
from gist_mcp.catalog._toolset import Toolset

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_PATH_DOC = "Path relative to the API base URL, e.g. contacts or segments/12 (query parameters go in `query`)."


def check_path(path: str) -> str:
    """Refuse anything that could leave the configured host or walk up from the base path."""
    for text in (path, unquote(path)):
        if _CONTROL.search(text):
            raise ValueError("must not contain control characters")
        if _SCHEME.match(text) or "://" in text:
            raise ValueError("must be relative to the API base URL, not a URL with a scheme")
        if text.startswith("//"):
            raise ValueError("must not start with //")
        if "\\" in text or "@" in text:
            raise ValueError("must not contain a backslash or @")
        if ".." in text.split("/"):
            raise ValueError("must not contain .. segments")
    if "?" in path or "#" in path:
        raise ValueError("must not contain ? or #: put query parameters in `query`")
    stripped = path.strip().lstrip("/")
    if not stripped:
        raise ValueError("must name an endpoint, e.g. contacts")
    return stripped


_ALLOWED = ", ".join(sorted(CALLER_HEADERS))
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;.*)?$", re.IGNORECASE)
METHOD_OVERRIDE_PARAMS = frozenset({"_method"})
"""Query parameters some frameworks read as the real method: refused, so a GET stays a GET."""


def check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """Only CALLER_HEADERS, with printable ASCII values; Content-Type only a JSON type (the body is JSON)."""
    for name, value in (headers or {}).items():
        if not _TOKEN.match(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() not in CALLER_HEADERS:
            raise ValueError(f"{name} cannot be set (allowed: {_ALLOWED})")
        if not value.isascii() or _CONTROL.search(value):
            raise ValueError(f"the value of {name} must be printable ASCII (no line breaks)")
        if name.lower() == "content-type" and not _JSON_TYPE.match(value):
            raise ValueError("Content-Type must be a JSON type such as application/json: the body is sent as JSON")
    return headers


def check_query(query: dict[str, Any] | None) -> dict[str, Any] | None:
    """Refuse method-override parameters (`_method`)."""
    for name in query or {}:
        if name.strip().lower() in METHOD_OVERRIDE_PARAMS:
            raise ValueError(f"{name} cannot be set: it would override the HTTP method")
    return query


class _Target(Input):
    """Where an api_request goes: checked so that it never leaves the configured host."""

    path: str = Field(min_length=1, max_length=2000, description=_PATH_DOC)
    query: dict[str, str | int | float | bool] | None = Field(
        None, description="Query parameters (string, number or boolean values)."
    )
    headers: dict[str, str] | None = Field(None, description=f"Extra headers, only: {_ALLOWED}.")

    _path = field_validator("path")(check_path)
    _query = field_validator("query")(check_query)
    _headers = field_validator("headers")(check_headers)


class ApiRequestInput(_Target):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(description="HTTP method.")
    body: dict[str, Any] | None = Field(None, description="JSON object body (POST, PUT, PATCH).")


class ReadOnlyApiRequestInput(_Target):
    method: Literal["GET"] = Field("GET", description="Only GET: the server runs in read-only mode.")


_ANY_JSON = WithJsonSchema({"anyOf": [{"type": t} for t in ("object", "array", "string", "number", "boolean", "null")]})


class ApiResponse(BaseModel):
    status: int = Field(description="HTTP status Gist answered with.")
    data: Annotated[Any, _ANY_JSON] = Field(description="Gist's JSON answer (null when empty).")


async def api_request(ctx: ToolContext, args: ApiRequestInput | ReadOnlyApiRequestInput) -> ApiResponse:
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in (args.query or {}).items()}
    body = getattr(args, "body", None)
    response = await ctx.gist.request(args.method, args.path, params=query, json_body=body, headers=args.headers)
    return ApiResponse(status=response.status, data=response.data)


_DESCRIPTION = (
    "Call any Gist REST endpoint the typed tools lack (articles, collections, e-commerce...) "
    "on the configured API host."
)

API_REQUEST = Operation(
    name="api_request",
    title="Gist API request",
    toolset="raw",
    description=_DESCRIPTION,
    gist_call="any method and path on the API host",
    input=ApiRequestInput,
    confirm=lambda args: (
        f"Send DELETE /{args.path} to Gist? Whatever it names is deleted and cannot be restored."
        if args.method == "DELETE"
        else None
    ),
    output=ApiResponse,
    run=api_request,
    read_only=False,
    destructive=True,
    idempotent=False,
)
READ_ONLY_API_REQUEST = Operation(
    name="api_request",
    title="Gist API request (GET only)",
    toolset="raw",
    description=_DESCRIPTION + " Read-only mode: GET only.",
    gist_call="GET on any path of the API host",
    input=ReadOnlyApiRequestInput,
    output=ApiResponse,
    run=api_request,
    read_only=True,
    destructive=False,
    idempotent=True,
)
TOOLSET = Toolset(
    name="raw",
    description="api_request: any Gist REST call the typed tools lack, on the configured API host only.",
    not_found_hint="Check the path and the ids in it against Gist's API reference.",
    operations=(API_REQUEST,),
)
