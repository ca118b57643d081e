"""Concerts' reads and writes: listening inputs for similarity, and the concert collections.

Top lists are read through `analytics.repository.top_list`, the one function that knows how
they are stored. Written here, each under its natural key (docs/data-model.md):
`concerts` (one per provider event), `concert_lookups` (one per provider, artist and day: the
daily cache), `concert_matches` (one per provider and artist: which performer it is) and
`concert_bins` (one per person and day). Dates are `date`s here, strings in the documents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.analytics.repository import top_list
from spotify_etl.concerts.provider import ArtistMatch
from spotify_etl.concerts.similarity import PLAYS_WINDOW_DAYS, listening_weights
from spotify_etl.constants import TIME_RANGES
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.concerts.provider import Concert

FRESH_DAYS = 7  # a lookup this old still serves bins when today's could not be fetched


# ---------------------------------------------------------------- listening (similarity inputs)
def snapshot_dates(db: Database) -> dict[str, date]:
    """Return every person's newest snapshot date."""
    return {u["_id"]: date.fromisoformat(u["last_snapshot_date"])
            for u in db.users.find({}, {"last_snapshot_date": 1}) if u.get("last_snapshot_date")}


def person_top_artists(db: Database, user_id: str, snapshot_date: date,
                       time_range: str) -> list[dict[str, Any]]:
    """Return a person's ranked top artists on a date."""
    return top_list(db, user_id, snapshot_date, "artists", time_range)


def listening_inputs(db: Database) -> tuple[dict[str, dict[str, float]], dict[str, list[str]],
                                            dict[str, str]]:
    """Read everyone's listening weights, the catalogue's genres and artist names."""
    listening: dict[str, dict[str, float]] = {}
    for user_id, day in sorted(snapshot_dates(db).items()):
        artists = [top_list(db, user_id, day, "artists", r) for r in TIME_RANGES]
        tracks = [top_list(db, user_id, day, "tracks", r) for r in TIME_RANGES]
        since = datetime.combine(day - timedelta(days=PLAYS_WINDOW_DAYS - 1), datetime.min.time(),
                                 UTC)
        until = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
        plays = Counter(artist_id for play in db.plays.find(
            {"user_id": user_id, "played_at": {"$gte": since, "$lt": until}}, {"artist_ids": 1})
            for artist_id in play.get("artist_ids") or () if artist_id)
        listening[user_id] = listening_weights(artists, tracks, plays)
    genres: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for artist in db.artists.find({}, {"name": 1, "genres": 1}):
        genres[artist["_id"]] = list(artist.get("genres") or [])
        if artist.get("name"):
            names[artist["_id"]] = artist["name"]
    return listening, genres, names


# ---------------------------------------------------------------- matches and the daily cache
def saved_match(db: Database, provider: str, artist_id: str, day: date, refresh_days: int
                ) -> tuple[bool, ArtistMatch | None]:
    """Return (known, match): known is False when the artist must be looked up (again)."""
    found = db.concert_matches.find_one({"_id": document_id(provider, artist_id)})
    if not found or date.fromisoformat(found["looked_up_date"]) <= day - timedelta(
            days=refresh_days):
        return False, None
    performer = found.get("performer")
    return True, ArtistMatch(**performer) if performer else None


def save_match(db: Database, provider: str, artist_id: str, name: str, day: date,
               match: ArtistMatch | None) -> None:
    """Remember which performer an artist is (or that none is), as of a day."""
    db.concert_matches.replace_one(
        {"_id": document_id(provider, artist_id)},
        {"provider": provider, "artist_id": artist_id, "name": name,
         "performer": asdict(match) if match else None, "looked_up_date": day.isoformat()},
        upsert=True)


def lookup(db: Database, provider: str, artist_id: str, day: date) -> dict[str, Any] | None:
    """Return the day's cached lookup of an artist, if it was made."""
    return db.concert_lookups.find_one({"_id": document_id(provider, artist_id, day)})


