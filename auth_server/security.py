"""Browser-facing protections: CSRF tokens, same-origin checks, response headers, log redaction.

Everything that keeps a token, an authorization code or a cross-site request from getting
through lives here, so the views stay about pages. Nothing here talks to Spotify.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import abort, request, session

if TYPE_CHECKING:
    from flask import Response

CSRF_SESSION_KEY = "csrf_token"
CSRF_FORM_FIELD = "csrf_token"
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
REDACTED_LOGGERS = ("werkzeug", "spotipy", "spotipy.oauth2", "spotipy.client",
                    "spotipy.cache_handler", "urllib3.connectionpool", "auth_server")
_SECRET_PATTERNS = (
    # query strings and form bodies: code=..., state=..., code_verifier=..., *_token=...
    re.compile(r"(?i)\b(code|state|code_verifier|access_token|refresh_token|client_secret)"
               r"=[^&\s\"']+"),
    # repr of dicts: 'code': '...', "refresh_token": "..."
    re.compile(r"(?i)(['\"](?:code|code_verifier|access_token|refresh_token|client_secret)"
               r"['\"]\s*:\s*)['\"][^'\"]*['\"]"),
    re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
)


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
    if not expected or not secrets.compare_digest(str(expected), sent):
        abort(403, description="This form has expired or did not come from this page.")
    # Belt and braces: a browser names the page a POST came from; it must be one of ours.
    origin = request.headers.get("Origin")
    if origin is not None:
        if not _same_origin(origin):
            abort(403, description="Cross-site requests are refused.")
    elif not _same_origin(request.headers.get("Referer", "")):
        abort(403, description="Cross-site requests are refused.")


def add_security_headers(response: Response) -> Response:
    """Set the security headers; nothing this helper serves may be cached."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def redact(text: str) -> str:
    """Replace authorization codes, tokens and credentials in a log line."""
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}'[redacted]'", text)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)} [redacted]", text)


class RedactingFilter(logging.Filter):
    """Drop debug chatter that carries request bodies; redact secrets from everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        # spotipy's debug lines print whole request headers and bodies (Basic auth, code).
        if record.name.startswith("spotipy") and record.levelno < logging.INFO:
            return False
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
