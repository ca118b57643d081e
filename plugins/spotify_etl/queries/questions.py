"""The analysts' questions, each a named MongoDB query with its parameters and its index.

One registry, `QUERIES`, feeds `run_query`, the `query` command, `docs/queries.md` (mongosh and
pymongo snippets are rendered from the same query) and the tests that check each question
against an index. Every query starts with a `$match` (or is a `find`) that an index serves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Callable

from spotify_etl.constants import (ACCESS_WARNING_DAYS, ACTIVE, FAILED_RUN_STATUSES, KINDS,
                                   NEEDS_REAUTH, TIME_RANGES)
from spotify_etl.storage.keys import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

Keys = list[tuple[str, int]]


class QueryError(ValueError):
    """A question asked with an unknown name, a bad parameter, or no data to default from."""


@dataclass(frozen=True)
class Param:
    """One parameter of a question: its name, type, default and meaning.

    `default` is a value, or a function `(db, params) -> value` for defaults that come from the
    data (the first person, their latest snapshot date); `example` is what the docs show.
    """

    name: str
    help: str
    default: Any = None
    type: type = str
    example: Any = None
    choices: tuple[str, ...] = ()

    @property
    def meaning(self) -> str:
        """The help text without its default."""
        return self.help.split("; default: ")[0]

    @property
    def default_text(self) -> str:
        """The default as people read it."""
        if callable(self.default):
            return self.help.split("; default: ", 1)[-1] if "; default: " in self.help else "?"
        return str(self.default)


@dataclass(frozen=True)
class Spec:
    """A built query: a `find` (filter, projection, sort, limit) or an `aggregate` pipeline."""

    collection: str
    filter: dict[str, Any] | None = None
    projection: dict[str, Any] | None = None
    sort: Keys | None = None
    limit: int = 0
    pipeline: list[dict[str, Any]] | None = None

    @property
    def first_match(self) -> tuple[dict[str, Any], Keys]:
        """The filter and sort an index must serve (a pipeline's leading `$match`/`$sort`)."""
        if self.pipeline is None:
            return self.filter or {}, list(self.sort or [])
        first = self.pipeline[0]
        if "$match" not in first:
            raise QueryError(f"a pipeline on {self.collection} must start with $match")
        second = self.pipeline[1] if len(self.pipeline) > 1 else {}
        return first["$match"], list(second.get("$sort", {}).items())


@dataclass(frozen=True)
class Query:
    """A named question: its parameters, how to build it, the index it is meant to use."""

    name: str
    question: str
    params: tuple[Param, ...]
    build: Callable[[dict[str, Any]], Spec]
    index: tuple[str, Keys]
    columns: tuple[str, ...]
    notes: str = ""


# ---------------------------------------------------------------- defaults from the data
def _first_person(db: Database, params: dict[str, Any]) -> str:
    person = db.users.find_one({"status": ACTIVE}, projection={"_id": 1}, sort=[("_id", 1)])
    person = person or db.users.find_one({}, projection={"_id": 1}, sort=[("_id", 1)])
    if person is None:
        raise QueryError("No people in the database yet: connect someone or run `make demo`")
    return person["_id"]


def _latest_date(db: Database, params: dict[str, Any]) -> str:
    """The person's latest snapshot date, or everyone's newest when the question has no person."""
    query = {"_id": params["user_id"]} if params.get("user_id") else {}
    user = db.users.find_one({**query, "last_snapshot_date": {"$type": "string"}},
                             projection={"last_snapshot_date": 1},
                             sort=[("last_snapshot_date", -1)])
    if user is None:
        raise QueryError("No snapshot taken yet" + (f" for {params['user_id']}" if query else ""))
    return user["last_snapshot_date"]


def _number_one_artist(db: Database, params: dict[str, Any]) -> str:
    top = db.top_lists.find_one({"_id": document_id(params["user_id"], params["snapshot_date"],
                                                    "artists", params["time_range"])})
    if not top or not top.get("items"):
        raise QueryError(f"{params['user_id']} has no {params['time_range']} top artist on "
                         f"{params['snapshot_date']}")
    return top["items"][0]["item_id"]


def _commonest_genre(db: Database, params: dict[str, Any]) -> str:
    rows = run_query(db, "top_genres", limit=1)
    if not rows:
        raise QueryError("No genres in anyone's top artists yet")
    return rows[0]["genre"]


def _window(params: dict[str, Any]) -> tuple[datetime, datetime]:
    """The instants [start, end) of the `days` calendar days (UTC) ending with `until`."""
    end = datetime.combine(date.fromisoformat(params["until"]) + timedelta(days=1), time(), UTC)
    return end - timedelta(days=params["days"]), end


def _since(params: dict[str, Any]) -> str:
    return (date.fromisoformat(params["until"]) - timedelta(days=params["days"] - 1)).isoformat()


USER = Param("user_id", "the person (Spotify user id); default: the first active person",
             _first_person, example="crimson.1389")
SNAPSHOT_DATE = Param("snapshot_date", "snapshot date YYYY-MM-DD; default: the latest",
                      _latest_date, example="2026-11-20")
UNTIL = Param("until", "last day of the window YYYY-MM-DD; default: the latest snapshot date",
              _latest_date, example="2026-11-20")
DAYS = Param("days", "days in the window, ending with `until`", 7, int, example=7)
DAYS_BACK = Param("days", "compare with the snapshot this many days earlier", 7, int, example=7)
TIME_RANGE = Param("time_range", "short_term, medium_term or long_term", "short_term",
                   example="short_term", choices=TIME_RANGES)
KIND = Param("kind", "artists or tracks", "artists", example="artists",
             choices=KINDS)


def _limit(default: int) -> Param:
    return Param("limit", "how many rows at most", default, int, example=default)


TOP_LISTS_BY_USER = ("top_lists", [("user_id", 1), ("snapshot_date", 1), ("kind", 1),
                                   ("time_range", 1)])
TOP_LISTS_BY_DATE = ("top_lists", [("snapshot_date", 1), ("kind", 1), ("time_range", 1)])
TOP_LISTS_BY_ITEM = ("top_lists", [("kind", 1), ("items.item_id", 1), ("snapshot_date", 1)])


# ---------------------------------------------------------------- the questions
def _top_list(p: dict[str, Any]) -> Spec:
    return Spec("top_lists", pipeline=[
        {"$match": {"user_id": p["user_id"], "snapshot_date": p["snapshot_date"],
                    "kind": p["kind"], "time_range": p["time_range"]}},
        {"$unwind": "$items"},
        {"$match": {"items.rank": {"$lte": p["limit"]}}},
        {"$project": {"_id": 0, "rank": "$items.rank", "name": "$items.name",
                      "artist_names": "$items.artist_names", "genres": "$items.genres"}},
        {"$sort": {"rank": 1}},
    ])


def _shares_my_number_one(p: dict[str, Any]) -> Spec:
    return Spec("top_lists", pipeline=[
        {"$match": {"kind": "artists", "items.item_id": p["artist_id"],
                    "snapshot_date": p["snapshot_date"], "user_id": {"$ne": p["user_id"]}}},
        {"$unwind": "$items"},
        {"$match": {"items.item_id": p["artist_id"]}},
        {"$group": {"_id": "$user_id", "artist": {"$first": "$items.name"},
                    "best_rank": {"$min": "$items.rank"}, "lists": {"$sum": 1}}},
        {"$project": {"_id": 0, "user_id": "$_id", "artist": 1, "best_rank": 1, "lists": 1}},
        {"$sort": {"best_rank": 1, "lists": -1, "user_id": 1}},
    ])


def _new_in_top10(p: dict[str, Any]) -> Spec:
    before = (date.fromisoformat(p["snapshot_date"]) - timedelta(days=p["days"])).isoformat()
    now = p["snapshot_date"]
    return Spec("top_lists", pipeline=[
        {"$match": {"user_id": p["user_id"], "snapshot_date": {"$in": [before, now]},
                    "kind": "artists", "time_range": p["time_range"]}},
        {"$unwind": "$items"},
        {"$match": {"items.rank": {"$lte": 10}}},
        {"$group": {"_id": "$items.item_id", "name": {"$first": "$items.name"},
                    "rank": {"$max": {"$cond": [{"$eq": ["$snapshot_date", now]},
                                                "$items.rank", None]}},
                    "rank_before": {"$max": {"$cond": [{"$eq": ["$snapshot_date", before]},
                                                       "$items.rank", None]}}}},
        {"$match": {"rank": {"$ne": None}, "rank_before": None}},
        {"$project": {"_id": 0, "rank": 1, "name": 1, "artist_id": "$_id"}},
        {"$sort": {"rank": 1}},
    ])


def _most_played_tracks(p: dict[str, Any]) -> Spec:
    start, end = _window(p)
    return Spec("plays", pipeline=[
        {"$match": {"user_id": p["user_id"], "played_at": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": "$track_id", "track": {"$first": "$track_name"},
                    "artists": {"$first": "$artist_names"}, "plays": {"$sum": 1},
                    "last_played": {"$max": "$played_at"}}},
        {"$sort": {"plays": -1, "last_played": -1, "_id": 1}},
        {"$limit": p["limit"]},
        {"$project": {"_id": 0, "track_id": "$_id", "track": 1, "artists": 1, "plays": 1,
                      "last_played": 1}},
    ])


def _play_sources(p: dict[str, Any]) -> Spec:
    start, end = _window(p)
    imported = {"$or": [{"$ifNull": ["$from_extended", False]},
                        {"$ifNull": ["$from_account", False]}]}
    # plays the daily snapshot stored before the history room carry no flag: captured
    captured = {"$or": [{"$ifNull": ["$from_capture", False]}, {"$not": [imported]}]}
    return Spec("plays", pipeline=[
        {"$match": {"user_id": p["user_id"], "played_at": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": {"$dateToString": {"format": "%Y-%m-%d", "date": "$played_at"}},
                    "plays": {"$sum": 1},
                    "captured": {"$sum": {"$cond": [captured, 1, 0]}},
                    "imported": {"$sum": {"$cond": [imported, 1, 0]}}}},
        {"$project": {"_id": 0, "day": "$_id", "plays": 1, "captured": 1, "imported": 1,
                      "source": {"$cond": [{"$and": [{"$gt": ["$captured", 0]},
                                                     {"$gt": ["$imported", 0]}]}, "both",
                                           {"$cond": [{"$gt": ["$captured", 0]}, "capture",
                                                      "import"]}]}}},
        {"$sort": {"day": 1}},
    ])


def _listening_hours(p: dict[str, Any]) -> Spec:
    start, end = _window(p)
    return Spec("plays", pipeline=[
        {"$match": {"played_at": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": {"day": {"$dateToString": {"format": "%Y-%m-%d", "date": "$played_at"}},
                            "user_id": "$user_id"},
                    "plays": {"$sum": 1}, "milliseconds": {"$sum": "$duration_ms"}}},
        {"$project": {"_id": 0, "day": "$_id.day", "user_id": "$_id.user_id", "plays": 1,
                      "hours": {"$round": [{"$divide": ["$milliseconds", 3_600_000]}, 2]}}},
        {"$sort": {"day": 1, "user_id": 1}},
    ])


