"""`api_request`: any call on the configured Gist API host, for what the typed tools do not cover.

It is an escape hatch, never a way out: the path must stay relative to the API base URL, caller
headers cannot touch authentication or framing, redirects are not followed (see `_http.py`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, Field, WithJsonSchema, field_validator

from gist_mcp._http import PROTECTED_HEADERS
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


def check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """Refuse malformed header names or values and any header that would change auth or framing."""
    for name, value in (headers or {}).items():
        if not _TOKEN.match(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in PROTECTED_HEADERS:
            raise ValueError(f"{name} cannot be set: gist-mcp sends it itself")
        if _CONTROL.search(value):
            raise ValueError(f"the value of {name} must not contain control characters (no line breaks)")
    return headers


class _Target(Input):
    """Where an api_request goes: checked so that it never leaves the configured host."""

    path: str = Field(min_length=1, max_length=2000, description=_PATH_DOC)
    query: dict[str, str | int | float | bool] | None = Field(None, description="Query parameters.")
    headers: dict[str, str] | None = Field(
        None, description="Extra headers (not Authorization, Host or Content-Length)."
    )

    _path = field_validator("path")(check_path)
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
    "Call any Gist REST endpoint (conversations, forms, teams...: what the other tools lack) "
    "on the configured API host."
)

API_REQUEST = Operation(
    name="api_request",
    title="Gist API request",
    toolset="raw",
    description=_DESCRIPTION + " Prefer a typed tool when one exists.",
    gist_call="any method and path on the API host",
    input=ApiRequestInput,
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
