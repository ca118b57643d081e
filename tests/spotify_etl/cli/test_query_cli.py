"""`python -m spotify_etl query`: a table, JSON, the list, the query itself, clear errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from spotify_etl.cli import main


def test_query_prints_a_table(stored_env, dataset):
    result = CliRunner().invoke(main, ["query", "top_list", "-p", "limit=3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "What are a person's current top 10 artists (or tracks) in a time range?"
    assert lines[1].split() == ["rank", "name", "artist_names", "genres"]
    assert [line.split()[0] for line in lines[3:6]] == ["1", "2", "3"]
    assert lines[-1] == "(3 rows)"


def test_query_prints_json(stored_env, dataset):
    result = CliRunner().invoke(main, ["query", "failed_runs", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["user_id"] for r in rows} == {dataset["revoked"], dataset["failing"]}


def test_query_list_names_every_question(stored_env):
    from spotify_etl.queries.questions import QUERIES

    result = CliRunner().invoke(main, ["query", "--list"])
    assert result.exit_code == 0
    for name, query in QUERIES.items():
        assert f"{name}\n    {query.question}" in result.output
    assert "-p time_range=...  short_term, medium_term or long_term (default: short_term)" in (
        result.output)


def test_query_show_prints_the_query_and_its_index(stored_env, dataset):
    result = CliRunner().invoke(main, ["query", "run_history", "--show",
                                       "-p", f"user_id={dataset['failing']}"])
    assert result.exit_code == 0, result.output
    assert f'db.runs.find({{user_id: "{dataset["failing"]}"}}' in result.output
    assert "index: runs {user_id: 1, snapshot_date: -1}" in result.output


def test_query_errors_are_one_line(stored_env):
    result = CliRunner().invoke(main, ["query", "nope"])
    assert result.exit_code == 2 and "No query named 'nope'" in result.output
    result = CliRunner().invoke(main, ["query", "top_list", "-p", "limit"])
    assert result.exit_code == 2 and "'limit' is not NAME=VALUE" in result.output
    result = CliRunner().invoke(main, ["query", "top_list", "-p", "kind=albums"])
    assert result.exit_code == 2 and "kind must be one of artists, tracks" in result.output


def test_new_in_top10_warns_when_the_earlier_snapshot_is_missing_and_says_what_works(
        stored_env, dataset):
    from analyst_data import DAYS

    span = (DAYS[-1] - DAYS[0]).days
    fine = CliRunner().invoke(main, ["query", "new_in_top10", "-p", f"days={span}"])
    assert fine.exit_code == 0 and "Warning" not in fine.output
    missing = CliRunner().invoke(main, ["query", "new_in_top10", "-p", "days=30"])
    assert missing.exit_code == 0
    assert "Warning: no snapshot of" in missing.output
    assert "every artist in their top 10 counts as new" in missing.output
    assert f"Their earliest snapshot is {DAYS[0]}: try -p days={span}." in missing.output