def last_lookup_days(db: Database, provider: str, artist_ids: list[str], day: date
                     ) -> dict[str, date]:
    """Return each artist's newest lookup day within FRESH_DAYS before `day`."""
    ids = [document_id(provider, a, day - timedelta(days=back))
           for a in artist_ids for back in range(FRESH_DAYS + 1)]
    newest: dict[str, date] = {}
    for found in db.concert_lookups.find({"_id": {"$in": ids}}, {"artist_id": 1, "day": 1}):
        when = date.fromisoformat(found["day"])
        newest[found["artist_id"]] = max(when, newest.get(found["artist_id"], when))
    return newest


def save_lookup(db: Database, provider: str, artist_id: str, day: date,
                match: ArtistMatch | None, concerts: list[Concert], complete: bool,
                requests: int) -> None:
    """Store the concerts of one artist's lookup, then the lookup itself (the cache entry).

    Concerts first: a run stopped between the two leaves no lookup pointing at nothing, and
    the next run simply fetches the artist again.
    """
    from pymongo import UpdateOne

    now = datetime.now(UTC)
    keys = [document_id(provider, concert["event_id"]) for concert in concerts]
    stored = {found["_id"]: found for found in db.concerts.find({"_id": {"$in": keys}})} \
        if keys else {}
    writes = []
    for key, concert in zip(keys, concerts):
        before = stored.get(key)
        update: dict[str, Any] = {"$addToSet": {"artist_ids": artist_id}}
        if before is None:
            update["$setOnInsert"] = {**concert, "provider": provider,
                                      "first_seen_date": day.isoformat(), "updated_at": now}
        elif any(before.get(field) != value for field, value in concert.items()):
            update["$set"] = {**concert, "updated_at": now}  # rescheduled, moved, renamed...
        elif artist_id in (before.get("artist_ids") or ()):
            continue  # nothing new: no write (most concerts, most days)
        writes.append(UpdateOne({"_id": key}, update, upsert=True))
    if writes:  # one bulk write per artist: one round trip, one commit
        db.concerts.bulk_write(writes, ordered=False)
    db.concert_lookups.replace_one(
        {"_id": document_id(provider, artist_id, day)},
        {"provider": provider, "artist_id": artist_id, "day": day.isoformat(),
         "status": "ok" if match else "no_match",
         "performer": asdict(match) if match else None,
         "event_ids": [c["event_id"] for c in concerts], "complete": complete,
         "requests": requests, "fetched_at": now}, upsert=True)


def concerts_of(db: Database, provider: str, artist_ids: list[str], day: date
                ) -> dict[str, dict[str, Any]]:
    """Return each artist's newest fresh lookup with its concerts: {artist: {lookup, concerts}}."""
    newest = last_lookup_days(db, provider, artist_ids, day)
    lookups = {found["artist_id"]: found for found in db.concert_lookups.find(
        {"_id": {"$in": [document_id(provider, a, d) for a, d in newest.items()]}})}
    wanted = sorted({e for found in lookups.values() for e in found.get("event_ids") or ()})
    by_id = {c["event_id"]: c for c in db.concerts.find(
        {"_id": {"$in": [document_id(provider, e) for e in wanted]}})}
    return {artist_id: {"lookup": found,
                        "concerts": [by_id[e] for e in found.get("event_ids") or () if e in by_id]}
            for artist_id, found in lookups.items()}


def forget_lookups_before(db: Database, day: date) -> int:
    """Delete cache entries older than FRESH_DAYS before a day (they serve nothing)."""
    return db.concert_lookups.delete_many(
        {"day": {"$lt": (day - timedelta(days=FRESH_DAYS)).isoformat()}}).deleted_count


def save_bins(db: Database, document: dict[str, Any]) -> None:
    """Store a person's bins of a day under its natural key, replacing the previous ones."""
    db.concert_bins.replace_one({"_id": document["_id"]}, document, upsert=True)
