"""`$jsonSchema` validators for every collection, as `docs/data-model.md` describes them.

`apply_validators(db)` installs them on a MongoDB server (idempotent, `collMod` or
`create_collection`). `validate_document` checks a document against the same schema in pure
Python (jsonschema), so tests can hold the pipeline's real output to them.
"""

from __future__ import annotations

import datetime as _dt
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from spotify_etl.constants import KINDS, RUN_STATUSES, TIME_RANGES, TOP_LIMIT, USER_STATUSES

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)


# Building blocks. Python ints are stored as int32 when they fit, int64 otherwise.
STRING = {"bsonType": "string"}
DATE = {"bsonType": "date"}
INT = {"bsonType": ["int", "long"]}
DAY = {"bsonType": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
STRINGS = {"bsonType": "array", "items": {"bsonType": "string"}}
NAMES = {"bsonType": "array", "items": {"bsonType": ["string", "null"]}}
IMAGES = {"bsonType": "array", "items": {
    "bsonType": "object", "required": ["url"],
    "properties": {"url": STRING, "height": {"bsonType": ["int", "long", "null"]},
                   "width": {"bsonType": ["int", "long", "null"]}}}}
COUNTS = {"bsonType": "object", "additionalProperties": INT}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null besides the schema's own type(s)."""
    kinds = schema["bsonType"]
    kinds = list(kinds) if isinstance(kinds, list) else [kinds]
    return {**schema, "bsonType": kinds + ["null"]}


def _collection(title: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"bsonType": "object", "title": title, "required": ["_id", *required],
            "additionalProperties": False, "properties": {"_id": STRING, **properties}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "users": _collection(
        "One connected Spotify account (no secrets)",
        ["display_name", "status", "consented_at", "refresh_token_expires_at", "created_at",
         "updated_at"],
        {"display_name": nullable(STRING), "account_id": nullable(STRING),
         "status": {"enum": list(USER_STATUSES)}, "reauth_reason": STRING, "reauth_since": DATE,
         "consented_at": DATE, "refresh_token_expires_at": DATE, "last_snapshot_date": DAY,
         "plays_cursor_ms": INT,
         # listening history (docs/history.md): who owns the plays, the capture's state
         "plays_owner": {"enum": ["history"]},
         "capture": {"bsonType": "object", "properties": {
             "profile": {"bsonType": "array", "items": {"bsonType": ["double", "int", "long"]}},
             "peak": {"bsonType": "array", "items": {"bsonType": ["double", "int", "long"]}},
             "first_read_at": nullable(DATE), "last_read_at": nullable(DATE),
             "next_due_at": nullable(DATE), "reads": INT,
             "full_pages": INT, "gaps": INT, "busiest_day": INT}},
         "history_import": {"bsonType": "object"},
         "history_lock": {"bsonType": "object"},  # one writer of their plays at a time
         "history_spans": {"bsonType": "array", "items": {"bsonType": "array", "items": DAY}},
         "created_at": DATE, "updated_at": DATE}),
    "tokens": _collection(
        "A user's Fernet-encrypted token info", ["token", "updated_at"],
        {"token": STRING, "updated_at": DATE,
         # where to remind them before access ends (Fernet ciphertext), and for which end date
         # the reminder went out
         "contact": STRING, "access_reminder_for": DAY}),
    "artists": _collection(
        "An artist's latest known metadata", ["name", "uri", "last_seen_date"],
        {"name": STRING, "genres": STRINGS, "images": IMAGES, "popularity": nullable(INT),
         "followers": nullable(INT), "uri": STRING, "details_as_of": DAY,
         "last_seen_date": DAY}),
    "albums": _collection(
        "An album's latest known metadata", ["name", "artist_ids", "last_seen_date"],
        {"name": nullable(STRING), "album_type": nullable(STRING),
         "release_date": nullable(STRING),
         "release_date_precision": {"enum": ["year", "month", "day", None]},
         "total_tracks": nullable(INT), "artist_ids": STRINGS, "images": IMAGES,
         "uri": nullable(STRING), "last_seen_date": DAY}),
    "tracks": _collection(
        "A track's latest known metadata",
        ["name", "artist_ids", "artist_names", "last_seen_date"],
        {"name": STRING, "artist_ids": STRINGS, "artist_names": NAMES,
         "album_id": nullable(STRING), "duration_ms": nullable(INT),
         "explicit": {"bsonType": ["bool", "null"]}, "isrc": nullable(STRING),
         "popularity": nullable(INT), "track_number": nullable(INT),
         "disc_number": nullable(INT), "uri": nullable(STRING), "last_seen_date": DAY}),
    "top_lists": _collection(
        "One top list (artists or tracks, one time range) of one person on one day",
        ["user_id", "snapshot_date", "kind", "time_range", "item_count", "items"],
        {"user_id": STRING, "snapshot_date": DAY, "kind": {"enum": list(KINDS)},
         "time_range": {"enum": list(TIME_RANGES)},
         "item_count": {**INT, "minimum": 0, "maximum": TOP_LIMIT},
         "items": {"bsonType": "array", "maxItems": TOP_LIMIT, "items": {
             "bsonType": "object", "additionalProperties": False,
             "required": ["rank", "item_id", "name", "artist_ids", "artist_names"],
             "properties": {"rank": {"bsonType": "int", "minimum": 1, "maximum": TOP_LIMIT},
                            "item_id": STRING, "name": STRING, "artist_ids": STRINGS,
                            "artist_names": NAMES, "genres": nullable(STRINGS)}}}}),
    "plays": _collection(
        "One play of one person",
        ["user_id", "played_at", "track_id", "track_name", "artist_ids", "artist_names"],
        {"user_id": STRING, "played_at": DATE, "track_id": nullable(STRING),
         "track_name": STRING, "artist_ids": STRINGS, "artist_names": NAMES,
         "album_id": nullable(STRING), "duration_ms": nullable(INT),
         "context_type": nullable(STRING), "context_uri": nullable(STRING),
         # listening history (docs/history.md): where the play is known from, how precisely
         "precision": {"enum": ["millisecond", "second", "minute"]},
         "from_capture": {"bsonType": "bool"}, "from_extended": {"bsonType": "bool"},
         "from_account": {"bsonType": "bool"}, "album_name": nullable(STRING),
         "ms_played": nullable(INT), "skipped": {"bsonType": ["bool", "null"]},
         "reason_start": nullable(STRING), "reason_end": nullable(STRING),
         "shuffle": {"bsonType": ["bool", "null"]}, "offline": {"bsonType": ["bool", "null"]},
         "platform": nullable(STRING), "conn_country": nullable(STRING)}),
    "listening_days": _collection(
        "One person's plays of one day, compact, with where each is known from (coverage)",
        ["user_id", "day", "plays", "play_count", "source"],
        {"user_id": STRING, "day": DAY,
         # [end ms, precision, track id, name key, play _id, sources (c/e/a), ms played]
         "plays": {"bsonType": "array", "items": {"bsonType": "array"}},
         "play_count": INT, "ms_played": INT, "from_capture": INT, "from_extended": INT,
         "from_account": INT, "source": {"enum": ["capture", "import", "both", "none"]},
         "gap": {"bsonType": "bool"}, "extended_rows": INT, "extended_skipped": INT,
         "account_short_rows": INT}),
    "play_gaps": _collection(
        "A window recently played could no longer reach: plays lost unless an export has them",
        ["user_id", "start", "end", "minutes", "detected_at"],
        {"user_id": STRING, "start": DATE, "end": DATE,
         "minutes": {"bsonType": ["double", "int", "long"]}, "detected_at": DATE}),
    "spoken_plays": _collection(
        "A podcast episode or audiobook chapter from a data export (kept apart from music)",
        ["user_id", "kind", "ms_played"],
        {"user_id": STRING, "kind": {"enum": ["episode", "audiobook"]},
         "title": nullable(STRING), "show": nullable(STRING), "ms_played": INT,
         "ended_at": DATE, "ended_minute": DATE, "uri": nullable(STRING),
         "audiobook_uri": nullable(STRING), "platform": nullable(STRING),
         "from_extended": {"bsonType": "bool"}, "from_account": {"bsonType": "bool"}}),
    "quarantine": _collection(
        "An item Spotify sent that could not be used, kept raw with the reason",
        ["user_id", "snapshot_date", "source", "position", "reason", "item"],
        {"user_id": STRING, "snapshot_date": DAY,
         "source": {"bsonType": "string", "pattern": r"^(plays|top:(artists|tracks):\w+)$"},
         "position": {**INT, "minimum": 1}, "reason": {"enum": ["null", "malformed"]},
         "item": {}}),
    "runs": _collection(
        "What the pipeline did for one person on one snapshot date",
        ["user_id", "snapshot_date", "run_id", "status", "attempts", "api_calls",
         "api_call_total", "counts", "dropped", "started_at", "finished_at", "error"],
        {"user_id": STRING, "snapshot_date": DAY, "run_id": STRING,
         "status": {"enum": list(RUN_STATUSES)}, "attempts": {**INT, "minimum": 1},
         "api_calls": COUNTS, "api_call_total": {**INT, "minimum": 0}, "counts": COUNTS,
         "dropped": COUNTS, "duration_seconds": {"bsonType": ["double", "int", "long"]},
         "transform_load_seconds": {"bsonType": ["double", "int", "long"]},
         "started_at": DATE, "finished_at": DATE, "error": nullable(STRING),
         "last_attempt": {"bsonType": "object", "required": ["run_id", "status", "at"],
                          "properties": {"run_id": STRING, "status": {"enum": list(RUN_STATUSES)},
                                         "error": nullable(STRING), "at": DATE}}}),
}


def validator(collection: str) -> dict[str, Any]:
    """Return the collection's validator document (`{"$jsonSchema": ...}`)."""
    return {"$jsonSchema": SCHEMAS[collection]}


def apply_validators(db: Database, collections: list[str] | None = None) -> list[str]:
    """Install the validators (moderate level, reject on error); return the collections done.

    On a store without server-side validation (the embedded development store) nothing is
    installed and a log line says so.
    """
    from spotify_etl.storage.server import server_version

    if server_version(db) is None:
        log.info("Schema validators skipped: this store (%s) has no server-side validation",
                 type(db.client).__module__.split(".")[0])
        return []
    existing = {info["name"]: info.get("options", {}) for info in db.list_collections()}
    done, changed = [], []
    for name in collections or list(SCHEMAS):
        options = {"validator": validator(name), "validationLevel": "moderate",
                   "validationAction": "error"}
        current = existing.get(name)
        if current is None:
            db.create_collection(name, **options)
            changed.append(name)
        elif any(current.get(key) != value for key, value in options.items()):
            # collMod needs the dbAdmin role; unchanged validators never get here, so the
            # application's readWrite user can rerun this every day.
            db.command("collMod", name, **options)
            changed.append(name)
        done.append(name)
    log.info("Schema validators in place on %s collections (%s changed)", len(done),
             ", ".join(changed) or "none")
    return done


# ---------------------------------------------------------------- the same schemas, in Python
def _is_int32(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**31


def _is_int64(_checker: Any, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63


@lru_cache(maxsize=1)
def _validator_class():
    import jsonschema
    from bson import ObjectId

    checker = jsonschema.Draft7Validator.TYPE_CHECKER.redefine_many({
        "string": lambda _c, v: isinstance(v, str),
        "int": _is_int32,
        "long": _is_int64,
        "double": lambda _c, v: isinstance(v, float),
        "bool": lambda _c, v: isinstance(v, bool),
        "date": lambda _c, v: isinstance(v, _dt.datetime),
        "object": lambda _c, v: isinstance(v, dict),
        "array": lambda _c, v: isinstance(v, (list, tuple)),
        "null": lambda _c, v: v is None,
        "objectId": lambda _c, v: isinstance(v, ObjectId),
    })
    return jsonschema.validators.extend(jsonschema.Draft7Validator, type_checker=checker)


def _as_json_schema(schema: Any) -> Any:
    """Rename `bsonType` to `type`: the BSON type names are registered as types above."""
    if isinstance(schema, dict):
        return {("type" if key == "bsonType" else key): _as_json_schema(value)
                for key, value in schema.items()}
    if isinstance(schema, list):
        return [_as_json_schema(value) for value in schema]
    return schema


@lru_cache(maxsize=None)
def _compiled(collection: str):
    return _validator_class()(_as_json_schema(SCHEMAS[collection]))


def validate_document(collection: str, document: dict[str, Any]) -> list[str]:
    """List what is wrong with a document under the collection's schema (empty: valid)."""
    errors = _compiled(collection).iter_errors(document)
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
                  for e in errors)
