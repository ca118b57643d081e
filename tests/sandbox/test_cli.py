"""The `python -m spotify_etl sandbox` command: prints its URL first, stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import requests


def test_cli_prints_url_serves_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "spotify_etl", "sandbox", "--port", "0", "--mode", "development",
         "--seed", "5", "--users", "12", "--date", "2026-03-01", "--without-genres"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("Spotify sandbox listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[-1]
        banner = "".join(process.stdout.readline() for _ in range(5))
        assert "not Spotify" in banner and "sp.prefix" in banner
        info = requests.get(f"{url}/__sandbox/info", timeout=10).json()
        assert (info["mode"], info["seed"], info["users"], info["clock"], info["genres"]) == (
            "development", 5, 12, "2026-03-01", False)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "stopped" in out


def test_cli_help_explains_the_options():
    out = subprocess.run([sys.executable, "-m", "spotify_etl", "sandbox", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in ("--port", "--mode", "--seed", "--users", "--date", "--without-genres",
                   "stand-in"):
        assert option in out
