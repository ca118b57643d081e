from __future__ import annotations

import pytest
import requests

from analytics_helpers import FIRST_DAY, LAST_DAY
from pipeline_env import use_sandbox
from spotify_etl.analytics import daily
from spotify_etl.analytics.groups import add_group
from spotify_etl.storage import open_database


@pytest.fixture(params=["extended", "development"])
def sandbox(request, stored, monkeypatch):
    """A sandbox in one API shape, with the stored people connected to it."""
    from spotify_sandbox import SandboxServer

    from spotify_etl.local.sandbox import seed_users

    with SandboxServer(port=0, users=50, seed=42, mode=request.param) as srv:
        use_sandbox(monkeypatch, srv.url)
        seed_users(srv.url, 3)
        yield srv


def _playlists(srv) -> list[dict]:
    return requests.get(f"{srv.url}/__sandbox/playlists", timeout=10).json()["playlists"]


def _mix_uris(day: str) -> list[str]:
    with open_database() as db:
        return [t["uri"] for t in db.mixes.find_one({"_id": f"friends|{day}"})["tracks"]]


def test_publishing_every_day_keeps_one_playlist_holding_the_latest_mix(stored, sandbox):
    with open_database() as db:
        add_group(db, "friends", stored, publish=True)
    for day in (FIRST_DAY, LAST_DAY):
        daily.run_mixes(day, length=120)  # over 100: one PUT, then a POST
        assert daily.run_publish(day)["published"] == {"friends": "published"}
    playlists = _playlists(sandbox)
    assert len(playlists) == 1
    latest = _mix_uris(LAST_DAY)
    assert len(latest) > 100 and playlists[0]["uris"] == latest
    assert playlists[0]["owner"] == stored[0] and playlists[0]["public"] is False
    with open_database() as db:
        group = db.groups.find_one({"_id": "friends"})
        mix = db.mixes.find_one({"_id": f"friends|{LAST_DAY}"})
    assert group["playlist_id"] == playlists[0]["id"] == mix["publish"]["playlist_id"]
    # A rerun of the same day does not call Spotify again.
    assert daily.run_publish(LAST_DAY)["published"] == {}
    # Reading it back works in both API shapes (`track` or `item`).
    from spotify_etl.analytics.publish import owner_source, playlist_uris
    from spotify_etl.settings import load_settings

    assert playlist_uris(owner_source(db, stored[0], load_settings()), group["playlist_id"]) == latest


def test_a_failed_publish_keeps_the_mix_and_is_retried_next_run(stored, sandbox):
    with open_database() as db:
        add_group(db, "friends", stored[:2], publish=True)
    day = LAST_DAY
    daily.run_mixes(day)
    requests.post(f"{sandbox.url}/__sandbox/faults", timeout=10,
                  json={"rate_limit": {"count": 20, "retry_after": 7200}})
    assert daily.run_publish(day)["published"] == {"friends": "failed"}
    with open_database() as db:
        mix = db.mixes.find_one({"_id": f"friends|{day}"})
    assert mix["length"] == 50 and mix["publish"]["status"] == "failed"
    assert "RateLimited" in mix["publish"]["error"]
    requests.delete(f"{sandbox.url}/__sandbox/faults", timeout=10)
    daily.run_mixes(day)  # the next run recomputes the same mix: its failed state stays
    assert daily.run_publish(day)["published"] == {"friends": "published"}
    playlists = _playlists(sandbox)
    assert len(playlists) == 1 and playlists[0]["uris"] == _mix_uris(day)
    with open_database() as db:
        assert db.mixes.find_one({"_id": f"friends|{day}"})["publish"]["attempts"] == 2


def test_a_deleted_playlist_is_recreated_once(stored, sandbox):
    with open_database() as db:
        add_group(db, "friends", stored[:2], publish=True)
        db.groups.update_one({"_id": "friends"}, {"$set": {"playlist_id": "0" * 22}})
    daily.run_mixes(LAST_DAY)
    assert daily.run_publish(LAST_DAY)["published"] == {"friends": "published"}
    assert len(_playlists(sandbox)) == 1


def test_groups_without_publishing_are_not_published(stored, sandbox):
    with open_database() as db:
        add_group(db, "friends", stored[:2], publish=False)
    daily.run_mixes(LAST_DAY)
    assert daily.run_publish(LAST_DAY)["published"] == {}
    assert _playlists(sandbox) == []
