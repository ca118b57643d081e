from __future__ import annotations

from click.testing import CliRunner

from analytics_helpers import FIRST_DAY, LAST_DAY
from spotify_etl.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def days_with_data(first, last) -> list:
    """The days the store has top lists or plays of (counted here, not by the export)."""
    from datetime import UTC

    from spotify_etl.storage import open_database

    with open_database() as db:
        days = {d["snapshot_date"] for d in db.top_lists.find({})}
        days |= {(p["played_at"] if p["played_at"].tzinfo else p["played_at"].replace(
            tzinfo=UTC)).date().isoformat() for p in db.plays.find({})}
    return sorted(d for d in days if first.isoformat() <= d <= last.isoformat())


def test_export_backfills_every_stored_day_in_range_with_a_progress_bar(stored, tmp_path):
    lake = tmp_path / "lake"
    result = _run("export", "--from", FIRST_DAY.isoformat(), "--to", LAST_DAY.isoformat(),
                  str(lake))
    assert result.exit_code == 0, result.output
    expected = days_with_data(FIRST_DAY, LAST_DAY)
    assert len(expected) > 2  # plays of the days between the two snapshots count too
    assert f"Exporting {len(expected)} day(s) to {lake}" in result.output  # the bar (stderr)
    assert f"{FIRST_DAY} to {LAST_DAY}, {len(expected)} day(s)" in result.output
    for table in ("top_lists", "plays", "diffs"):
        days = sorted(p.name for p in (lake / f"table={table}").iterdir())
        assert days == [f"snapshot_date={d}" for d in expected]


def test_export_of_one_day_writes_only_that_day_and_hides_url_secrets(stored, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_LAKE_URL", f"file://{tmp_path}/lake?token=hush-hush-42")
    result = _run("export", "--from", LAST_DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "hush-hush-42" not in result.output
    assert [p.name for p in (tmp_path / "lake" / "table=plays").iterdir()] == [
        f"snapshot_date={LAST_DAY}"]


def test_export_of_a_range_without_snapshots_says_so_and_fails(stored, tmp_path):
    result = _run("export", "--from", "2020-01-01", "--to", "2020-01-31", str(tmp_path))
    assert result.exit_code == 1 and "nothing to export" in result.output


def test_a_backfill_also_exports_days_that_have_plays_but_no_snapshot(stored, tmp_path):
    from datetime import UTC, datetime, timedelta

    from spotify_etl.storage import open_database

    older = FIRST_DAY - timedelta(days=40)
    played_at = datetime.combine(older, datetime.min.time(), tzinfo=UTC) + timedelta(hours=21)
    with open_database() as db:
        db.plays.insert_one({"_id": f"{stored[0]}|imported", "user_id": stored[0],
                             "played_at": played_at, "track_id": "t-old",
                             "track_name": "An Old Song", "artist_ids": ["a-old"],
                             "artist_names": ["Somebody"], "album_id": None,
                             "duration_ms": 200000, "context_type": None, "context_uri": None})
    result = _run("export", str(tmp_path / "lake"))
    assert result.exit_code == 0, result.output
    expected = days_with_data(older, LAST_DAY)
    assert expected[0] == older.isoformat()
    assert f"{older} to {LAST_DAY}, {len(expected)} day(s)" in result.output
    days = sorted(p.name for p in (tmp_path / "lake" / "table=plays").iterdir())
    assert days == [f"snapshot_date={d}" for d in expected]
