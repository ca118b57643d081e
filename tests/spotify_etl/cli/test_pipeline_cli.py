"""`python -m spotify_etl` users, stats, keygen, and the sandbox forwarded to its own CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner
from cryptography.fernet import Fernet

from spotify_etl.cli import main
from spotify_etl.storage import database


def test_users_without_anyone_connected_says_how_to_connect(data_dir):
    result = CliRunner().invoke(main, ["users"])
    assert result.exit_code == 0 and "No one is connected yet" in result.output


def test_users_lists_people_as_a_table_and_as_json(data_dir):
    database().users.insert_one({"_id": "alice", "display_name": "Alice", "status": "active",
                                 "refresh_token_expires_at": datetime(2027, 5, 1, tzinfo=UTC)})
    table = CliRunner().invoke(main, ["users"])
    assert table.exit_code == 0
    assert "alice" in table.output and "2027-05-01" in table.output
    rows = json.loads(CliRunner().invoke(main, ["users", "--json"]).output)
    assert rows[0]["user_id"] == "alice" and rows[0]["status"] == "active"


def test_stats_counts_documents_and_snapshot_dates(data_dir):
    db = database()
    db.users.insert_many([{"_id": "a", "status": "active"}, {"_id": "b", "status": "active"}])
    db.top_lists.insert_many([{"_id": "a|2026-11-20|x", "snapshot_date": "2026-11-20"},
                              {"_id": "a|2026-11-21|x", "snapshot_date": "2026-11-21"}])
    figures = json.loads(CliRunner().invoke(main, ["stats", "--json"]).output)
    assert figures["collections"]["users"] == 2 and figures["collections"]["top_lists"] == 2
    assert figures["snapshot_dates"] == ["2026-11-20", "2026-11-21"]
    assert figures["users_by_status"] == {"active": 2}
    text = CliRunner().invoke(main, ["stats"]).output
    assert "Snapshot dates: 2 (2026-11-20 .. 2026-11-21)" in text and "active 2" in text


def test_keygen_prints_a_usable_fernet_key():
    key = CliRunner().invoke(main, ["keygen"]).output.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_the_sandbox_command_is_the_sandbox_s_own_cli():
    result = CliRunner().invoke(main, ["sandbox", "--help"])
    assert result.exit_code == 0
    assert "--mode [extended|development]" in result.output and "--seed" in result.output
    bad = CliRunner().invoke(main, ["sandbox", "--mode", "nonsense"])
    assert bad.exit_code == 2 and "nonsense" in bad.output


def test_run_refuses_a_date_that_is_not_one():
    result = CliRunner().invoke(main, ["run", "--date", "2026-13-01"])
    assert result.exit_code == 2 and "is not a date like" in result.output


def test_run_for_an_unknown_person_says_so_in_one_line_without_starting_airflow(data_dir):
    database().users.insert_one({"_id": "alice", "display_name": "Alice", "status": "active"})
    result = CliRunner().invoke(main, ["run", "--user", "nosuch", "--user", "alice"])
    assert result.exit_code == 2
    assert "Unknown user id(s): nosuch. List people with `" in result.output
    assert "-m spotify_etl users`" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1



def test_users_shows_consent_and_when_access_ends_marking_the_next_two_weeks(data_dir):
    from datetime import timedelta

    now = datetime.now(UTC)
    database().users.insert_many([
        {"_id": "soon", "display_name": "Soon", "status": "active",
         "consented_at": now - timedelta(days=175),
         "refresh_token_expires_at": now + timedelta(days=7, hours=1)},
        {"_id": "later", "display_name": "Later", "status": "active",
         "consented_at": now - timedelta(days=10),
         "refresh_token_expires_at": now + timedelta(days=172)}])
    text = CliRunner().invoke(main, ["users"]).output
    header = text.splitlines()[0].split()
    assert header == ["user_id", "display_name", "status", "reason", "consented",
                      "access_ends", "last_snapshot_date"]
    soon = next(line for line in text.splitlines() if line.startswith("soon"))
    later = next(line for line in text.splitlines() if line.startswith("later"))
    assert (now - timedelta(days=175)).date().isoformat() in soon
    assert "(in 7 d: reconnect)" in soon and "reconnect" not in later
    rows = {r["user_id"]: r for r in json.loads(CliRunner().invoke(main, ["users", "--json"]
                                                                    ).output)}
    assert rows["soon"]["days_left"] == 7 and rows["later"]["days_left"] == 172


def test_users_email_keeps_a_reminder_address_encrypted_and_refuses_bad_input(data_dir,
                                                                             monkeypatch):
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.settings import load_settings

    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    store = TokenStore(database(), load_settings())
    store.save_user({"id": "alice", "display_name": "Alice"},
                    {"refresh_token": "AQ", "access_token": None, "expires_at": 0})
    done = CliRunner().invoke(main, ["users", "--email", "alice", "alice@example.org"])
    assert done.exit_code == 0 and "will be reminded" in done.output
    assert "alice@example.org" not in done.output
    assert store.contact("alice") == "alice@example.org"
    bad = CliRunner().invoke(main, ["users", "--email", "alice", "not an address"])
    assert bad.exit_code == 2 and "not an e-mail address" in bad.output
    nobody = CliRunner().invoke(main, ["users", "--email", "bob", "bob@example.org"])
    assert nobody.exit_code == 2 and "No one with the user id bob" in nobody.output
    assert CliRunner().invoke(main, ["users", "--email", "alice", ""]).exit_code == 0
    assert store.contact("alice") is None
