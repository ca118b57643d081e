"""API tokens: how a person's own programs reach the HTTP API (`api_server`) as that person.

A token is a random secret shown once when issued (by the authorization helper after the
person logs in with Spotify, or by an operator with `python -m spotify_etl api-token USER`);
only its SHA-256 is stored (`api_tokens`, keyed by it), so the store cannot show it again and a
copy of the database does not open the API. Delete-me removes a person's tokens with the rest.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymongo.database import Database

PREFIX = "se_"  # recognisable in a leaked-secrets scan


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Database, user_id: str, *, label: str = "") -> str:
    """Create a token for a connected person; return it (the only time it is shown)."""
    if db.users.find_one({"_id": user_id}, {"_id": 1}) is None:
        raise LookupError(f"Unknown user id {user_id!r}: only connected people get API tokens.")
    token = PREFIX + secrets.token_urlsafe(32)
    db.api_tokens.insert_one({"_id": _digest(token), "user_id": user_id, "label": label,
                              "created_at": datetime.now(UTC)})
    return token


def person_of(db: Database, token: str | None) -> str | None:
    """Return whose token this is, or None (unknown, revoked, or its person deleted)."""
    if not token or not token.startswith(PREFIX):
        return None
    found = db.api_tokens.find_one({"_id": _digest(token)}, {"user_id": 1})
    if found is None or db.users.find_one({"_id": found["user_id"]}, {"_id": 1}) is None:
        return None
    return found["user_id"]


def revoke_tokens(db: Database, user_id: str) -> int:
    """Revoke every token of a person; return how many."""
    return db.api_tokens.delete_many({"user_id": user_id}).deleted_count