def _top_genres(p: dict[str, Any]) -> Spec:
    return Spec("top_lists", pipeline=[
        {"$match": {"snapshot_date": p["snapshot_date"], "kind": "artists",
                    "time_range": p["time_range"]}},
        {"$unwind": "$items"},
        {"$unwind": "$items.genres"},
        {"$group": {"_id": "$items.genres", "people": {"$addToSet": "$user_id"},
                    "artists": {"$addToSet": "$items.item_id"}}},
        {"$project": {"_id": 0, "genre": "$_id", "people": {"$size": "$people"},
                      "artists": {"$size": "$artists"}}},
        {"$sort": {"people": -1, "artists": -1, "genre": 1}},
        {"$limit": p["limit"]},
    ])


def _track_leaderboard(p: dict[str, Any]) -> Spec:
    return Spec("top_lists", pipeline=[
        {"$match": {"snapshot_date": p["snapshot_date"], "kind": "tracks",
                    "time_range": p["time_range"]}},
        {"$unwind": "$items"},
        {"$group": {"_id": "$items.item_id", "name": {"$first": "$items.name"},
                    "artists": {"$first": "$items.artist_names"}, "people": {"$sum": 1},
                    "best_rank": {"$min": "$items.rank"}, "mean_rank": {"$avg": "$items.rank"}}},
        {"$sort": {"people": -1, "best_rank": 1, "_id": 1}},
        {"$limit": p["limit"]},
        {"$project": {"_id": 0, "track_id": "$_id", "name": 1, "artists": 1, "people": 1,
                      "best_rank": 1, "mean_rank": {"$round": ["$mean_rank", 1]}}},
    ])


