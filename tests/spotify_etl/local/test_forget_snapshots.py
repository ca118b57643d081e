"""`forget_snapshots`: the scale-out tests run the same day twice in one store and compare."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cryptography.fernet import Fernet

from spotify_etl.local.scaleout import forget_snapshots, store_settings
from spotify_etl.pipeline.extract import play_cursor_ms
from spotify_etl.storage import open_database

DAY = date(2026, 11, 12)


def test_forgetting_snapshots_sends_the_next_read_back_to_the_start(tmp_path):
    key = Fernet.generate_key().decode()
    settings = store_settings(tmp_path, key)
    played = datetime(2026, 11, 12, 20, 15, tzinfo=UTC)
    with open_database(settings) as db:
        db.users.insert_one({"_id": "ana", "display_name": "Ana", "status": "active",
                             "last_snapshot_date": DAY.isoformat(),
                             "plays_cursor_ms": int(played.timestamp() * 1000),
                             "plays_owner": "history", "capture": {"reads": 3}})
        db.plays.insert_one({"_id": "ana|2026-11-12T20:15:00", "user_id": "ana",
                             "played_at": played})
        db.top_lists.insert_one({"_id": "ana|2026-11-12|tracks|short_term", "user_id": "ana"})
        assert play_cursor_ms(db, "ana", DAY) is not None

    forget_snapshots(tmp_path, key)

    with open_database(settings) as db:
        # The person stays, as when they connected: a second run of the day reads every play.
        person = db.users.find_one({"_id": "ana"})
        assert person["display_name"] == "Ana"
        assert "plays_owner" not in person and "capture" not in person
        assert play_cursor_ms(db, "ana", DAY) is None
        assert db.plays.count_documents({}) == 0
        assert db.top_lists.count_documents({}) == 0
