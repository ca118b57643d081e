"""`python -m spotify_etl history`: import with a progress bar, coverage, lifetime, errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from click.testing import CliRunner

from spotify_etl.cli import main


def _export(tmp_path, user: int = 2, days: int = 3) -> str:
    from spotify_sandbox.exports import write_export
    from spotify_sandbox.world import World

    path = tmp_path / "my_spotify_data.zip"
    write_export(World(seed=42, users=50), user, str(path), until=dt.date(2026, 11, 10),
                 days=days)
    return str(path)


def _person(user_id: str) -> None:
    from spotify_etl.storage import database

    database().users.insert_one({"_id": user_id, "status": "active"})


def test_import_shows_progress_and_a_report_then_coverage_and_lifetime(data_dir, tmp_path):
    from spotify_sandbox.world import World

    user_id = World(seed=42, users=50).users[2].id
    _person(user_id)
    path = _export(tmp_path)
    result = CliRunner().invoke(main, ["history", "import", path,
                                                       "--user", user_id])
    assert result.exit_code == 0, result.output + result.stderr
    assert "Checked 3 history file(s)" in result.stderr and "Importing" in result.stderr
    assert f"for {user_id} (2026-11-08 to 2026-11-10)" in result.stdout
    again = CliRunner().invoke(main, ["history", "import", path, "--user", user_id, "--json"])
    assert json.loads(again.stdout)["plays_new"] == 0

    days = CliRunner().invoke(main, ["history", "coverage", user_id, "--days"])
    assert days.exit_code == 0, days.output
    lines = days.output.splitlines()
    assert [line.split()[:2] for line in lines[2:5]] == [
        ["2026-11-08", "import"], ["2026-11-09", "import"], ["2026-11-10", "import"]]
    assert "Holes: none" in days.output
    wider = CliRunner().invoke(main, ["history", "coverage", user_id, "--from", "2026-11-06",
                                      "--json"])
    summary = json.loads(wider.output)["summary"]
    assert summary["none"] == 2 and summary["holes"] == [["2026-11-06", "2026-11-07"]]

    figures = CliRunner().invoke(main, ["history", "lifetime", user_id, "--top", "3"])
    assert figures.exit_code == 0, figures.output
    assert "skip rate (extended history):" in figures.output
    assert "top artists of all time (first and last play):" in figures.output


def test_a_foreign_file_fails_with_the_problem_and_imports_nothing(data_dir, tmp_path):
    _person("alice")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Spotify Account Data/StreamingHistory_music_0.json",
                         json.dumps([{"endTime": "soon", "artistName": "A", "trackName": "B",
                                      "msPlayed": 1}]))
    path = tmp_path / "broken.zip"
    path.write_bytes(buffer.getvalue())
    result = CliRunner().invoke(main, ["history", "import", str(path),
                                                       "--user", "alice"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Nothing was imported: StreamingHistory_music_0.json row 1:")
    from spotify_etl.storage import database

    assert database().plays.count_documents({}) == 0
