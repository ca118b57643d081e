from __future__ import annotations

import json

from click.testing import CliRunner

from analytics_helpers import FIRST_DAY, LAST_DAY
from pipeline_env import use_sandbox
from spotify_etl.cli import main


def _run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_groups_diff_and_mix_commands_print_tables_and_json(stored):
    a, b, c = stored
    assert "publishing off" in _run("groups", "add", "trio", a, b, c).output
    assert "trio" in _run("groups", "list").output
    table = _run("diff", a, b, "--range", "short_term").output
    assert "Taste match of" in table and "short_term" in table and "together" in table
    pairs = json.loads(_run("diff", a, b, "--json").output)
    assert [d["time_range"] for d in pairs] == ["short_term", "medium_term", "long_term"]
    week = json.loads(_run("diff", a, "--days", "7", "--json").output)
    assert week["status"] == "ok" and week["compared_with"] == FIRST_DAY.isoformat()
    month = _run("diff", a, "--days", "30").output
    assert "Not enough history yet" in month
    ranges = json.loads(_run("diff", a, "--from", "short_term", "--to", "long_term",
                             "--json").output)
    assert ranges["to_range"] == "short_term" and ranges["from_range"] == "long_term"
    mix = _run("mix", "trio", "--length", "12")
    assert mix.exit_code == 0 and "12 of 12 tracks" in mix.output
    document = json.loads(_run("mix", "trio", "--json").output)
    assert document["length"] == 50 and document["snapshot_date"] == LAST_DAY.isoformat()
    assert "Removed group trio" in _run("groups", "remove", "trio").output


def test_diff_of_an_unknown_person_says_so_and_fails(stored):
    result = _run("diff", "nosuchuser")
    assert result.exit_code == 1
    assert "Unknown person nosuchuser" in result.output and "-m spotify_etl users" in result.output


def test_tables_name_people_the_same_way_everywhere(stored):
    from spotify_etl.people.directory import display_names
    from spotify_etl.storage import open_database

    _run("groups", "add", "trio", *stored)
    with open_database() as db:
        names = display_names(db, stored)
    mix = _run("mix", "trio").output
    pair = _run("diff", stored[0], stored[1]).output
    for user_id, name in names.items():
        assert f"{name} #1" in mix or f"{name} " in mix
        if name != user_id:  # shown by name, not by id, in the mix table and its credits
            assert user_id not in mix
    assert pair.startswith(f"Taste match of {names[stored[0]]} and {names[stored[1]]}")


def test_people_outside_a_shared_group_are_not_compared(stored):
    result = _run("diff", stored[0], stored[1])
    assert result.exit_code == 1 and "share no group" in result.output


def test_demo_report_shows_match_mix_week_and_one_published_playlist(stored, monkeypatch):
    from spotify_sandbox import SandboxServer

    from spotify_etl.local.demo_analytics import demo_report
    from spotify_etl.local.sandbox import seed_users

    with SandboxServer(port=0, users=50, seed=42) as srv:
        use_sandbox(monkeypatch, srv.url)
        seed_users(srv.url, 3)
        text = demo_report(stored, FIRST_DAY, LAST_DAY)
    assert "Taste match" in text and "Mix of demo" in text
    assert f"against {FIRST_DAY.isoformat()}" in text
    assert "1 playlist(s)" in text and "holds the newest 50-track mix: yes" in text
    # The suggested commands work from here, and the --days one finds the earlier snapshot.
    from spotify_etl.settings import command

    span = (LAST_DAY - FIRST_DAY).days
    suggested = command("diff", stored[0], "--days", str(span))
    assert suggested in text
    week = json.loads(_run(*suggested.split()[3:], "--json").output)
    assert week["status"] == "ok"
