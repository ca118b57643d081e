"""Read-only views for analysts: each an aggregation pipeline over one collection.

`create_views(db)` creates or replaces them on a MongoDB server. The embedded development
store has no views; there `view_pipeline(name)` gives the same pipeline to run with
`db[VIEWS[name].source].aggregate(...)`, which is also how the tests check them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class View:
    """A named read-only view: what it answers, its source collection and its pipeline."""

    name: str
    source: str
    description: str
    pipeline: tuple[dict[str, Any], ...]


# A top list's items as rows: the list's own fields plus the item's (rank, item_id, name, ...).
ITEM_ROW = {"_id": 0, "user_id": 1, "snapshot_date": 1, "kind": 1, "time_range": 1,
            "rank": "$items.rank", "item_id": "$items.item_id", "name": "$items.name",
            "artist_ids": "$items.artist_ids", "artist_names": "$items.artist_names",
            "genres": "$items.genres"}


def item_rows(*stages: dict[str, Any]) -> list[dict[str, Any]]:
    """Unwind top lists into one row per ranked item (`stages` filter the lists first)."""
    return [*stages, {"$unwind": "$items"}, {"$project": ITEM_ROW}]


def _latest_top_items(*stages: dict[str, Any]) -> list[dict[str, Any]]:
    """Each person's top items on their latest snapshot date (`users.last_snapshot_date`).

    One `$lookup` per person on the top_lists `(user_id, snapshot_date, ...)` index, instead of
    a scan of every snapshot ever taken; then one row per ranked item. `stages` narrow the
    looked-up lists.
    """
    return [
        {"$match": {"last_snapshot_date": {"$type": "string"}}},
        {"$lookup": {
            "from": "top_lists",
            "let": {"user_id": "$_id", "snapshot_date": "$last_snapshot_date"},
            "pipeline": [
                {"$match": {"$expr": {"$and": [{"$eq": ["$user_id", "$$user_id"]},
                                               {"$eq": ["$snapshot_date", "$$snapshot_date"]}]}}},
                *item_rows(*stages),
            ],
            "as": "items"}},
        {"$unwind": "$items"},
        {"$replaceRoot": {"newRoot": "$items"}},
    ]


LATEST_TOP_ITEMS = View(
    "latest_top_items", "users",
    "Every person's top lists (artists and tracks, all three time ranges) from their latest "
    "snapshot (users.last_snapshot_date), one row per ranked item.",
    tuple(_latest_top_items()))

ARTIST_LEADERBOARD = View(
    "artist_leaderboard", "users",
    "Artists across people on each person's latest snapshot: how many people have the artist "
    "in at least one top list, in how many lists in all, and the best rank anyone gives it.",
    tuple(_latest_top_items({"$match": {"kind": "artists"}}) + [
        {"$group": {"_id": "$item_id", "name": {"$first": "$name"},
                    "genres": {"$first": "$genres"}, "people": {"$addToSet": "$user_id"},
                    "lists": {"$sum": 1}, "best_rank": {"$min": "$rank"}}},
        {"$project": {"_id": 0, "artist_id": "$_id", "name": 1, "genres": 1,
                      "people": {"$size": "$people"}, "lists": 1, "best_rank": 1}},
        {"$sort": {"people": -1, "lists": -1, "best_rank": 1, "artist_id": 1}},
    ]))

GENRE_SHARE_WEEKLY = View(
    "genre_share_weekly", "top_lists",
    "Genre share per person, ISO week and time range, from their top artists: of all the genre "
    "tags of the artists in their top lists that week (every daily snapshot counts), the share "
    "each genre has. Artists without genres do not count.",
    (
        *item_rows({"$match": {"kind": "artists"}}),
        {"$project": {"user_id": 1, "time_range": 1, "genres": 1,
                      "week": {"$dateToString": {
                          "format": "%G-W%V",
                          "date": {"$dateFromString": {"dateString": "$snapshot_date"}}}}}},
        {"$unwind": "$genres"},
        {"$group": {"_id": {"user_id": "$user_id", "week": "$week",
                            "time_range": "$time_range", "genre": "$genres"},
                    "tags": {"$sum": 1}}},
        {"$group": {"_id": {"user_id": "$_id.user_id", "week": "$_id.week",
                            "time_range": "$_id.time_range"},
                    "total": {"$sum": "$tags"},
                    "genres": {"$push": {"genre": "$_id.genre", "tags": "$tags"}}}},
        {"$unwind": "$genres"},
        {"$project": {"_id": 0, "user_id": "$_id.user_id", "week": "$_id.week",
                      "time_range": "$_id.time_range", "genre": "$genres.genre",
                      "tags": "$genres.tags",
                      "share": {"$round": [{"$divide": ["$genres.tags", "$total"]}, 4]}}},
        {"$sort": {"user_id": 1, "week": 1, "time_range": 1, "share": -1, "genre": 1}},
    ))

VIEWS: dict[str, View] = {view.name: view for view in
                          (LATEST_TOP_ITEMS, ARTIST_LEADERBOARD, GENRE_SHARE_WEEKLY)}


def view_pipeline(name: str) -> list[dict[str, Any]]:
    """Return a copy of the view's pipeline, to run with `aggregate` on its source collection."""
    import copy

    return copy.deepcopy(list(VIEWS[name].pipeline))


def run_view(db: Database, name: str) -> list[dict[str, Any]]:
    """Read a view's rows by running its pipeline on its source (works on every store)."""
    return list(db[VIEWS[name].source].aggregate(view_pipeline(name)))


def create_views(db: Database) -> list[str]:
    """Create or replace the views on a MongoDB server; return their names.

    On a store without views (the embedded development store) nothing is created and a log
    line says so; `run_view` still answers there.
    """
    from spotify_etl.storage.server import server_version

    if server_version(db) is None:
        log.info("Views skipped: this store has no views (use run_view / view_pipeline)")
        return []
    existing = {info["name"]: info for info in db.list_collections()}
    for view in VIEWS.values():
        info = existing.get(view.name)
        if info is not None and info.get("type") == "view":
            options = info.get("options", {})
            if options.get("viewOn") != view.source or options.get("pipeline") != view_pipeline(
                    view.name):  # collMod needs dbAdmin: only when the definition changed
                db.command("collMod", view.name, viewOn=view.source,
                           pipeline=view_pipeline(view.name))
        elif info is not None:
            raise RuntimeError(f"{view.name} exists and is a collection, not a view; "
                               "rename or drop it first")
        else:
            db.create_collection(view.name, viewOn=view.source, pipeline=view_pipeline(view.name))
    log.info("Views ready: %s", ", ".join(VIEWS))
    return list(VIEWS)
