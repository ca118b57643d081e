"""Turn Spotify payloads into clean tables: tracks, artists, albums, ranked top items, plays.

Pure functions over plain data (lists of dicts in, pandas DataFrames out): no I/O. Nulls, local
files and malformed items are dropped and counted, never fatal. Fields that development-mode
apps no longer get (popularity, followers, markets) are kept when present and null otherwise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

TRACK_COLUMNS = ["_id", "name", "artist_ids", "artist_names", "album_id", "duration_ms",
                 "explicit", "isrc", "popularity", "track_number", "disc_number", "uri"]
ARTIST_COLUMNS = ["_id", "name", "genres", "images", "popularity", "followers", "uri"]
ALBUM_COLUMNS = ["_id", "name", "album_type", "release_date", "release_date_precision",
                 "total_tracks", "artist_ids", "images", "uri"]
TOP_ITEM_COLUMNS = ["user_id", "snapshot_date", "kind", "time_range", "rank", "item_id", "name",
                    "artist_ids", "artist_names", "genres"]
PLAY_COLUMNS = ["user_id", "played_at", "track_id", "track_name", "artist_ids", "artist_names",
                "album_id", "duration_ms", "context_type", "context_uri"]


@dataclass
class UserDay:
    """Everything one person's snapshot produced, as tables ready to load."""

    tracks: pd.DataFrame
    artists: pd.DataFrame
    albums: pd.DataFrame
    top_items: pd.DataFrame
    plays: pd.DataFrame
    dropped: Counter[str] = field(default_factory=Counter)
    # What Spotify sent that could not be used (null or malformed), kept raw with the reason.
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def artist_ids_needing_details(self) -> set[str]:
        """Artists referenced by tracks or plays whose full details this payload lacks."""
        referenced = set(_explode(self.tracks, "artist_ids")) | set(_explode(self.plays, "artist_ids"))
        return referenced - set(self.artists["_id"])


def _explode(frame: pd.DataFrame, column: str) -> list[str]:
    if frame.empty:
        return []
    return [value for value in frame[column].explode().dropna()]


def _problem(item: Any, *, kind: str) -> str | None:
    """Name what is wrong with an item, or None when it is usable."""
    if item is None:
        return "null"
    if not isinstance(item, dict):
        return "malformed"
    if item.get("is_local"):
        return "local"
    if not isinstance(item.get("id"), str) or not item["id"] or not isinstance(item.get("name"), str):
        return "malformed"
    if kind == "tracks":
        artists = item.get("artists")
        album = item.get("album")
        if not isinstance(artists, list) or not isinstance(album, dict):
            return "malformed"
        if any(not isinstance(a, dict) or not isinstance(a.get("id"), str) for a in artists):
            return "malformed"
    return None


QUARANTINED = ("null", "malformed")  # kept aside; local files are simply not catalogue items


def _valid(items: list[Any], kind: str, dropped: Counter[str], quarantined: list[dict[str, Any]],
           source: str) -> list[tuple[int, dict[str, Any]]]:
    """Keep the usable items with their position in Spotify's list (1-based)."""
    keep = []
    for position, item in enumerate(items or [], start=1):
        problem = _problem(item, kind=kind)
        if problem:
            dropped[f"{kind}:{problem}"] += 1
            if problem in QUARANTINED:
                quarantined.append({"source": source, "position": position, "reason": problem,
                                    "item": item})
        else:
            keep.append((position, item))
    return keep


def _track_record(track: dict[str, Any]) -> dict[str, Any]:
    album = track.get("album") or {}
    return {
        "_id": track["id"], "name": track["name"],
        "artist_ids": [a["id"] for a in track["artists"]],
        "artist_names": [a.get("name") for a in track["artists"]],
        "album_id": album.get("id"), "duration_ms": track.get("duration_ms"),
        "explicit": track.get("explicit"),
        "isrc": (track.get("external_ids") or {}).get("isrc"),
        "popularity": track.get("popularity"), "track_number": track.get("track_number"),
        "disc_number": track.get("disc_number"), "uri": track.get("uri"),
    }


# Whole numbers that may be missing (development mode drops popularity and followers): pandas'
# nullable Int64 keeps them integers, where a plain column would turn 30 into 30.0.
INTEGER_COLUMNS = ("popularity", "followers", "duration_ms", "track_number", "disc_number",
                   "total_tracks", "rank")


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in INTEGER_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("Int64")
    return frame


def tracks_frame(tracks: list[dict[str, Any]]) -> pd.DataFrame:
    """Tabulate valid track objects, one row per track id."""
    frame = _frame([_track_record(t) for t in tracks], TRACK_COLUMNS)
    return frame.drop_duplicates("_id", keep="first").reset_index(drop=True)


def artists_frame(artists: list[dict[str, Any]]) -> pd.DataFrame:
    """Tabulate valid full artist objects (genres may be empty; popularity may be absent)."""
    records = [{
        "_id": a["id"], "name": a["name"], "genres": list(a.get("genres") or []),
        "images": list(a.get("images") or []), "popularity": a.get("popularity"),
        "followers": (a.get("followers") or {}).get("total"), "uri": a.get("uri"),
    } for a in artists]
    return _frame(records, ARTIST_COLUMNS).drop_duplicates("_id").reset_index(drop=True)


def albums_frame(tracks: list[dict[str, Any]]) -> pd.DataFrame:
    """Tabulate the albums of valid tracks, one row per album id."""
    records = []
    for track in tracks:
        album = track.get("album") or {}
        if not isinstance(album.get("id"), str):
            continue
        records.append({
            "_id": album["id"], "name": album.get("name"), "album_type": album.get("album_type"),
            "release_date": album.get("release_date"),
            "release_date_precision": album.get("release_date_precision"),
            "total_tracks": album.get("total_tracks"),
            "artist_ids": [a.get("id") for a in album.get("artists") or [] if isinstance(a, dict)],
            "images": list(album.get("images") or []), "uri": album.get("uri"),
        })
    return _frame(records, ALBUM_COLUMNS).drop_duplicates("_id").reset_index(drop=True)


