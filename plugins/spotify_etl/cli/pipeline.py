"""Pipeline commands: run, users, stats, keygen."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, UTC

import click

from spotify_etl.cli import main
from spotify_etl.constants import TIME_RANGES
from spotify_etl.settings import command


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-21") from None


@main.command()
@click.option("--date", "snapshot_date", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Snapshot date (default: yesterday, UTC).")
@click.option("--user", "users", multiple=True, metavar="USER_ID",
              help="Only this person (repeatable). Default: every active person.")
@click.option("--time-range", "time_ranges", multiple=True,
              type=click.Choice(TIME_RANGES),
              help="Only these time ranges (repeatable). Default: all three.")
def run(snapshot_date: date | None, users: tuple[str, ...], time_ranges: tuple[str, ...]) -> None:
    """Run the daily snapshot DAG for one date on this machine (through dag.test).

    Never waits out a long rate limit: it stops and says when to try again. Ctrl-C and
    SIGTERM stop it the same way; what was loaded stays, and the same command finishes it.
    """
    from spotify_etl.local.dag_runner import (ensure_metadata_db, rate_limit_stop, run_dag,
                                              sigterm_as_interrupt)

    _known_people_or_exit(users)
    snapshot_date = snapshot_date or datetime.now(UTC).date() - timedelta(days=1)
    conf: dict = {"users": list(users)}
    if time_ranges:
        conf["time_ranges"] = list(time_ranges)
    started = datetime.now(UTC)
    try:
        ensure_metadata_db()
        with sigterm_as_interrupt():
            outcome = run_dag("spotify_daily_snapshot", snapshot_date, conf)
    except KeyboardInterrupt:
        click.echo(f"\nStopped (Ctrl-C or SIGTERM) before spotify_daily_snapshot "
                   f"{snapshot_date} finished. What was loaded is kept; run the same command "
                   "again to finish.", err=True)
        sys.exit(130)
    click.echo(f"spotify_daily_snapshot {snapshot_date}: {outcome.state}")
    if outcome.state != "success":
        stop = rate_limit_stop(snapshot_date, started)
        if stop:
            click.echo(f"{stop}\n  then: {command('run', '--date', snapshot_date.isoformat())}",
                       err=True)
        sys.exit(1)


def _known_people_or_exit(user_ids: tuple[str, ...]) -> None:
    """Refuse unknown people before Airflow starts (a clear line, not a task traceback)."""
    if not user_ids:
        return
    from spotify_etl.people.directory import list_users
    from spotify_etl.storage import open_database

    with open_database() as db:
        known = {user["_id"] for user in list_users(db, user_ids=list(user_ids))}
    unknown = sorted(set(user_ids) - known)
    if unknown:
        click.echo(f"Unknown user id(s): {', '.join(unknown)}. List people with "
                   f"`{command('users')}`.", err=True)
        sys.exit(2)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def users(as_json: bool) -> None:
    """List connected people with their status (never their tokens)."""
    from spotify_etl.people.directory import user_rows
    from spotify_etl.storage import open_database

    with open_database() as db:
        rows = user_rows(db)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("No one is connected yet. Run `make demo`, or `make auth` to connect.")
        return
    from spotify_etl.text import table

    click.echo(table(rows, ["user_id", "display_name", "status", "reason", "last_snapshot_date",
                            "refresh_token_expires"]))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def stats(as_json: bool) -> None:
    """Show documents per collection, snapshot dates and people by status."""
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import open_database
    from spotify_etl.storage.stats import store_stats
    from spotify_etl.text import table

    settings = load_settings()
    with open_database(settings) as db:
        figures = store_stats(db, settings)
    if as_json:
        click.echo(json.dumps(figures, indent=2, default=str))
        return
    click.echo(f"Store: {figures['store']} (database {figures['database']})")
    click.echo(table([{"collection": k, "documents": v} for k, v in figures["collections"].items()],
                     ["collection", "documents"]))
    dates = figures["snapshot_dates"]
    click.echo(f"Snapshot dates: {len(dates)}" + (f" ({dates[0]} .. {dates[-1]})" if dates else ""))
    click.echo("People by status: " + (", ".join(f"{k} {v}" for k, v in
                                                figures["users_by_status"].items()) or "none"))


@main.command()
def keygen() -> None:
    """Print a new encryption key for SPOTIFY_ETL_FERNET_KEY."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())
