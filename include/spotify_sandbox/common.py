"""Helpers shared by the sandbox's HTTP layers: the current sandbox, the as-of date, errors.

Only request plumbing lives here; behaviour lives in accounts, web_api and control.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import current_app, jsonify, request

if TYPE_CHECKING:
    from flask import Response

    from spotify_sandbox.state import Sandbox

DATE_HEADER = "X-Sandbox-Date"
NOW_HEADER = "X-Sandbox-Now"  # an instant (epoch milliseconds): recently played as of then
CLOCK_HEADER = "X-Sandbox-Clock"


class ApiError(Exception):
    """A Web API error answered as `{"error": {"status", "message"}}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers, extra


def sandbox() -> Sandbox:
    """Return the sandbox behind the current app."""
    return current_app.extensions["spotify_sandbox"]


def parse_date(value: str) -> dt.date:
    """Parse YYYY-MM-DD strictly (raise ValueError)."""
    if len(value) != 10:
        raise ValueError(value)
    return dt.date.fromisoformat(value)


def now_header_ms() -> int | None:
    """Return the instant of `X-Sandbox-Now` (epoch milliseconds), if the request sends one."""
    value = request.headers.get(NOW_HEADER)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ApiError(400, f"Invalid {NOW_HEADER} header: expected epoch milliseconds") from None


def as_of() -> dt.date:
    """Return the date this request is answered as of (header, else the runtime clock)."""
    value = request.headers.get(DATE_HEADER)
    if value is None:
        now = now_header_ms()
        if now is not None:
            return dt.date(1970, 1, 1) + dt.timedelta(milliseconds=now)
        return sandbox().clock
    try:
        return parse_date(value.strip())
    except ValueError:
        raise ApiError(400, f"Invalid {DATE_HEADER} header: expected YYYY-MM-DD") from None


def error_response(status: int, message: str, **extra: Any) -> Response:
    """Return Spotify's Web API error body."""
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    return response
