from __future__ import annotations

from click.testing import CliRunner

from analytics_helpers import FIRST_DAY, LAST_DAY
from spotify_etl.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_export_backfills_every_stored_day_in_range_with_a_progress_bar(stored, tmp_path):
    lake = tmp_path / "lake"
    result = _run("export", "--from", FIRST_DAY.isoformat(), "--to", LAST_DAY.isoformat(),
                  str(lake))
    assert result.exit_code == 0, result.output
    assert f"Exporting 2 day(s) to {lake}" in result.output  # the bar's label (stderr)
    assert f"{FIRST_DAY} to {LAST_DAY}, 2 day(s)" in result.output
    days = sorted(p.name for p in (lake / "table=top_lists").iterdir())
    assert days == [f"snapshot_date={FIRST_DAY}", f"snapshot_date={LAST_DAY}"]


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