def top_items_frame(user_id: str, snapshot_date: date, kind: str, time_range: str,
                    items: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame:
    """One row per valid top item, ranked by its position in Spotify's own list.

    A dropped item leaves its rank empty rather than moving everyone after it up: rank 7 is
    what Spotify put seventh, whatever came before it.
    """
    records = []
    for position, item in items:
        is_track = kind == "tracks"
        records.append({
            "user_id": user_id, "snapshot_date": snapshot_date.isoformat(), "kind": kind,
            "time_range": time_range, "rank": position, "item_id": item["id"],
            "name": item["name"],
            "artist_ids": [a["id"] for a in item["artists"]] if is_track else [item["id"]],
            "artist_names": [a.get("name") for a in item["artists"]] if is_track else [item["name"]],
            "genres": None if is_track else list(item.get("genres") or []),
        })
    frame = _frame(records, TOP_ITEM_COLUMNS)
    return frame.drop_duplicates("item_id", keep="first").reset_index(drop=True)


def _instant(value: Any) -> datetime | None:
    """Parse Spotify's ISO 8601 instant ("2026-11-19T20:51:42.485Z") as aware UTC, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None  # Spotify always says UTC; a naive time is not Spotify's
    return parsed.astimezone(UTC)


def plays_frame(user_id: str, plays: list[Any], dropped: Counter[str],
                quarantined: list[dict[str, Any]] | None = None) -> tuple[pd.DataFrame, list]:
    """Tabulate play-history items (one row per played_at); return the rows and their tracks."""
    records, tracks = [], []
    quarantined = quarantined if quarantined is not None else []
    for position, play in enumerate(plays or [], start=1):
        if not isinstance(play, dict) or play.get("track") is None:
            problem = "null" if play is None or isinstance(play, dict) else "malformed"
        else:
            problem = _problem(play["track"], kind="tracks")
            if problem is None and _instant(play.get("played_at")) is None:
                problem = "malformed"
        if problem:
            dropped[f"plays:{problem}"] += 1
            if problem in QUARANTINED:
                quarantined.append({"source": "plays", "position": position, "reason": problem,
                                    "item": play})
            continue
        track, played_at = play["track"], _instant(play["played_at"])
        context = play.get("context") or {}
        tracks.append(track)
        records.append({
            "user_id": user_id, "played_at": played_at, "track_id": track["id"],
            "track_name": track["name"], "artist_ids": [a["id"] for a in track["artists"]],
            "artist_names": [a.get("name") for a in track["artists"]],
            "album_id": (track.get("album") or {}).get("id"),
            "duration_ms": track.get("duration_ms"),
            "context_type": context.get("type"), "context_uri": context.get("uri"),
        })
    frame = _frame(records, PLAY_COLUMNS)
    frame = frame.drop_duplicates("played_at").sort_values("played_at").reset_index(drop=True)
    return frame, tracks


def transform_user_day(user_id: str, snapshot_date: date, top: dict[tuple[str, str], list[Any]],
                       plays: list[Any]) -> UserDay:
    """Build one person's tables for one day from the raw payloads."""
    dropped: Counter[str] = Counter()
    quarantined: list[dict[str, Any]] = []
    top_frames, all_tracks, full_artists = [], [], []
    for (kind, time_range), items in top.items():
        valid = _valid(items, kind, dropped, quarantined, f"top:{kind}:{time_range}")
        top_frames.append(top_items_frame(user_id, snapshot_date, kind, time_range, valid))
        (all_tracks if kind == "tracks" else full_artists).extend(item for _, item in valid)
    plays_table, play_tracks = plays_frame(user_id, plays, dropped, quarantined)
    all_tracks.extend(play_tracks)
    top_items = (pd.concat(top_frames, ignore_index=True) if top_frames
                 else _frame([], TOP_ITEM_COLUMNS))
    return UserDay(tracks=tracks_frame(all_tracks), artists=artists_frame(full_artists),
                   albums=albums_frame(all_tracks), top_items=top_items, plays=plays_table,
                   dropped=dropped, quarantined=quarantined)


TOP_LIST_ITEM_FIELDS = ("rank", "item_id", "name", "artist_ids", "artist_names", "genres")


def top_list_documents(user_id: str, snapshot_date: date, top_items: pd.DataFrame,
                       fetched: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Bucket the ranked rows into one document per top list (MongoDB's bucket pattern).

    One document per (person, snapshot date, kind, time range) that was read, keyed by those
    four, its items in rank order; a list Spotify returned empty is stored empty, so a rerun
    replaces it whole. Tracks carry no `genres` (Spotify gives genres on artists only).
    """
    from spotify_etl.storage.keys import document_id

    rows = records(top_items)
    documents = []
    for kind, time_range in sorted(fetched):
        items = [{field: row[field] for field in TOP_LIST_ITEM_FIELDS
                  if not (field == "genres" and kind == "tracks")}
                 for row in rows if row["kind"] == kind and row["time_range"] == time_range]
        items.sort(key=lambda item: item["rank"])
        documents.append({"_id": document_id(user_id, snapshot_date, kind, time_range),
                          "user_id": user_id, "snapshot_date": snapshot_date.isoformat(),
                          "kind": kind, "time_range": time_range, "item_count": len(items),
                          "items": items})
    return documents


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a table into MongoDB documents: native Python values, missing values as None."""
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return out
