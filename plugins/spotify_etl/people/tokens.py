"""Refresh tokens at rest: encrypted with Fernet, handed to spotipy as a CacheHandler.

People live in `users` (no secrets: analysts may read it); their tokens live in `tokens`,
encrypted. A rotated refresh token is saved the moment Spotify hands it out; `invalid_grant`
marks the person `needs_reauth` so the pipeline skips them until they reconnect. A
`TokenStore` works on the database handle its caller opened (one per unit of work).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from spotipy.cache_handler import CacheHandler

from spotify_etl.constants import ACTIVE, NEEDS_REAUTH

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)

# Spotify: refresh tokens expire six months after consent; refreshing does not extend them.
REFRESH_TOKEN_LIFETIME = timedelta(days=182)
FERNET_VARIABLE = "spotify_etl_fernet_key"
_NO_KEY = ("No encryption key for Spotify tokens: set SPOTIFY_ETL_FERNET_KEY (or the Airflow "
           f"Variable {FERNET_VARIABLE}). Generate one with `python -m spotify_etl keygen`.")


class TokenStoreError(RuntimeError):
    """The token store cannot do what was asked (no key, wrong key, unknown person)."""


class WrongKey(TokenStoreError):
    """The encryption key does not open a stored token."""


def resolve_fernet_key(settings: Settings) -> str:
    """Find the encryption key: SPOTIFY_ETL_FERNET_KEY, else the Airflow Variable."""
    if settings.fernet_key:
        return settings.fernet_key
    if "airflow.sdk" not in sys.modules:  # not inside Airflow: no Variable to read
        raise TokenStoreError(_NO_KEY)
    try:
        from airflow.sdk import Variable

        key = Variable.get(FERNET_VARIABLE, default=None)
    except Exception:  # outside Airflow, or no metadata database: no Variable to read
        key = None
    if key:
        return key
    raise TokenStoreError(_NO_KEY)


def make_fernet(key: str) -> Fernet:
    """Build the cipher, with a clear message for a malformed key."""
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except (ValueError, TypeError):
        raise TokenStoreError(
            "SPOTIFY_ETL_FERNET_KEY is not a valid Fernet key (32 url-safe base64-encoded "
            "bytes). Generate one with `python -m spotify_etl keygen`.") from None


class TokenStore:
    """Store and read people and their encrypted tokens in an open database."""

    def __init__(self, db: Database, settings: Settings, fernet: Fernet | None = None) -> None:
        self.db = db
        self.settings = settings
        self._fernet = fernet

    @property
    def fernet(self) -> Fernet:
        if self._fernet is None:
            self._fernet = make_fernet(resolve_fernet_key(self.settings))
        return self._fernet

    def _encrypt(self, token_info: dict[str, Any]) -> str:
        return self.fernet.encrypt(json.dumps(token_info).encode()).decode()

    def _decrypt(self, user_id: str, blob: Any) -> dict[str, Any]:
        if not isinstance(blob, str):
            raise TokenStoreError(f"The stored token of user {user_id} is damaged (a "
                                  f"{type(blob).__name__}, not ciphertext): they must reconnect.")
        try:
            token_info = json.loads(self.fernet.decrypt(blob.encode()))
        except InvalidToken:
            raise WrongKey(
                f"Cannot decrypt the stored token of user {user_id}: the encryption key is not "
                "the one it was stored with, or the token is damaged.") from None
        except ValueError:  # decrypted, but not the JSON this store writes
            raise TokenStoreError(f"The stored token of user {user_id} is damaged: they must "
                                  "reconnect.") from None
        if not isinstance(token_info, dict) or not isinstance(token_info.get("refresh_token"),
                                                              str):
            raise TokenStoreError(f"The stored token of user {user_id} has no refresh token: "
                                  "they must reconnect.")
        return token_info

    def readable(self, user_ids: list[str]) -> dict[str, bool]:
        """Tell, for each person with a stored token, whether the key opens it."""
        found: dict[str, bool] = {}
        for document in self.db.tokens.find({"_id": {"$in": list(user_ids)}}):
            try:
                self._decrypt(document["_id"], document.get("token"))
                found[document["_id"]] = True
            except WrongKey:
                found[document["_id"]] = False
            except TokenStoreError:
                found[document["_id"]] = True  # the key is fine; this one token is damaged
        return found

    def save_user(self, profile: dict[str, Any], token_info: dict[str, Any],
                  *, consented_at: datetime | None = None) -> str:
        """Store a person who just consented, and their token; return their user id."""
        user_id = profile["id"]
        consented_at = consented_at or datetime.now(UTC)
        ciphertext = self._encrypt(_token_fields(token_info))
        now = datetime.now(UTC)
        self.db.tokens.update_one(
            {"_id": user_id}, {"$set": {"token": ciphertext, "updated_at": now}}, upsert=True)
        self.db.users.update_one(
            {"_id": user_id},
            {"$set": {"display_name": profile.get("display_name"),
                      "account_id": profile.get("account_id"),
                      "status": ACTIVE, "consented_at": consented_at,
                      "refresh_token_expires_at": consented_at + REFRESH_TOKEN_LIFETIME,
                      "updated_at": now},
             "$unset": {"reauth_reason": "", "reauth_since": ""},
             "$setOnInsert": {"created_at": now}},
            upsert=True)
        log.info("Stored user %s (token encrypted)", user_id)
        return user_id

    def token_info(self, user_id: str) -> dict[str, Any] | None:
        """Return the user's decrypted token info, or None if none is stored."""
        document = self.db.tokens.find_one({"_id": user_id})
        return self._decrypt(user_id, document["token"]) if document else None

    def save_token_info(self, user_id: str, token_info: dict[str, Any]) -> None:
        """Replace the user's token info (after a refresh, possibly with a rotated token)."""
        ciphertext = self._encrypt(_token_fields(token_info))
        result = self.db.tokens.update_one(
            {"_id": user_id}, {"$set": {"token": ciphertext, "updated_at": datetime.now(UTC)}})
        if result.matched_count == 0:
            raise TokenStoreError(f"No stored token for user {user_id}")

    def mark_needs_reauth(self, user_id: str, reason: str) -> None:
        """Flag the user for re-authorization; the pipeline skips them until they reconnect."""
        self.db.users.update_one(
            {"_id": user_id},
            {"$set": {"status": NEEDS_REAUTH, "reauth_reason": reason,
                      "reauth_since": datetime.now(UTC)}})
        log.warning("User %s needs re-authorization: %s", user_id, reason)

    def cache_handler(self, user_id: str) -> MongoCacheHandler:
        """Give spotipy a cache handler bound to one user."""
        return MongoCacheHandler(self, user_id)



