"""When Spotify sends artists without `genres` (reports disagree on development mode), every
room degrades gracefully: the snapshot loads, taste match leaves the genre facet out, mixes are
built, and the genre questions answer "none yet" instead of failing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from pipeline_env import use_copy_of_store, use_embedded_store, use_sandbox
from spotify_sandbox import SandboxServer

DAY = date(2026, 11, 10)


@pytest.fixture(scope="module")
def bare_store(tmp_path_factory):
    """Three people snapshotted on two days by the real pipeline, artists without genres."""
    from spotify_etl.local.sandbox import seed_users
    from spotify_etl.pipeline.snapshot import snapshot_batch

    root = tmp_path_factory.mktemp("no-genres")
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as patch, \
            SandboxServer(port=0, mode="development", seed=7, users=20, genres=False) as srv:
        use_embedded_store(patch, root / "data", key)
        use_sandbox(patch, srv.url)
        people = sorted(p["id"] for p in seed_users(srv.url, 3))
        summaries = [snapshot_batch(people, day, run_id=f"r-{day}")
                     for day in (DAY - timedelta(days=7), DAY)]
    return {"data_dir": root / "data", "key": key, "people": people, "summaries": summaries}


@pytest.fixture
def bare(bare_store, tmp_path, monkeypatch):
    """A fresh copy of that store for one test; returns the people's ids."""
    use_copy_of_store(monkeypatch, bare_store["data_dir"], tmp_path / "data", bare_store["key"])
    return bare_store["people"]


def test_the_snapshot_loads_everyone_and_stores_empty_genres(bare_store, bare):
    from spotify_etl.storage import open_database
    from spotify_etl.storage.schemas import validate_document

    for summary in bare_store["summaries"]:  # loaded ("partial": a local file was dropped)
        assert set(summary["by_status"]) <= {"success", "partial"}
        assert sum(summary["by_status"].values()) == 3
    with open_database() as db:
        artists = list(db.artists.find())
        top = db.top_lists.find_one({"kind": "artists"})
    assert artists and all(a["genres"] == [] for a in artists)
    assert all(validate_document("artists", a) == [] for a in artists)
    assert top["items"] and all(item["genres"] == [] for item in top["items"])


def test_taste_match_leaves_the_genre_facet_out(bare):
    from spotify_etl.analytics import daily
    from spotify_etl.analytics.groups import add_group
    from spotify_etl.cli import main
    from spotify_etl.storage import open_database

    with open_database() as db:
        add_group(db, "trio", bare)
    daily.run_diffs(DAY)
    with open_database() as db:
        pair = daily.pair_document(db, bare[0], bare[1], DAY, "short_term")
    assert pair["status"] == "ok" and 0 <= pair["score"] <= 100
    assert pair["components"]["genres"] is None
    assert pair["genres"]["shared"] == []
    text = CliRunner().invoke(main, ["diff", bare[0], bare[1]])
    assert text.exit_code == 0, text.output
    assert "shared genres: none" in text.output


def test_mixes_are_built_without_genres(bare):
    from spotify_etl.analytics import daily
    from spotify_etl.analytics.groups import add_group
    from spotify_etl.storage import document_id, open_database

    with open_database() as db:
        add_group(db, "trio", bare)
    daily.run_mixes(DAY, group_names=["trio"])
    with open_database() as db:
        mix = db.mixes.find_one({"_id": document_id("trio", DAY)})
    assert mix["length"] == 50 and {c["user_id"] for c in mix["credits"]} == set(bare)


def test_genre_questions_say_there_are_none_yet(bare):
    from spotify_etl.cli import main
    from spotify_etl.queries.questions import QueryError, run_query
    from spotify_etl.storage import open_database

    with open_database() as db:
        assert run_query(db, "top_genres") == []
        with pytest.raises(QueryError, match="No genres"):
            run_query(db, "artists_in_genre")
        assert len(run_query(db, "top_list")) == 10
    answer = CliRunner().invoke(main, ["query", "artists_in_genre"])
    assert answer.exit_code == 2 and "No genres in anyone's top artists yet" in answer.output
    assert "Traceback" not in answer.output
