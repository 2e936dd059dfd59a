"""The one error shape of the emulated API: ``{"errors": [{"code", "message"}]}`` (gist-api.md §4).

Handlers raise `ApiError`; the app turns it into the envelope. Codes and statuses follow the §4
suggestions: ``authentication_failed`` 401, ``not_found`` 404, ``parameter_invalid`` and
``missing_parameter`` 400, ``rate_limit_exceeded`` 429. The same helper renders 405s and the
injected ``status`` faults, so every error body the emulator produces has this shape.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

_DEFAULT_CODES = {
    400: "parameter_invalid",
    401: "authentication_failed",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limit_exceeded",
}


def default_code(status: int) -> str:
    """The error code the emulator uses for `status` when a caller names none."""
    if status in _DEFAULT_CODES:
        return _DEFAULT_CODES[status]
    return "server_error" if status >= 500 else "request_failed"


def error_response(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Render the error envelope with `status`, `code` (default from the status) and extra `headers`."""
    body = {"errors": [{"code": code or default_code(status), "message": message}]}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


class ApiError(Exception):
    """An API failure a handler raises; rendered as the error envelope with `status`."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        return error_response(self.status, self.message, self.code, self.headers)


def not_found(message: str) -> ApiError:
    """404 ``not_found``: the id, email or user_id names nothing."""
    return ApiError(404, "not_found", message)


def invalid(message: str) -> ApiError:
    """400 ``parameter_invalid``: a parameter is present but unusable."""
    return ApiError(400, "parameter_invalid", message)


def missing(message: str) -> ApiError:
    """400 ``missing_parameter``: a required parameter is absent."""
    return ApiError(400, "missing_parameter", message)
