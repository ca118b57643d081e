"""`concerts`, `similar`, `concerts-home` and `api-token` from the command line."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from click.testing import CliRunner

from spotify_etl.cli import main
from spotify_etl.concerts.service import today_utc


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_concerts_near_a_place_print_bins_with_reasons(concerts_env):
    person = concerts_env[0]
    result = _run("concerts", person, "--near", "52.52,13.405", "--radius", "30")
    assert result.exit_code == 0, result.output
    assert "Concert bins for" in result.output and "within 30 km of 52.52,13.405" in result.output
    assert "Bin 1:" in result.output and re.search(r"top artist #\d: ", result.output)
    assert re.search(r"\d{4}-\d\d-\d\d  \d\d:\d\d|tba", result.output)  # concerts by date
    answer = json.loads(_run("concerts", person, "--near", "52.52,13.405", "--json").output)
    assert answer["fetch"]["requests"] == 0  # looked up once today already
    assert answer["date_end"] == (today_utc() + timedelta(days=30)).isoformat()


def test_bad_dates_and_places_name_the_option(concerts_env):
    person = concerts_env[0]
    day = today_utc()
    backwards = _run("concerts", person, "--near", "52.52,13.405", "--from",
                     (day + timedelta(days=5)).isoformat(), "--to", day.isoformat())
    assert backwards.exit_code == 2 and "'--to'" in backwards.output
    assert "before date_begin" in backwards.output
    lost = _run("concerts", person, "--near", "123,0")
    assert lost.exit_code == 2 and "latitude must be between -90 and 90" in lost.output
    nowhere = _run("concerts", person)
    assert nowhere.exit_code == 1 and "concerts-home" in nowhere.output
    for radius in ("10000", "0"):
        refused = _run("concerts", person, "--near", "52.52,13.405", "--radius", radius)
        assert refused.exit_code == 2 and "'--radius'" in refused.output


def test_a_saved_home_is_used_and_removed(concerts_env):
    person = concerts_env[1]
    assert "daily concert bins are on" in _run("concerts-home", person, "52.52,13.405",
                                               "--radius", "20").output
    assert "52.52,13.405, 20 km" in _run("concerts-home", person).output
    answer = json.loads(_run("concerts", person, "--json").output)
    assert answer["near"] == {"latitude": 52.52, "longitude": 13.405}
    assert answer["radius_km"] == 20
    assert "Removed" in _run("concerts-home", person, "--remove").output
    assert "no saved home" in _run("concerts-home", person).output


def test_similar_artists_and_tokens(concerts_env):
    person = concerts_env[0]
    artists = json.loads(_run("concerts", person, "--near", "0,0", "--json").output)["artists"]
    table = _run("similar", artists[0]["artist_id"], "--limit", "3")
    assert table.exit_code == 0 and "Artists like" in table.output
    assert len(json.loads(_run("similar", artists[0]["artist_id"], "--json").output)
               ["similar"]) == 5
    assert _run("similar", "0" * 22).exit_code == 1
    token = _run("api-token", person).output.strip()
    assert token.startswith("se_") and len(token) > 30
    assert _run("api-token", "nobody").exit_code == 1


def test_a_refused_key_is_a_clear_message_without_the_key(concerts_env, monkeypatch):
    monkeypatch.setenv("TICKETMASTER_API_KEY", "wrong-key-5f2a9c")
    refused = _run("concerts", concerts_env[2], "--near", "52.52,13.405")
    assert refused.exit_code == 1 and "refused the API key (TICKETMASTER_API_KEY)" in refused.output
    assert "wrong-key-5f2a9c" not in refused.output
