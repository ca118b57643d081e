"""Who is asking: the person whose API token is in `Authorization: Bearer ...`.

Tokens come from the authorization helper (log in with Spotify, then "Create an API token")
or from `python -m spotify_etl api-token USER`; only their hash is stored
(`spotify_etl.people.api_tokens`).
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from spotify_etl.people.api_tokens import person_of
from spotify_etl.storage import open_database

bearer = HTTPBearer(auto_error=False, description="An API token of yours (see /docs).")


def current_person(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """Return the user id of the token's person, or answer 401."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "An API token is required: Authorization: Bearer <token> "
                                 "(get one from the authorization helper after logging in).",
                            headers=challenge)
    with open_database(request.app.state.settings) as db:
        user_id = person_of(db, credentials.credentials)
    if user_id is None:
        raise HTTPException(401, "This API token is unknown or revoked.", headers=challenge)
    return user_id
