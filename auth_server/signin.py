"""Who this browser is signed in as: set by a completed Spotify login, read by the dashboard.

The signed session cookie holds the person's id and when they logged in; a sign-in lasts
`SIGNED_IN_SECONDS`, then Spotify is asked again. Nothing else (no token) is kept.
"""

from __future__ import annotations

import time

from flask import session

SESSION_KEY = "signed_in"
SIGNED_IN_SECONDS = 12 * 60 * 60


def sign_in(user_id: str) -> None:
    """Remember that this browser just logged in with Spotify as `user_id`."""
    session[SESSION_KEY] = {"user_id": user_id, "at": time.time()}


def signed_in_user() -> str | None:
    """Return the person this browser is signed in as, or None (never signed in, or expired)."""
    signed = session.get(SESSION_KEY) or {}
    if not signed.get("user_id") or time.time() - signed.get("at", 0) > SIGNED_IN_SECONDS:
        return None
    return str(signed["user_id"])


def sign_out() -> None:
    """Forget the sign-in."""
    session.pop(SESSION_KEY, None)
