"""A person's listening history as the models see it: the one function that reads plays.

Everything in `prediction` reads plays through `plays_of`, so what counts as a play is decided
here once: every document of the `plays` collection with a track id — captured (recently
played) and imported from Spotify's data exports alike, each play stored once by
`spotify_etl.history`, with podcasts and audiobooks kept apart in `spoken_plays`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pymongo.database import Database

# Which stored plays are a person's music listening: all of them (spoken plays live in
# `spoken_plays`); the one place to narrow it.
MUSIC_PLAYS: dict = {}
COLUMNS = ["played_at", "track_id", "artist_ids", "album_id", "duration_ms", "ms_played",
           "skipped"]


def day_end(day: date) -> datetime:
    """Return the first instant after a UTC day (plays before it belong to the day or earlier)."""
    return datetime.combine(day, time(), tzinfo=UTC) + pd.Timedelta(days=1)


def plays_of(db: Database, user_id: str, until: date | None = None) -> pd.DataFrame:
    """Return a person's music plays up to the end of `until` (all if None), oldest first.

    Columns: `played_at` (UTC), `track_id`, `artist_ids`, `album_id`, `duration_ms`, and
    `ms_played` / `skipped` where the source records them (an extended export does; daily
    captures of recently played do not: NaN there).
    """
    query: dict = {"user_id": user_id, "track_id": {"$ne": None}, **MUSIC_PLAYS}
    if until is not None:
        query["played_at"] = {"$lt": day_end(until)}
    projection = {name: 1 for name in COLUMNS} | {"_id": 0}
    rows = list(db.plays.find(query, projection))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    frame["played_at"] = pd.to_datetime(frame["played_at"], utc=True)
    frame["artist_ids"] = frame["artist_ids"].map(lambda ids: list(ids) if ids else [])
    return frame.sort_values("played_at", kind="stable").reset_index(drop=True)
