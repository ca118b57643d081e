"""Pipeline commands: run, users, stats, keygen, migrate."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, UTC

import click

from spotify_etl.cli import main
from spotify_etl.constants import TIME_RANGES


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

    The date and the configuration are checked first: a future date, a date before the DAG
    starts, no Spotify app or a wrong encryption key stop here, naming the problem, before
    anything is read or written. Exits 1 unless someone was loaded.
    """
    from spotify_etl.local.dag_runner import run_dag
    from spotify_etl.pipeline.snapshot import (ConfigurationError, check_configuration,
                                               check_snapshot_date)
    from spotify_etl.settings import load_settings
    from spotify_etl.spotify.client import SnapshotDateError
    from spotify_etl.storage import open_database

    snapshot_date = snapshot_date or datetime.now(UTC).date() - timedelta(days=1)
    settings = load_settings()
    try:
        check_snapshot_date(snapshot_date)
        with open_database(settings) as db:
            wanted = list(users) or [u["_id"] for u in db.users.find({}, {"_id": 1})]
            check_configuration(db, settings, wanted)
    except (SnapshotDateError, ConfigurationError) as error:
        click.echo(f"run: {error}", err=True)
        sys.exit(2)
    conf: dict = {"users": list(users)}
    if time_ranges:
        conf["time_ranges"] = list(time_ranges)
    try:
        state = run_dag("spotify_daily_snapshot", snapshot_date, conf)
    except ValueError as error:  # a date the DAG does not cover
        click.echo(f"run: {error}", err=True)
        sys.exit(2)
    click.echo(f"spotify_daily_snapshot {snapshot_date}: {state}")
    if state != "success":
        sys.exit(1)


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


@main.command()
def migrate() -> None:
    """Bring the store up to today's shape (idempotent; safe to stop and run again).

    Folds the per-rank `top_items` documents of older versions into `top_lists`, one document
    per person, date, kind and time range. Nothing is lost: each list is written before its
    old rows are removed, and lists the current pipeline already wrote are kept.
    """
    from spotify_etl.storage import ensure_indexes, open_database
    from spotify_etl.storage.migrations import migrate_top_items, pending

    with open_database() as db:
        rows = pending(db)
        if not rows:
            click.echo("The store is up to date: nothing to migrate.")
            return
        ensure_indexes(db)
        with click.progressbar(length=rows, label=f"Folding {rows} top_items rows into "
                                                   "top_lists", file=sys.stderr) as bar:
            done = migrate_top_items(db, progress=bar.update)
    click.echo(f"Migrated: {done['lists_written']} top lists written, {done['lists_kept']} "
               f"already there, {done['rows_removed']} old rows removed.")