def _token_fields(token_info: dict[str, Any]) -> dict[str, Any]:
    keep = ("access_token", "refresh_token", "expires_at", "expires_in", "scope", "token_type")
    return {key: token_info[key] for key in keep if key in token_info}


class MongoCacheHandler(CacheHandler):
    """spotipy's token cache, backed by the encrypted token store."""

    def __init__(self, store: TokenStore, user_id: str) -> None:
        self.store = store
        self.user_id = user_id
        self._token_info: dict[str, Any] | None = None

    def get_cached_token(self) -> dict[str, Any] | None:
        # spotipy asks before every request; read the store once per source.
        if self._token_info is None:
            self._token_info = self.store.token_info(self.user_id)
        return self._token_info

    def reload(self) -> bool:
        """Read the stored token again; True when another process changed it meanwhile.

        Two runs of one person may refresh at once; when Spotify rotates refresh tokens, the
        slower one holds a refresh token that no longer works although the person's access
        is fine. The newer stored token lets it carry on instead of marking them.
        """
        before = (self._token_info or {}).get("refresh_token")
        self._token_info = self.store.token_info(self.user_id)
        return bool(self._token_info) and self._token_info.get("refresh_token") != before

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        # Saved at once: a rotated refresh token replaces the old one, which stops working.
        self.store.save_token_info(self.user_id, token_info)
        self._token_info = _token_fields(token_info)
