"""`python -m auth_server --sandbox`: the README's offline try-out works with no keys set."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]  # `python -m auth_server` runs from there


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_offline_try_out_starts_without_any_key(tmp_path):
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SPOTIFY_", "AUTH_SERVER_", "MONGODB_"))}
    env["SPOTIFY_ETL_DATA_DIR"] = str(tmp_path / "data")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "auth_server", "--sandbox", "development",
                                "--port", str(port)], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            lines.append(process.stdout.readline())
            if "Authorization helper on" in lines[-1]:
                break
        assert "Authorization helper on" in lines[-1], "".join(lines) + process.stderr.read()
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        login = requests.get(f"http://127.0.0.1:{port}/login", timeout=10, allow_redirects=False)
        assert page.status_code == 200 and "Connect Spotify" in page.text
        assert login.status_code == 302 and "/authorize?" in login.headers["Location"]
        assert (tmp_path / "data" / "demo-fernet.key").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0
