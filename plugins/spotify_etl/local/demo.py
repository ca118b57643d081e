"""`make demo`: the whole pipeline, offline, in about a minute.

Starts the Spotify sandbox as a separate process, connects sandbox people through the real
token store, runs the daily snapshot DAG (through `dag.test()`) for consecutive simulated days
and prints what landed, then imports one person's data export (coverage, lifetime figures),
trains the people's stream-count models on months of earlier history and prints one prediction,
and exports the lake. Stops the sandbox it started. Running it again changes nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from spotify_etl.constants import DEVELOPMENT_MODE_USER_CAP
from spotify_etl.local.sandbox import (SandboxProcess, ensure_local_key, point_at_sandbox,
                                       sandbox_args, seed_users)
from spotify_etl.settings import command, load_settings

DASHBOARD_URL = "http://127.0.0.1:8888/dashboard/"


def run_demo(days: int = 7, user_count: int = 5) -> int:
    """Run the demo; return the process exit code."""
    import warnings

    from spotify_etl.local.dag_runner import ensure_metadata_db, run_dag

    # Airflow's own deprecation chatter is not for demo viewers.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    started = time.monotonic()
    if ensure_local_key():
        print("Demo: tokens are encrypted with a demo key kept in "
              f"{load_settings().data_dir}/demo-fernet.key")
    ensure_metadata_db()
    today = datetime.now(UTC).date()
    dates = [today - timedelta(days=offset) for offset in range(days, 0, -1)]
    failures = 0
    if user_count > DEVELOPMENT_MODE_USER_CAP:
        print(f"Demo: {user_count} people is more than a development-mode Spotify app admits "
              f"({DEVELOPMENT_MODE_USER_CAP}): the sandbox answers as an extended-quota app.")
    with SandboxProcess(*sandbox_args(user_count)) as sandbox:
        print(f"Spotify sandbox (a local stand-in for Spotify) at {sandbox.url}")
        point_at_sandbox(sandbox.url)
        people = seed_users(sandbox.url, user_count)
        print(f"Connected {len(people)} sandbox people: "
              + ", ".join(p.get("display_name") or p["id"] for p in people))
        for number, day in enumerate(dates, start=1):
            day_started = time.monotonic()
            state = run_dag("spotify_daily_snapshot", day).state
            line = _day_line(day)
            print(f"Day {number}/{len(dates)} {day}: {state} ({line}) in "
                  f"{time.monotonic() - day_started:.1f} s", flush=True)
            failures += state != "success"
        print()
        user_ids = [p["id"] for p in people]
        print(summary(dates[0], dates[-1], user_ids))
        if not failures:
            from spotify_etl.local.demo_analytics import demo_report

            print("\n" + demo_report(user_ids, dates[0], dates[-1]))
            from spotify_etl.local.demo_concerts import concerts_report

            print("\n" + concerts_report(user_ids))
            from spotify_etl.local.demo_history import history_report

            print("\n" + history_report(sandbox.url, user_ids, dates[-1]))
            from spotify_etl.local.demo_prediction import prediction_report

            print("\n" + prediction_report(user_ids, dates[0]), flush=True)
            print("\n" + lake_report(dates))
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s"
          + (f" with {failures} failed day(s)" if failures else ""))
    print(f"Dashboard: run `make dashboard` and open {DASHBOARD_URL} (sign in as one of the "
          "demo people on the sandbox's consent page).")
    return 1 if failures else 0


def lake_report(dates: list[date]) -> str:
    """Export the demo days to the Parquet lake, as the lake DAG does each day; say where."""
    from spotify_etl.lake.export import export_days, lake_url
    from spotify_etl.lake.source import export_dates
    from spotify_etl.lake.target import shown
    from spotify_etl.storage import open_database

    url = lake_url()
    started = time.monotonic()
    with open_database() as db:  # the demo days, and any older day its plays reach back to
        exported = list(export_days(db, url, export_dates(db, last=dates[-1])))
    rows = {table: sum(counts[table] for _, counts in exported) for table in exported[0][1]}
    earlier = sum(day < dates[0] for day, _ in exported)
    return (f"Lake: {len(exported)} days written as Parquet to {shown(url)} in "
            f"{time.monotonic() - started:.1f} s (table=X/snapshot_date=D/part-0.parquet; "
            "docs/lake.md): the demo's days"
            + (f" and {earlier} earlier day(s) its plays reach back to" if earlier else "")
            + "\n  rows: " + ", ".join(f"{t} {n}" for t, n in rows.items())
            + "\n  read it with DuckDB or pandas: docs/lake.md#reading-it")


def _day_line(snapshot_date: date) -> str:
    from spotify_etl.storage import open_database

    with open_database() as db:
        runs = list(db.runs.find({"snapshot_date": snapshot_date.isoformat()}))
    ok = sum(run["status"] == "success" for run in runs)
    calls = sum(run.get("api_call_total", 0) for run in runs)
    documents = sum(run.get("counts", {}).get("documents", 0) for run in runs)
    return f"{ok}/{len(runs)} people, {documents} documents, {calls} API calls"


def summary(first: date, last: date, user_ids: list[str]) -> str:
    """Describe what the demo stored: per person, per collection, and where it is."""
    from spotify_etl.analytics.repository import top_list
    from spotify_etl.people.directory import display_names
    from spotify_etl.storage import open_database
    from spotify_etl.storage.stats import store_stats
    from spotify_etl.text import table

    def names(db, day: date, limit: int) -> list[str]:
        return [item["name"] for item in top_list(db, user_id, day, "artists", "short_term")
                [:limit]]

    settings = load_settings()
    lines = [f"Taste on {last} (short term) and what entered the short-term top 10 since {first}:"]
    with open_database(settings) as db:
        people = display_names(db, user_ids)
        for user_id in user_ids:
            before = set(names(db, first, 10))
            entered = [n for n in names(db, last, 10) if n not in before]
            lines.append(f"\n  {people[user_id]} ({user_id})")
            lines.append("    top 5 artists: " + (", ".join(names(db, last, 5)) or "none yet"))
            lines.append("    new in top 10: " + (", ".join(entered) or "no change this week"))
        figures = store_stats(db, settings)
    lines.append("\nDocuments per collection:")
    lines.append(table([{"collection": k, "documents": v} for k, v in figures["collections"].items()],
                       ["collection", "documents"]))
    lines.append(f"\nData: {figures['store']}, database {figures['database']}.")
    tries = [command("stats"), command("users")]
    if last > first:  # the history the demo made: `days` beyond it would find nothing earlier
        tries.append(command("query", "new_in_top10", "-p", f"days={(last - first).days}"))
    lines.append("Try: " + "   |   ".join(tries))
    lines.append("Example query (pymongo or mongosh), one person's short-term top artists on the "
                 "last day (one document per top list):")
    lines.append(f'  db.top_lists.find_one({{"_id": "{user_ids[0]}|{last}|artists|short_term"}})'
                 '["items"][:10]')
    return "\n".join(lines)
