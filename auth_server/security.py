"""Browser-facing protections: CSRF tokens, single-use states, same-origin checks, response
headers, log redaction.

Everything that keeps a token, an authorization code, a replayed sign-in or a cross-site request
from getting through lives here, so the views stay about pages. Nothing here talks to Spotify.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import abort, request, session

if TYPE_CHECKING:
    from flask import Response
    from pymongo.database import Database

CSRF_SESSION_KEY = "csrf_token"
CSRF_FORM_FIELD = "csrf_token"
# What `secrets.token_urlsafe` makes: anything else in a state or a CSRF token is malformed.
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Pending sign-ins, by the SHA-256 of their state (the state itself is never stored).
OAUTH_STATES = "oauth_states"
# Browsers may not frame, sniff or leak these pages; styles come from our own /static only.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; base-uri 'none'; object-src 'none'; "
                                "frame-ancestors 'none'; form-action 'self'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Loggers that may see a request line with `?code=`, an Authorization header or a token body.
# A logger's filters see only its own records, not its children's: each one is named.
REDACTED_LOGGERS = ("werkzeug", "spotipy", "spotipy.oauth2", "spotipy.client",
                    "spotipy.cache_handler", "urllib3.connectionpool", "auth_server",
                    "auth_server.app", "auth_server.views", "auth_server.spotify",
                    "auth_server.security", "auth_server.__main__")
_SECRET_PATTERNS = (
    # query strings and form bodies: code=..., state=..., code_verifier=..., *_token=...
    re.compile(r"(?i)\b(code|state|code_verifier|access_token|refresh_token|client_secret)"
               r"=[^&\s\"']+"),
    # repr of dicts: 'code': '...', "refresh_token": "..."
    re.compile(r"(?i)(['\"](?:code|code_verifier|access_token|refresh_token|client_secret)"
               r"['\"]\s*:\s*)['\"][^'\"]*['\"]"),
    re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
)


def well_formed(token: str) -> bool:
    """Tell whether a state or CSRF token the browser sent could be one of ours."""
    return bool(_TOKEN_TEXT.fullmatch(token))


def same_secret(expected: object, sent: str) -> bool:
    """Compare a secret sent back by the browser with ours, in constant time, for any text."""
    return bool(expected) and secrets.compare_digest(str(expected).encode(), sent.encode())


def _state_id(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def remember_state(db: Database, state: str, lifetime_seconds: int) -> None:
    """Record a new sign-in's state server-side, so that it can be used once only."""
    now = datetime.now(UTC)
    db[OAUTH_STATES].delete_many({"expires_at": {"$lt": now}})
    db[OAUTH_STATES].insert_one({"_id": _state_id(state), "created_at": now,
                                 "expires_at": now + timedelta(seconds=lifetime_seconds)})


def consume_state(db: Database, state: str) -> bool:
    """Use a state up: True the first time (and only if it is still valid), False after.

    The session cookie holding the state is signed, not single-use: a browser (or anyone who
    copied the cookie) can send it again. Only this server-side record makes a state single-use.
    """
    found = db[OAUTH_STATES].find_one_and_delete({"_id": _state_id(state)})
    return found is not None and found["expires_at"] > datetime.now(UTC)


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def _same_origin(value: str) -> bool:
    if not value or value == "null":
        return False
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def require_same_site_post() -> None:
    """Abort with 403 unless this POST carries the session's CSRF token and comes from us."""
    expected = session.get(CSRF_SESSION_KEY)
    sent = request.form.get(CSRF_FORM_FIELD, "")
    if sent and not well_formed(sent):
        abort(400, description="This form was damaged on the way: it carries no valid token.")
    if not same_secret(expected, sent):
        abort(403, description="This form has expired or did not come from this page.")
    # Belt and braces: a browser names the page a POST came from; it must be one of ours.
    origin = request.headers.get("Origin")
    if origin is not None:
        if not _same_origin(origin):
            abort(403, description="Cross-site requests are refused.")
    elif not _same_origin(request.headers.get("Referer", "")):
        abort(403, description="Cross-site requests are refused.")


def add_security_headers(response: Response) -> Response:
    """Set the security headers; nothing this helper serves may be cached, except assets
    whose URL names their version (they say `immutable`: the dashboard's plotly.js)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not response.headers.get("Cache-Control", "").endswith("immutable"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def redact(text: str) -> str:
    """Replace authorization codes, tokens and credentials in a log line."""
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}'[redacted]'", text)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)} [redacted]", text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def printable(value: object) -> object:
    """Escape line breaks and other control characters in text that came from outside.

    A value such as `?error=x%0A2026-11-21 ... Connected user` must stay on its own log line.
    """
    if not isinstance(value, str):
        return value
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1] if m.group() in "\n\r\t"
                        else f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", value)


class RedactingFilter(logging.Filter):
    """Drop debug chatter that carries request bodies; escape what came from outside; redact
    secrets from everything."""

    def filter(self, record: logging.LogRecord) -> bool:
        # spotipy's debug lines print whole request headers and bodies (Basic auth, code).
        if record.name.startswith("spotipy") and record.levelno < logging.INFO:
            return False
        if isinstance(record.args, tuple):
            record.args = tuple(printable(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: printable(arg) for key, arg in record.args.items()}
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not a leak
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every logger that might see a secret (idempotent)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
    # spotipy logs request headers (bearer tokens) at DEBUG.
    logging.getLogger("spotipy").setLevel(logging.INFO)
