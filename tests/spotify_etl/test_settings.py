from __future__ import annotations

from pathlib import Path

import pytest

from spotify_etl.settings import PROJECT_ROOT, SPOTIFY_API_BASE_URL, load_settings


def test_defaults_point_at_real_spotify_and_the_project_data_directory(monkeypatch):
    for name in ("SPOTIFY_API_BASE_URL", "SPOTIFY_ACCOUNTS_BASE_URL", "SPOTIFY_ETL_DATA_DIR",
                 "SPOTIFY_ETL_BATCH_SIZE", "SPOTIFY_ETL_TASTE_TWINS", "MONGODB_URI"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.api_base_url == SPOTIFY_API_BASE_URL == "https://api.spotify.com/v1/"
    assert settings.token_url == "https://accounts.spotify.com/api/token"
    assert settings.data_dir == PROJECT_ROOT / "data"
    assert settings.batch_size == 50 and settings.taste_twins is True
    assert settings.mongodb_uri is None


def test_the_api_url_gets_its_trailing_slash_and_empty_values_count_as_unset(monkeypatch):
    monkeypatch.setenv("SPOTIFY_API_BASE_URL", "http://127.0.0.1:8900/v1")
    monkeypatch.setenv("SPOTIFY_ETL_DATA_DIR", "/tmp/somewhere")
    monkeypatch.setenv("MONGODB_URI", "")
    settings = load_settings()
    assert settings.api_base_url == "http://127.0.0.1:8900/v1/"
    assert settings.data_dir == Path("/tmp/somewhere")
    assert settings.mongodb_uri is None


@pytest.mark.parametrize("value", ["off", "0", "false", "No"])
def test_taste_twins_can_be_switched_off(monkeypatch, value):
    monkeypatch.setenv("SPOTIFY_ETL_TASTE_TWINS", value)
    assert load_settings().taste_twins is False


def test_a_number_that_is_not_one_is_named(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_BATCH_SIZE", "fifty")
    with pytest.raises(ValueError, match="SPOTIFY_ETL_BATCH_SIZE must be a whole number"):
        load_settings()


def test_secrets_stay_out_of_the_settings_repr(monkeypatch):
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "very-secret")
    monkeypatch.setenv("MONGODB_URI", "mongodb://app:pw-secret@db:27017")
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", "key-secret")
    text = repr(load_settings())
    assert "very-secret" not in text and "pw-secret" not in text and "key-secret" not in text


def test_printed_commands_work_from_the_project_root_in_this_environment(monkeypatch, tmp_path):
    from spotify_etl.settings import command

    venv_python = PROJECT_ROOT / ".venv" / "bin" / "python"
    assert command("users", executable=str(venv_python)) == (
        ".venv/bin/python -m spotify_etl users")
    elsewhere = tmp_path / "bin" / "python"
    monkeypatch.setenv("PATH", "/nonexistent")
    assert command("diff", "a", "--days", "6", executable=str(elsewhere)) == (
        f"{elsewhere} -m spotify_etl diff a --days 6")
    elsewhere.parent.mkdir()
    elsewhere.write_text("#!/bin/sh\n")
    elsewhere.chmod(0o755)
    monkeypatch.setenv("PATH", str(elsewhere.parent))
    assert command("stats", executable=str(elsewhere)) == "python -m spotify_etl stats"
