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
