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


def test_cli_writes_a_users_export_and_exits(tmp_path):
    import json
    import zipfile

    from spotify_sandbox import World

    user = World(seed=42, users=50).users[2]
    out = tmp_path / "my_spotify_data.zip"
    done = subprocess.run(
        [sys.executable, "-m", "spotify_sandbox", "--write-export", user.id, "--out", str(out),
         "--export-days", "2", "--date", "2026-11-20"], capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(up to 2026-11-19)" in done.stdout
    names = zipfile.ZipFile(out).namelist()
    extended = [n for n in names if "Streaming_History_Audio_2026" in n]
    rows = json.loads(zipfile.ZipFile(out).read(extended[0]))
    assert {r["ts"][:10] for r in rows} == {"2026-11-18", "2026-11-19"}
    unknown = subprocess.run([sys.executable, "-m", "spotify_sandbox", "--write-export",
                              "nobody", "--out", str(out)], capture_output=True, text=True,
                             timeout=120)
    assert unknown.returncode != 0 and "no sandbox user 'nobody'" in unknown.stderr
