"""The batch-lookup refusal of development mode is asked once and remembered across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import requests
from cryptography.fernet import Fernet

from pipeline_env import use_sandbox
from spotify_etl.spotify.capabilities import BATCH_LOOKUPS, ApiMemory
from spotify_sandbox import SandboxServer

SNAPSHOT = """
import sys
from datetime import date
from spotify_etl.pipeline.snapshot import snapshot_batch
by_status = snapshot_batch(sys.argv[2:], date.fromisoformat(sys.argv[1]), run_id="r")["by_status"]
print("loaded", by_status.get("success", 0) + by_status.get("partial", 0))
"""


def test_a_second_process_does_not_ask_for_batch_lookups_again(data_dir, monkeypatch):
    from spotify_etl.local.sandbox import seed_users

    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    with SandboxServer(port=0, mode="development", seed=3, users=10) as srv:
        use_sandbox(monkeypatch, srv.url)
        people = [p["id"] for p in seed_users(srv.url, 2)]
        for day in ("2026-11-10", "2026-11-11"):  # two processes, as two Airflow tasks are
            done = subprocess.run([sys.executable, "-c", SNAPSHOT, day, *people],
                                  env=dict(os.environ), capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
            assert "loaded 2" in done.stdout, done.stdout
        counters = requests.get(f"{srv.url}/__sandbox/counters", timeout=5).json()
    assert counters["by_endpoint"].get("GET /v1/artists") == 1
    assert counters["by_endpoint"]["GET /v1/artists/{id}"] > 0


def test_a_refusal_is_trusted_for_a_week_then_asked_again(tmp_path):
    base = "https://api.spotify.com/v1/"
    then = datetime(2026, 11, 1, tzinfo=UTC)
    ApiMemory(tmp_path, now=then).remember_refused(base, BATCH_LOOKUPS)
    assert ApiMemory(tmp_path, now=then + timedelta(days=6)).refused(base, BATCH_LOOKUPS)
    assert not ApiMemory(tmp_path, now=then + timedelta(days=8)).refused(base, BATCH_LOOKUPS)
    assert not ApiMemory(tmp_path, now=then).refused("http://127.0.0.1:1/v1/", BATCH_LOOKUPS)


def test_an_unwritable_data_directory_remembers_in_this_process_only(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    memory = ApiMemory(blocker / "data")
    memory.remember_refused("http://sandbox.invalid/v1/", BATCH_LOOKUPS)
    assert ApiMemory(blocker / "data").refused("http://sandbox.invalid/v1/", BATCH_LOOKUPS)


def test_a_damaged_memory_file_means_ask_again(tmp_path):
    (tmp_path / "spotify-api.json").write_text("{not json")
    assert not ApiMemory(tmp_path).refused("https://api.spotify.com/v1/", BATCH_LOOKUPS)