def _needs_reauth(p: dict[str, Any]) -> Spec:
    return Spec("users", filter={"status": NEEDS_REAUTH},
                projection={"display_name": 1, "reauth_reason": 1, "reauth_since": 1,
                            "last_snapshot_date": 1},
                sort=[("reauth_since", 1)])


def _failed_runs(p: dict[str, Any]) -> Spec:
    return Spec("runs",
                filter={"snapshot_date": {"$gte": _since(p), "$lte": p["until"]},
                        "status": {"$in": list(FAILED_RUN_STATUSES)}},
                projection={"_id": 0, "snapshot_date": 1, "status": 1, "user_id": 1,
                            "attempts": 1, "error": 1},
                sort=[("snapshot_date", -1), ("status", -1)])


def _api_calls_per_day(p: dict[str, Any]) -> Spec:
    return Spec("runs", pipeline=[
        {"$match": {"snapshot_date": {"$gte": _since(p), "$lte": p["until"]}}},
        {"$project": {"snapshot_date": 1, "calls": {"$objectToArray": "$api_calls"}}},
        {"$unwind": "$calls"},
        {"$group": {"_id": {"day": "$snapshot_date", "endpoint": "$calls.k"},
                    "calls": {"$sum": "$calls.v"}, "people": {"$sum": 1}}},
        {"$project": {"_id": 0, "day": "$_id.day", "endpoint": "$_id.endpoint", "calls": 1,
                      "people": 1}},
        {"$sort": {"day": 1, "endpoint": 1}},
    ])


