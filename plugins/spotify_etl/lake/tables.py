"""The lake's tables: their Arrow schemas and the rows each one gets from stored documents.

Pure functions over plain documents (as the store returns them). The partition columns,
`table` and `snapshot_date`, are in the path (Hive style), not in the files. docs/lake.md
describes every column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

TEXTS = pa.list_(pa.string())
SCHEMAS: dict[str, pa.Schema] = {
    # one row per ranked item of a top list
    "top_lists": pa.schema([
        ("user_id", pa.string()), ("kind", pa.string()), ("time_range", pa.string()),
        ("rank", pa.int16()), ("item_id", pa.string()), ("name", pa.string()),
        ("artist_ids", TEXTS), ("artist_names", TEXTS), ("genres", TEXTS)]),
    # the plays of that UTC day
    "plays": pa.schema([
        ("user_id", pa.string()), ("played_at", pa.timestamp("us", tz="UTC")),
        ("track_id", pa.string()), ("track_name", pa.string()), ("artist_ids", TEXTS),
        ("artist_names", TEXTS), ("album_id", pa.string()), ("duration_ms", pa.int64()),
        ("context_type", pa.string()), ("context_uri", pa.string())]),
    # the catalogue items that day's top lists and plays name, as known at export time
    "artists": pa.schema([
        ("artist_id", pa.string()), ("name", pa.string()), ("genres", TEXTS),
        ("popularity", pa.int32()), ("followers", pa.int64()), ("image_url", pa.string()),
        ("uri", pa.string()), ("details_as_of", pa.string()), ("last_seen_date", pa.string())]),
    "tracks": pa.schema([
        ("track_id", pa.string()), ("name", pa.string()), ("artist_ids", TEXTS),
        ("artist_names", TEXTS), ("album_id", pa.string()), ("duration_ms", pa.int64()),
        ("explicit", pa.bool_()), ("isrc", pa.string()), ("popularity", pa.int32()),
        ("uri", pa.string()), ("last_seen_date", pa.string())]),
    # one row per diff document; what varies by kind is kept whole in `detail` (JSON)
    "diffs": pa.schema([
        ("diff_id", pa.string()), ("kind", pa.string()), ("users", TEXTS),
        ("time_range", pa.string()), ("days", pa.int16()), ("from_range", pa.string()),
        ("to_range", pa.string()), ("compared_with", pa.string()), ("status", pa.string()),
        ("score", pa.float64()), ("detail", pa.string())]),
    # taste match scores: group pairs (with components) and taste twins (scores only)
    "match_scores": pa.schema([
        ("source", pa.string()), ("user_a", pa.string()), ("user_b", pa.string()),
        ("time_range", pa.string()), ("score", pa.float64()), ("artists", pa.float64()),
        ("tracks", pa.float64()), ("genres", pa.float64()), ("twin_rank", pa.int16()),
        ("together_track_id", pa.string()), ("together_track_name", pa.string())]),
}
TABLES = tuple(SCHEMAS)
DIFF_COLUMNS = {"_id", "kind", "users", "snapshot_date", "time_range", "days", "from_range",
                "to_range", "compared_with", "status", "score"}


def top_list_rows(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten top-list documents into one row per ranked item."""
    return [{"user_id": d["user_id"], "kind": d["kind"], "time_range": d["time_range"],
             "rank": item.get("rank"), "item_id": item.get("item_id"), "name": item.get("name"),
             "artist_ids": item.get("artist_ids"), "artist_names": item.get("artist_names"),
             "genres": item.get("genres")}
            for d in documents for item in d.get("items") or []]


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # the store's instants are UTC, sometimes naive


def play_rows(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn play documents into rows, oldest first."""
    rows = [{**{f: d.get(f) for f in SCHEMAS["plays"].names}, "played_at": _utc(d["played_at"])}
            for d in documents]
    return sorted(rows, key=lambda row: (row["user_id"], row["played_at"]))


def artist_rows(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn artist documents into rows (the first, largest image only)."""
    return sorted(({"artist_id": d["_id"], "name": d.get("name"), "genres": d.get("genres"),
                    "popularity": d.get("popularity"), "followers": d.get("followers"),
                    "image_url": ((d.get("images") or [{}])[0] or {}).get("url"),
                    "uri": d.get("uri"), "details_as_of": d.get("details_as_of"),
                    "last_seen_date": d.get("last_seen_date")} for d in documents),
                  key=lambda row: row["artist_id"])


def track_rows(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn track documents into rows."""
    names = [n for n in SCHEMAS["tracks"].names if n != "track_id"]
    return sorted(({"track_id": d["_id"], **{n: d.get(n) for n in names}} for d in documents),
                  key=lambda row: row["track_id"])


def diff_rows(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn diff documents into rows: common fields as columns, the rest as JSON."""
    rows = []
    for d in documents:
        detail = {k: v for k, v in d.items() if k not in DIFF_COLUMNS}
        rows.append({"diff_id": d["_id"], "kind": d.get("kind"), "users": d.get("users"),
                     **{k: d.get(k) for k in ("time_range", "days", "from_range", "to_range",
                                              "compared_with", "status", "score")},
                     "detail": json.dumps(detail, sort_keys=True, default=str)})
    return sorted(rows, key=lambda row: row["diff_id"])


def match_rows(pair_diffs: Iterable[dict[str, Any]], twins: Iterable[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """Collect the day's taste match scores: group pairs, then everyone's taste twins."""
    rows = []
    for d in pair_diffs:
        if d.get("kind") != "pair" or d.get("status") != "ok":
            continue
        components = d.get("components") or {}
        together = d.get("together") or {}
        a, b = d["users"]
        rows.append({"source": "group_pair", "user_a": a, "user_b": b,
                     "time_range": d.get("time_range"), "score": d.get("score"),
                     **{facet: components.get(facet) for facet in ("artists", "tracks", "genres")},
                     "twin_rank": None, "together_track_id": together.get("id"),
                     "together_track_name": together.get("name")})
    for document in twins:
        for rank, twin in enumerate(document.get("twins") or [], start=1):
            rows.append({"source": "taste_twin", "user_a": document["user_id"],
                         "user_b": twin["user_id"], "time_range": document.get("time_range"),
                         "score": twin.get("score"), "artists": None, "tracks": None,
                         "genres": None, "twin_rank": rank, "together_track_id": None,
                         "together_track_name": None})
    return sorted(rows, key=lambda r: (r["source"], r["user_a"], r["user_b"], r["time_range"]))


def to_arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Build the Arrow table of rows with the table's schema (an empty one keeps its columns)."""
    return pa.Table.from_pylist(rows, schema=SCHEMAS[table])
