"""Extraction: what one person's day reads from Spotify, and which artists need a lookup."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests
from cryptography.fernet import Fernet

from pipeline_env import use_sandbox
from spotify_etl.constants import KINDS, TIME_RANGES
from spotify_etl.pipeline.extract import artists_to_refresh, extract_user_day, newest_play_ms
from spotify_etl.people.tokens import TokenStore
from spotify_etl.settings import load_settings
from spotify_etl.spotify.client import SnapshotDateError, SpotifySource
from spotify_etl.storage import database
from spotify_sandbox import SandboxServer

DAY = date(2026, 11, 10)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(port=0, mode="development", seed=7, users=20) as server:
        yield server


@pytest.fixture
def source(sandbox, data_dir, monkeypatch):
    """A SpotifySource for the sandbox's user 1, as of DAY."""
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    use_sandbox(monkeypatch, sandbox.url)
    person = requests.post(f"{sandbox.url}/__sandbox/authorize",
                           json={"user_ids": [sandbox.world.users[1].id]},
                           timeout=10).json()["users"][0]
    settings = load_settings()
    store = TokenStore(database(settings), settings)
    store.save_user({"id": person["id"]}, {"refresh_token": person["refresh_token"],
                                           "expires_at": 0, "scope": person["scope"]})
    return SpotifySource(settings, store.cache_handler(person["id"]), as_of=DAY)


def test_a_day_reads_six_full_top_lists_and_one_page_of_plays(source):
    raw = extract_user_day(source, DAY, list(TIME_RANGES), after_ms=None)
    assert set(raw.top) == {(kind, time_range) for kind in KINDS for time_range in TIME_RANGES}
    assert all(len(items) == 50 for items in raw.top.values())
    assert 0 < len(raw.plays) <= 50
    assert source.api_calls == 7  # 6 top lists + 1 page of recently played


def test_only_the_requested_time_ranges_are_read(source):
    raw = extract_user_day(source, DAY, ["short_term"], after_ms=None)
    assert set(raw.top) == {("artists", "short_term"), ("tracks", "short_term")}
    assert source.api_calls == 3


def test_a_date_the_source_does_not_answer_for_is_refused(source):
    source.session.headers["X-Sandbox-Date"] = "2026-11-09"  # it answers as of another day
    with pytest.raises(SnapshotDateError, match="2026-11-09"):
        extract_user_day(source, DAY, list(TIME_RANGES), after_ms=None)


def test_artists_missing_or_stale_are_refreshed_and_fresh_ones_are_not(data_dir):
    db = database()
    db.artists.insert_many([
        {"_id": "fresh", "details_as_of": "2026-11-01"},
        {"_id": "stale", "details_as_of": "2026-09-01"},
        {"_id": "never"},  # known by name only, from a track
    ])
    wanted = {"fresh", "stale", "never", "unknown"}
    assert artists_to_refresh(db, wanted, DAY, refresh_days=30) == ["never", "stale", "unknown"]
    assert artists_to_refresh(db, set(), DAY, refresh_days=30) == []


def test_the_play_cursor_is_the_newest_stored_play_in_milliseconds(data_dir):
    db = database()
    assert newest_play_ms(db, "alice") is None
    newest = datetime(2026, 11, 10, 8, 30, 1, 500000, tzinfo=UTC)
    db.plays.insert_many([
        {"_id": "a1", "user_id": "alice", "played_at": datetime(2026, 11, 9, tzinfo=UTC)},
        {"_id": "a2", "user_id": "alice", "played_at": newest},
        {"_id": "b1", "user_id": "bob", "played_at": datetime(2026, 11, 11, tzinfo=UTC)},
    ])
    assert newest_play_ms(db, "alice") == int(newest.timestamp() * 1000)