def _run_history(p: dict[str, Any]) -> Spec:
    return Spec("runs", filter={"user_id": p["user_id"]},
                projection={"_id": 0, "snapshot_date": 1, "status": 1, "attempts": 1,
                            "api_call_total": 1, "duration_seconds": 1, "error": 1},
                sort=[("snapshot_date", -1)], limit=p["limit"])


def _artists_in_genre(p: dict[str, Any]) -> Spec:
    return Spec("artists", pipeline=[
        {"$match": {"genres": p["genre"]}},
        {"$project": {"_id": 0, "artist_id": "$_id", "name": 1, "genres": 1, "popularity": 1,
                      "last_seen_date": 1}},
        {"$sort": {"name": 1, "artist_id": 1}},
        {"$limit": p["limit"]},
    ])


def _tracks_by_artist(p: dict[str, Any]) -> Spec:
    return Spec("tracks", pipeline=[
        {"$match": {"artist_ids": p["artist_id"]}},
        {"$project": {"_id": 0, "track_id": "$_id", "name": 1, "artist_names": 1,
                      "duration_ms": 1, "last_seen_date": 1}},
        {"$sort": {"last_seen_date": -1, "name": 1, "track_id": 1}},
        {"$limit": p["limit"]},
    ])


ARTIST_OF_USER = Param("artist_id", "Spotify artist id; default: the person's #1 artist",
                       _number_one_artist, example="XsRF2HFQcuo0zTc9XNd3Cv")


def _today(db: Database, params: dict[str, Any]) -> str:
    return datetime.now(UTC).date().isoformat()


