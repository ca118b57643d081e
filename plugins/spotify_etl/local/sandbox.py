"""The Spotify sandbox for local runs: start it, point this process at it, connect people.

Shared by the demo, `make airflow`, the authorization helper's `--sandbox`, the benchmarks
and the tests. The sandbox itself (`include/spotify_sandbox`) stands alone and knows nothing
of the pipeline; this module is the only bridge, and the core never imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests
from spotify_sandbox import CLIENT_ID, CLIENT_SECRET

from spotify_etl.constants import DEVELOPMENT_MODE_USER_CAP, SCOPES
from spotify_etl.settings import load_settings

SANDBOX_SEED = 42


def sandbox_args(people: int = 1) -> tuple[str, ...]:
    """The sandbox for `people` people: development mode (the API shape every app created
    since February 2026 gets), or the extended shape past development mode's 5-person cap."""
    mode = "development" if people <= DEVELOPMENT_MODE_USER_CAP else "extended"
    return ("--seed", str(SANDBOX_SEED), "--users", "50", "--mode", mode)
READY_PREFIX = "Spotify sandbox listening on "


class SandboxProcess:
    """The sandbox as a child process (`python -m spotify_sandbox`) on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.args = args or sandbox_args()
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "spotify_sandbox", "--port", "0", *self.args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith(READY_PREFIX):
            self.process.kill()
            raise RuntimeError(f"The sandbox did not start (it said {line!r})")
        self.url = line[len(READY_PREFIX):]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def sandbox_environment(url: str) -> dict[str, str]:
    """The settings that make the pipeline talk to the sandbox at `url` as Spotify."""
    return {"SPOTIFY_API_BASE_URL": f"{url}/v1/", "SPOTIFY_ACCOUNTS_BASE_URL": url,
            "SPOTIFY_CLIENT_ID": CLIENT_ID, "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET}


def point_at_sandbox(url: str) -> None:
    """Configure this process (and its children) to use the sandbox as Spotify."""
    os.environ.update(sandbox_environment(url))


def demo_key(data_dir: Path) -> str:
    """Reuse or create the local runs' own encryption key (only for sandbox tokens)."""
    path = data_dir / "demo-fernet.key"
    if not path.exists():
        from cryptography.fernet import Fernet

        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_local_key() -> bool:
    """Use the demo key when no SPOTIFY_ETL_FERNET_KEY is set; return True if it did."""
    settings = load_settings()
    if settings.fernet_key:
        return False
    os.environ["SPOTIFY_ETL_FERNET_KEY"] = demo_key(settings.data_dir)
    return True


def seed_users(url: str, count: int) -> list[dict]:
    """Pre-authorise sandbox people and store them as if they had connected."""
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.storage import open_database

    answer = requests.post(f"{url}/__sandbox/authorize",
                           json={"count": count, "scope": " ".join(SCOPES)}, timeout=30)
    answer.raise_for_status()
    people = answer.json()["users"]
    settings = load_settings()
    with open_database(settings) as db:
        store = TokenStore(db, settings)
        for person in people:
            store.save_user({"id": person["id"], "display_name": person.get("display_name")},
                            {"refresh_token": person["refresh_token"], "access_token": None,
                             "expires_at": 0, "scope": person.get("scope") or " ".join(SCOPES)})
    return people


def run_sandbox_cli(args: list[str]) -> None:
    """Run the sandbox's own command line (`python -m spotify_etl sandbox ARGS`)."""
    from spotify_sandbox.cli import sandbox

    sandbox.main(args=args, prog_name="python -m spotify_etl sandbox")
