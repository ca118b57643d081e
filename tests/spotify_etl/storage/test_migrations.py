"""Folding the per-rank `top_items` of older stores into `top_lists`: lossless and idempotent."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from payloads import recently_played, top_artists, top_tracks
from spotify_etl.analytics.repository import top_list
from spotify_etl.cli import main
from spotify_etl.pipeline.transform import records, transform_user_day
from spotify_etl.storage import database, document_id, ensure_indexes
from spotify_etl.storage import migrations
from spotify_etl.storage.migrations import migrate_top_items, pending

DAYS = (date(2026, 11, 20), date(2026, 11, 21))
PEOPLE = ("alice", "bob")


def _old_store(db) -> list[dict]:
    """Write top lists exactly as the loader before the bucket pattern did: one per rank."""
    ensure_indexes(db)
    rows = []
    for user_id in PEOPLE:
        for day in DAYS:
            top = {("tracks", "short_term"): top_tracks(), ("artists", "long_term"): top_artists()}
            frame = transform_user_day(user_id, day, top, recently_played()).top_items
            for row in records(frame):
                rows.append({"_id": document_id(user_id, day, row["kind"], row["time_range"],
                                                row["rank"]), **row})
    db.top_items.insert_many(rows)
    db.top_items.create_index([("user_id", 1), ("snapshot_date", 1), ("kind", 1),
                               ("time_range", 1), ("rank", 1)])
    return rows


def _expected(rows, user_id, day, kind, time_range):
    fields = ("item_id", "rank", "name", "artist_ids", "artist_names", "genres")
    mine = [r for r in rows if (r["user_id"], r["snapshot_date"], r["kind"], r["time_range"])
            == (user_id, day.isoformat(), kind, time_range)]
    return [{f: (r[f] if not (f == "genres" and kind == "tracks") else None) for f in fields}
            for r in sorted(mine, key=lambda r: r["rank"])]


def test_every_old_rank_lands_in_its_list_and_the_old_collection_goes(data_dir):
    db = database()
    rows = _old_store(db)
    assert pending(db) == len(rows)
    done = migrate_top_items(db)
    assert done == {"lists_written": 8, "lists_kept": 0, "rows_removed": len(rows)}
    assert "top_items" not in db.list_collection_names() and pending(db) == 0
    for user_id in PEOPLE:
        for day in DAYS:
            for kind, time_range in (("tracks", "short_term"), ("artists", "long_term")):
                assert top_list(db, user_id, day, kind, time_range) == _expected(
                    rows, user_id, day, kind, time_range)
    document = db.top_lists.find_one({"_id": "alice|2026-11-20|tracks|short_term"})
    assert document["item_count"] == 3 and document["user_id"] == "alice"


def test_a_second_run_changes_nothing(data_dir):
    db = database()
    _old_store(db)
    migrate_top_items(db)
    before = sorted(db.top_lists.find(), key=lambda d: d["_id"])
    assert migrate_top_items(db) == {"lists_written": 0, "lists_kept": 0, "rows_removed": 0}
    assert sorted(db.top_lists.find(), key=lambda d: d["_id"]) == before


def test_a_list_the_new_pipeline_already_wrote_is_kept(data_dir):
    db = database()
    _old_store(db)
    newer = {"_id": "bob|2026-11-21|tracks|short_term", "user_id": "bob",
             "snapshot_date": "2026-11-21", "kind": "tracks", "time_range": "short_term",
             "item_count": 1, "items": [{"rank": 1, "item_id": "x", "name": "X",
                                         "artist_ids": [], "artist_names": []}]}
    db.top_lists.insert_one(newer)
    done = migrate_top_items(db)
    assert done["lists_kept"] == 1 and done["lists_written"] == 7
    assert db.top_lists.find_one({"_id": newer["_id"]}) == newer


def test_a_migration_stopped_half_way_finishes_on_the_next_run_without_loss(data_dir,
                                                                           monkeypatch):
    db = database()
    rows = _old_store(db)
    monkeypatch.setattr(migrations, "CHUNK", 3)
    calls = []

    def stop_after_first_chunk(handled):
        calls.append(handled)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate_top_items(db, progress=stop_after_first_chunk)
    assert db.top_lists.count_documents({}) == 3 and 0 < pending(db) < len(rows)
    migrate_top_items(db)
    assert db.top_lists.count_documents({}) == 8 and pending(db) == 0
    for user_id in PEOPLE:
        for day in DAYS:
            assert top_list(db, user_id, day, "artists", "long_term") == _expected(
                rows, user_id, day, "artists", "long_term")


def test_the_command_migrates_then_says_the_store_is_up_to_date(data_dir):
    _old_store(database())
    first = CliRunner().invoke(main, ["migrate"])
    assert first.exit_code == 0 and "8 top lists written" in first.output
    again = CliRunner().invoke(main, ["migrate"])
    assert again.exit_code == 0 and "up to date" in again.output