def _access_ending(p: dict[str, Any]) -> Spec:
    try:
        today = date.fromisoformat(p["today"])
    except ValueError:
        raise QueryError(f"access_ending: today must be a date like 2027-05-10, "
                         f"not {p['today']!r}") from None
    until = datetime.combine(today + timedelta(days=p["days"] + 1), time(), UTC)
    return Spec("users", filter={"status": ACTIVE, "refresh_token_expires_at": {"$lt": until}},
                projection={"display_name": 1, "consented_at": 1,
                            "refresh_token_expires_at": 1, "last_snapshot_date": 1},
                sort=[("refresh_token_expires_at", 1)])


QUERIES: dict[str, Query] = {query.name: query for query in (
    Query("top_list", "What are a person's current top 10 artists (or tracks) in a time range?",
          (USER, KIND, TIME_RANGE, _limit(10), SNAPSHOT_DATE), _top_list, TOP_LISTS_BY_USER,
          ("rank", "name", "artist_names", "genres")),
    Query("shares_my_number_one",
          "Who else has my #1 artist in one of their top artist lists?",
          (USER, TIME_RANGE, SNAPSHOT_DATE, ARTIST_OF_USER), _shares_my_number_one,
          TOP_LISTS_BY_ITEM,
          ("user_id", "artist", "best_rank", "lists"),
          notes="The artist id comes from `top_list` with `limit` 1 (the default does that)."),
    Query("new_in_top10",
          "Which artists entered a person's short-term top 10 in the last week?",
          (USER, TIME_RANGE, SNAPSHOT_DATE, DAYS_BACK), _new_in_top10, TOP_LISTS_BY_USER,
          ("rank", "name", "artist_id"),
          notes="Compares the snapshot with the one `days` earlier; without one, every artist "
                "counts as new."),
    Query("most_played_tracks", "What did a person play most in the last 7 days?",
          (USER, UNTIL, DAYS, _limit(10)), _most_played_tracks,
          ("plays", [("user_id", 1), ("played_at", -1)]),
          ("track", "artists", "plays", "last_played"),
          notes="Plays are what Spotify's recently-played list showed each day (at most 50 a "
                "day, none under 30 s)."),
    Query("play_sources_per_day",
          "Where do a person's plays come from, day by day: capture, import or both?",
          (USER, UNTIL, DAYS), _play_sources, ("plays", [("user_id", 1), ("played_at", -1)]),
          ("day", "source", "plays", "captured", "imported"),
          notes="A day missing from the answer has no plays stored (nowhere). The stored "
                "coverage is `listening_days` (one document per person-day, with `source` and "
                "`gap`), and `play_gaps` holds the windows the capture could not read: "
                "`python -m spotify_etl history coverage USER` combines them (docs/history.md)."),
    Query("listening_hours_per_day", "How many hours did each person listen, per day?",
          (UNTIL, DAYS), _listening_hours, ("plays", [("played_at", -1)]),
          ("day", "user_id", "plays", "hours"),
          notes="Hours add up the durations of the tracks played (a play counts from 30 s on, "
                "so this is an upper bound); days are UTC."),
    Query("top_genres", "Which genres are most common in people's top artists?",
          (TIME_RANGE, SNAPSHOT_DATE, _limit(10)), _top_genres, TOP_LISTS_BY_DATE,
          ("genre", "people", "artists")),
    Query("track_leaderboard", "Which tracks are in the most people's top lists?",
          (TIME_RANGE, SNAPSHOT_DATE, _limit(10)), _track_leaderboard, TOP_LISTS_BY_DATE,
          ("name", "artists", "people", "best_rank", "mean_rank")),
    Query("needs_reauth", "Who must reconnect their Spotify account, and why?",
          (), _needs_reauth, ("users", [("status", 1), ("reauth_since", 1)]),
          ("_id", "display_name", "reauth_reason", "reauth_since", "last_snapshot_date")),
    Query("failed_runs", "Which snapshots failed in the last 7 days, and why?",
          (UNTIL, DAYS), _failed_runs, ("runs", [("snapshot_date", 1), ("status", 1)]),
          ("snapshot_date", "status", "user_id", "attempts", "error")),
    Query("api_calls_per_day", "How many Spotify API calls did the pipeline make per endpoint "
          "and day?", (UNTIL, DAYS), _api_calls_per_day,
          ("runs", [("snapshot_date", 1), ("status", 1)]), ("day", "endpoint", "calls", "people"),
          notes="`POST /api/token` is a token refresh on Spotify's Accounts service."),
    Query("run_history", "What happened in a person's latest snapshot runs?",
          (USER, _limit(10)), _run_history, ("runs", [("user_id", 1), ("snapshot_date", -1)]),
          ("snapshot_date", "status", "attempts", "api_call_total", "duration_seconds", "error")),
    Query("artists_in_genre", "Which artists of a genre are in the catalogue?",
          (Param("genre", "a Spotify genre; default: the commonest in top artists",
                 _commonest_genre, example="r&b"), _limit(20)),
          _artists_in_genre, ("artists", [("genres", 1)]),
          ("artist_id", "name", "popularity", "last_seen_date")),
    Query("tracks_by_artist", "Which tracks of an artist has anyone's snapshot seen?",
          (USER, TIME_RANGE, SNAPSHOT_DATE, ARTIST_OF_USER, _limit(20)), _tracks_by_artist,
          ("tracks", [("artist_ids", 1)]), ("name", "artist_names", "duration_ms",
                                            "last_seen_date")),
    Query("access_ending", "Whose Spotify access ends in the next two weeks (or has ended)?",
          (Param("days", "how many days ahead to look", ACCESS_WARNING_DAYS, int,
                 example=ACCESS_WARNING_DAYS),
           Param("today", "the day to count from YYYY-MM-DD; default: today (UTC)", _today,
                 example="2027-05-10")),
          _access_ending, ("users", [("status", 1), ("refresh_token_expires_at", 1)]),
          ("_id", "display_name", "consented_at", "refresh_token_expires_at",
           "last_snapshot_date"),
          notes="Access ends six months after consent (`refresh_token_expires_at`); the person "
                "reconnects at the authorization helper. The daily snapshot lists them too."),
)}


