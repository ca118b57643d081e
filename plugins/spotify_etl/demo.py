"""`make demo`: the whole pipeline, offline, in about a minute.

Starts the Spotify sandbox as a separate process, connects sandbox people through the real
token store, runs the daily snapshot DAG (through `dag.test()`) for consecutive simulated days
and prints what landed. Stops the sandbox it started. Running it again changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from spotify_etl.settings import load_settings

SANDBOX_SEED = 42
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # the sandbox's own, not a secret of anyone's


class SandboxProcess:
    """The sandbox as a child process on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "spotify_etl", "sandbox", "--port", "0", *self.args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        prefix = "Spotify sandbox listening on "
        if not line.startswith(prefix):
            self.process.kill()
            raise RuntimeError(f"The sandbox did not start (it said {line!r})")
        self.url = line[len(prefix):]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _demo_key(data_dir: Path) -> str:
    """Reuse or create the demo's own encryption key (only for sandbox tokens)."""
    path = data_dir / "demo-fernet.key"
    if not path.exists():
        from cryptography.fernet import Fernet

        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def point_at_sandbox(url: str) -> None:
    """Configure this process (and its children) to use the sandbox as Spotify."""
    os.environ.update({
        "SPOTIFY_API_BASE_URL": f"{url}/v1/", "SPOTIFY_ACCOUNTS_BASE_URL": url,
        "SPOTIFY_CLIENT_ID": SANDBOX_CLIENT_ID, "SPOTIFY_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
    })


def seed_users(url: str, count: int) -> list[dict]:
    """Pre-authorise sandbox people and store them as if they had connected."""
    from spotify_etl.settings import SCOPES
    from spotify_etl.token_store import TokenStore

    answer = requests.post(f"{url}/__sandbox/authorize",
                           json={"count": count, "scope": " ".join(SCOPES)}, timeout=30)
    answer.raise_for_status()
    people = answer.json()["users"]
    store = TokenStore(load_settings())
    for person in people:
        store.save_user({"id": person["id"], "display_name": person.get("display_name")},
                        {"refresh_token": person["refresh_token"], "access_token": None,
                         "expires_at": 0, "scope": person.get("scope") or " ".join(SCOPES)})
    return people


def run_demo(days: int = 7, user_count: int = 5) -> int:
    """Run the demo; return the process exit code."""
    from spotify_etl.airflow_runner import ensure_metadata_db, run_dag

    import warnings

    # Airflow's own deprecation chatter is not for demo viewers.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    started = time.monotonic()
    settings = load_settings()
    if not settings.fernet_key:
        os.environ["SPOTIFY_ETL_FERNET_KEY"] = _demo_key(settings.data_dir)
        print(f"Demo: tokens are encrypted with a demo key kept in {settings.data_dir}/demo-fernet.key")
    ensure_metadata_db()
    today = datetime.now(UTC).date()
    dates = [today - timedelta(days=offset) for offset in range(days, 0, -1)]
    failures = 0
    # Development mode: the API shape every Spotify app created since February 2026 gets.
    with SandboxProcess("--seed", str(SANDBOX_SEED), "--users", "50",
                        "--mode", "development") as sandbox:
        print(f"Spotify sandbox (a local stand-in for Spotify) at {sandbox.url}")
        point_at_sandbox(sandbox.url)
        people = seed_users(sandbox.url, user_count)
        print(f"Connected {len(people)} sandbox people: "
              + ", ".join(p.get("display_name") or p["id"] for p in people))
        for number, day in enumerate(dates, start=1):
            day_started = time.monotonic()
            state = run_dag("spotify_daily_snapshot", day)
            line = _day_line(day.isoformat())
            print(f"Day {number}/{len(dates)} {day}: {state} ({line}) in "
                  f"{time.monotonic() - day_started:.1f} s", flush=True)
            failures += state != "success"
        print()
        print(summary(dates[0].isoformat(), dates[-1].isoformat(), [p["id"] for p in people]))
        if not failures:
            from spotify_etl.analytics.demo_section import demo_report

            print("\n" + demo_report([p["id"] for p in people], dates[0].isoformat(),
                                     dates[-1].isoformat()))
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s"
          + (f" with {failures} failed day(s)" if failures else ""))
    return 1 if failures else 0


def _day_line(snapshot_date: str) -> str:
    from spotify_etl.storage import open_database

    with open_database(write=False) as db:
        runs = list(db.runs.find({"snapshot_date": snapshot_date}))
    ok = sum(run["status"] == "success" for run in runs)
    calls = sum(run.get("api_call_total", 0) for run in runs)
    documents = sum(run.get("counts", {}).get("documents", 0) for run in runs)
    return f"{ok}/{len(runs)} people, {documents} documents, {calls} API calls"


def summary(first: str, last: str, user_ids: list[str]) -> str:
    """Describe what the demo stored: per person, per collection, and where it is."""
    from spotify_etl.reports import store_stats, table, top_names
    from spotify_etl.storage import open_database

    lines = [f"Taste on {last} (short term) and what entered the short-term top 10 since {first}:"]
    with open_database(write=False) as db:
        names = {u["_id"]: u.get("display_name") or u["_id"]
                 for u in db.users.find({"_id": {"$in": user_ids}})}
        for user_id in user_ids:
            top5 = top_names(db, user_id, last, "artists", "short_term", 5)
            before = set(top_names(db, user_id, first, "artists", "short_term", 10))
            entered = [n for n in top_names(db, user_id, last, "artists", "short_term", 10)
                       if n not in before]
            lines.append(f"\n  {names.get(user_id, user_id)} ({user_id})")
            lines.append("    top 5 artists: " + (", ".join(top5) or "none yet"))
            lines.append("    new in top 10: " + (", ".join(entered) or "no change this week"))
    figures = store_stats()
    lines.append("\nDocuments per collection:")
    lines.append(table([{"collection": k, "documents": v} for k, v in figures["collections"].items()],
                       ["collection", "documents"]))
    lines.append(f"\nData: {figures['store']}, database {figures['database']}.")
    lines.append("Try: python -m spotify_etl stats   |   python -m spotify_etl users")
    lines.append("Example query (pymongo or mongosh), one person's short-term top 10 on the last day:")
    lines.append(f'  db.top_items.find({{"user_id": "{user_ids[0]}", "snapshot_date": "{last}", '
                 '"kind": "artists", "time_range": "short_term", "rank": {"$lte": 10}}).sort({"rank": 1})')
    return "\n".join(lines)
