"""Overlapping runs of the same people (two processes, two dates at once) and dates run out of
order lose nothing and mark nobody: the result equals one run after the other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
import requests
from cryptography.fernet import Fernet

from pipeline_env import use_embedded_store, use_sandbox
from spotify_etl.people.tokens import TokenStore
from spotify_etl.pipeline.snapshot import snapshot_batch
from spotify_etl.settings import load_settings
from spotify_etl.storage import database
from spotify_sandbox import SandboxServer

DAYS = (date(2026, 11, 10), date(2026, 11, 11))
RUN = """
import json, sys
from datetime import date
from spotify_etl.pipeline.snapshot import snapshot_batch
day = date.fromisoformat(sys.argv[1])
print(json.dumps(snapshot_batch(sys.argv[2].split(","), day, run_id="overlap-" + sys.argv[1])))
"""


def _connect(sandbox, data_dir, monkeypatch) -> list[str]:
    """A fresh store with four sandbox people connected to `sandbox` (rotation on)."""
    use_embedded_store(monkeypatch, data_dir, Fernet.generate_key().decode())
    use_sandbox(monkeypatch, sandbox.url)
    ids = [u.id for u in sandbox.world.users[1:5]]
    answer = requests.post(f"{sandbox.url}/__sandbox/authorize", json={"user_ids": ids},
                           timeout=10).json()["users"]
    store = TokenStore(database(), load_settings())
    for person in answer:
        store.save_user({"id": person["id"]}, {"refresh_token": person["refresh_token"],
                                               "expires_at": 0, "scope": person["scope"]})
    return ids


def _data() -> dict[str, list]:
    db = database()
    return {name: sorted(db[name].find(), key=lambda d: d["_id"])
            for name in ("top_lists", "plays", "quarantine")}


def _sandbox():
    # Extended mode: four people, and the same seed answers the same for every server.
    return SandboxServer(port=0, mode="extended", seed=5, users=20)


@pytest.fixture
def sequential(tmp_path, monkeypatch):
    """One date after the other: what overlapping runs must end up with."""
    with _sandbox() as sandbox:
        people = _connect(sandbox, tmp_path / "sequential", monkeypatch)
        for day in DAYS:
            snapshot_batch(people, day, run_id=f"seq-{day}")
        return _data()


def test_two_processes_on_two_dates_at_once_equal_one_after_the_other(sequential, tmp_path,
                                                                     monkeypatch):
    with _sandbox() as sandbox:
        people = _connect(sandbox, tmp_path / "overlap", monkeypatch)
        requests.post(f"{sandbox.url}/__sandbox/faults", json={"expire_access_tokens": True},
                      timeout=5)
        workers = [subprocess.Popen([sys.executable, "-c", RUN, day.isoformat(),
                                     ",".join(people)], env=dict(os.environ),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for day in DAYS]
        outcomes = [worker.communicate(timeout=240) for worker in workers]
        for worker, (out, err) in zip(workers, outcomes):
            assert worker.returncode == 0, err[-3000:]
            summary = json.loads(out.strip().splitlines()[-1])
            assert summary["by_status"].get("needs_reauth", 0) == 0
        assert {u["status"] for u in database().users.find()} == {"active"}
        assert _data() == sequential


def test_an_older_date_after_a_newer_one_loses_no_play(sequential, tmp_path, monkeypatch):
    with _sandbox() as sandbox:
        people = _connect(sandbox, tmp_path / "backwards", monkeypatch)
        for day in reversed(DAYS):
            snapshot_batch(people, day, run_id=f"back-{day}")
        assert _data()["plays"] == sequential["plays"]
        assert _data()["top_lists"] == sequential["top_lists"]


def test_a_refresh_token_another_run_just_replaced_is_swapped_not_marked(tmp_path, monkeypatch):
    from spotify_etl.spotify.client import SpotifySource

    with _sandbox() as sandbox:
        people = _connect(sandbox, tmp_path / "race", monkeypatch)
        settings = load_settings()
        handler = TokenStore(database(), settings).cache_handler(people[0])
        stored = handler.get_cached_token()
        # What this run read before another run refreshed and saved a new refresh token.
        handler._token_info = {**stored, "refresh_token": "AQ-replaced-meanwhile",
                               "expires_at": 0}
        source = SpotifySource(settings, handler, as_of=DAYS[0], sleep=lambda _: None)
        assert len(source.top_items("artists", "short_term")) == 50
        assert database().users.find_one({"_id": people[0]})["status"] == "active"