# ---------------------------------------------------------------- running
def resolve_params(db: Database | None, query: Query, given: dict[str, Any],
                   *, example: bool = False) -> dict[str, Any]:
    """Fill in defaults (in declaration order, so later ones may use earlier ones); check types.

    With `example=True`, use the documented example values instead of the data (no db needed).
    """
    known = {param.name for param in query.params}
    unknown = sorted(set(given) - known)
    if unknown:
        raise QueryError(f"{query.name} has no parameter {', '.join(unknown)}; it takes: "
                         + (", ".join(sorted(known)) or "none"))
    params: dict[str, Any] = {}
    for param in query.params:
        value = given.get(param.name)
        if value is None:
            value = param.example if example else (
                param.default(db, params) if callable(param.default) else param.default)
        params[param.name] = _convert(query, param, value)
    return params


def _convert(query: Query, param: Param, value: Any) -> Any:
    try:
        value = param.type(value)
    except (TypeError, ValueError):
        raise QueryError(f"{query.name}: {param.name} must be a {param.type.__name__}, "
                         f"not {value!r}") from None
    if param.choices and value not in param.choices:
        raise QueryError(f"{query.name}: {param.name} must be one of {', '.join(param.choices)}")
    if param.name in ("snapshot_date", "until"):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise QueryError(f"{query.name}: {param.name} must be a date like 2026-11-20, "
                             f"not {value!r}") from None
    if param.type is int and value < 1:
        raise QueryError(f"{query.name}: {param.name} must be at least 1")
    return value


def get_query(name: str) -> Query:
    """Return a registered question by name."""
    try:
        return QUERIES[name]
    except KeyError:
        raise QueryError(f"No query named {name!r}; try: {', '.join(QUERIES)}") from None


def build(db: Database | None, name: str, *, example: bool = False, **given: Any) -> Spec:
    """Build a question's query with its parameters resolved."""
    query = get_query(name)
    return query.build(resolve_params(db, query, given, example=example))


def execute(db: Database, spec: Spec) -> list[dict[str, Any]]:
    """Run a built query and return its rows."""
    collection = db[spec.collection]
    if spec.pipeline is not None:
        return list(collection.aggregate(spec.pipeline))
    cursor = collection.find(spec.filter or {}, spec.projection)
    if spec.sort:
        cursor = cursor.sort(spec.sort)
    if spec.limit:
        cursor = cursor.limit(spec.limit)
    return list(cursor)


def run_query(db: Database, name: str, **params: Any) -> list[dict[str, Any]]:
    """Answer a named question: resolve its parameters, run it, return the rows."""
    return execute(db, build(db, name, **params))


def explain(db: Database, spec: Spec) -> dict[str, Any]:
    """Ask the server how it runs the query (its `explain` output)."""
    if spec.pipeline is not None:
        return db.command("aggregate", spec.collection, pipeline=spec.pipeline, explain=True)
    cursor = db[spec.collection].find(spec.filter or {}, spec.projection)
    if spec.sort:
        cursor = cursor.sort(spec.sort)
    if spec.limit:
        cursor = cursor.limit(spec.limit)
    return cursor.explain()


def plan_stages(explained: Any) -> set[str]:
    """Collect the stage names of every winning plan in an explain output."""
    stages: set[str] = set()

    def walk(node: Any, in_plan: bool) -> None:
        if isinstance(node, dict):
            if in_plan and isinstance(node.get("stage"), str):
                stages.add(node["stage"])
            for key, value in node.items():
                if key in ("rejectedPlans", "allPlansExecution"):
                    continue
                walk(value, in_plan or key in ("winningPlan", "queryPlan"))
        elif isinstance(node, list):
            for value in node:
                walk(value, in_plan)

    walk(explained, False)
    return stages


# ---------------------------------------------------------------- rendering for people
def _mongosh_value(value: Any) -> str:
    if isinstance(value, datetime):
        return f'ISODate("{value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}")'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_mongosh_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_mongosh_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key) else json.dumps(key)


def _python_value(value: Any) -> str:
    if isinstance(value, datetime):
        v = value.astimezone(UTC)
        return f"datetime({v.year}, {v.month}, {v.day}, tzinfo=UTC)" if v.time() == time() else (
            f"datetime({v.year}, {v.month}, {v.day}, {v.hour}, {v.minute}, tzinfo=UTC)")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_python_value(k)}: {_python_value(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_python_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_python_value(v) for v in value) + ")"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _stages(render: Callable[[Any], str], pipeline: list[dict[str, Any]]) -> str:
    return "[\n" + ",\n".join("  " + render(stage) for stage in pipeline) + "\n]"


def _call_text(spec: Spec, render: Callable[[Any], str],
               sort_form: Callable[[Any], Any]) -> str:
    target = f"db.{spec.collection}"
    if spec.pipeline is not None:
        return f"{target}.aggregate({_stages(render, spec.pipeline)})"
    args = render(spec.filter or {})
    if spec.projection:
        args += ", " + render(spec.projection)
    text = f"{target}.find({args})"
    if spec.sort:
        text += ".sort(" + render(sort_form(spec.sort)) + ")"
    if spec.limit:
        text += f".limit({spec.limit})"
    return text


def mongosh(spec: Spec) -> str:
    """Render a built query in mongosh syntax."""
    return _call_text(spec, _mongosh_value, dict)  # mongosh sorts by a document


def pymongo_code(spec: Spec) -> str:
    """Render a built query as pymongo code (`db` is a `pymongo.database.Database`)."""
    return _call_text(spec, _python_value, list)  # pymongo sorts by a list of pairs


def index_text(keys: Keys) -> str:
    """Render index keys as mongosh shows them: {user_id: 1, played_at: -1}."""
    return _mongosh_value(dict(keys))
