"""Pipeline commands: run, users, stats, keygen, migrate."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, UTC

import click

from spotify_etl.cli import date_value, main
from spotify_etl.constants import TIME_RANGES
from spotify_etl.settings import command



@main.command()
@click.option("--date", "snapshot_date", callback=date_value, metavar="YYYY-MM-DD",
              help="Snapshot date (default: yesterday, UTC).")
@click.option("--user", "users", multiple=True, metavar="USER_ID",
              help="Only this person (repeatable). Default: every active person.")
@click.option("--time-range", "time_ranges", multiple=True,
              type=click.Choice(TIME_RANGES),
              help="Only these time ranges (repeatable). Default: all three.")
def run(snapshot_date: date | None, users: tuple[str, ...], time_ranges: tuple[str, ...]) -> None:
    """Run the daily snapshot DAG for one date on this machine (through dag.test).

    The date and the configuration are checked first: a future date, a date before the DAG
    starts, an unknown person, no Spotify app or a wrong encryption key stop here, naming the
    problem, before anything is read or written. Exits 1 unless someone was loaded. Never
    waits out a long rate limit: it stops and says when to try again. Ctrl-C and SIGTERM stop
    it the same way; what was loaded stays, and the same command finishes it.
    """
    from spotify_etl.local.dag_runner import sigterm_as_interrupt

    # First of all: a thread started before (pandas and pyarrow start some on import) would
    # take SIGTERM itself.
    try:
        with sigterm_as_interrupt():
            _run(snapshot_date, users, time_ranges)
    except KeyboardInterrupt:
        click.echo("\nStopped (Ctrl-C or SIGTERM) before the run finished. What was loaded is "
                   "kept; run the same command again to finish.", err=True)
        sys.exit(130)


def _run(snapshot_date: date | None, users: tuple[str, ...], time_ranges: tuple[str, ...]
         ) -> None:
    from spotify_etl.local.dag_runner import ensure_metadata_db, rate_limit_stop, run_dag
    from spotify_etl.pipeline.snapshot import (ConfigurationError, check_configuration,
                                               check_snapshot_date)
    from spotify_etl.settings import load_settings
    from spotify_etl.spotify.client import SnapshotDateError
    from spotify_etl.storage import open_database

    _known_people_or_exit(users)
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
    started = datetime.now(UTC)
    try:
        ensure_metadata_db()
        outcome = run_dag("spotify_daily_snapshot", snapshot_date, conf)
    except ValueError as error:  # a date the DAG does not cover
        click.echo(f"run: {error}", err=True)
        sys.exit(2)
    click.echo(f"spotify_daily_snapshot {snapshot_date}: {outcome.state}")
    _access_ending_soon()
    if outcome.state != "success":
        stop = rate_limit_stop(snapshot_date, started)
        if stop:
            click.echo(f"{stop}\n  then: {command('run', '--date', snapshot_date.isoformat())}",
                       err=True)
        sys.exit(1)


def _access_ending_soon() -> None:
    """Close the run's summary with the people who must reconnect within two weeks."""
    from spotify_etl.people.expiry import access_ending, describe
    from spotify_etl.storage import open_database

    with open_database() as db:
        people = access_ending(db, datetime.now(UTC).date())
    for person in people:
        click.echo(describe(person))


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
@click.option("--email", "contact", nargs=2, metavar="USER_ID ADDRESS",
              help="Where to remind USER_ID by e-mail before their access ends (through "
                   "Airflow's SMTP settings); an empty ADDRESS forgets it. Kept encrypted.")
def users(as_json: bool, contact: tuple[str, str] | None) -> None:
    """List connected people: status, consent, when their access ends (never their tokens).

    Spotify ends every consent six months after it is given; people whose access ends within
    14 days are marked, and should reconnect at the authorization helper (`make auth`).
    """
    from spotify_etl.people.directory import user_rows
    from spotify_etl.storage import open_database

    if contact:
        _set_contact(*contact)
        return
    with open_database() as db:
        rows = user_rows(db)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("No one is connected yet. Run `make demo`, or `make auth` to connect.")
        return
    from spotify_etl.constants import ACCESS_WARNING_DAYS
    from spotify_etl.text import table

    for row in rows:
        soon = row["days_left"] is not None and row["days_left"] <= ACCESS_WARNING_DAYS
        row["access_ends"] = (f"{row['access_ends']} (in {row['days_left']} d: reconnect)"
                              if soon and row["days_left"] >= 0 else
                              f"{row['access_ends']} (ended)" if soon else row["access_ends"])
    click.echo(table(rows, ["user_id", "display_name", "status", "reason", "consented",
                            "access_ends", "last_snapshot_date"]))


def _set_contact(user_id: str, address: str) -> None:
    import re

    from spotify_etl.people.tokens import TokenStore, TokenStoreError
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import open_database

    address = address.strip()
    if address and not re.fullmatch(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+", address):
        click.echo("That is not an e-mail address like name@example.com.", err=True)
        sys.exit(2)
    settings = load_settings()
    try:
        with open_database(settings) as db:
            TokenStore(db, settings).set_contact(user_id, address or None)
    except TokenStoreError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    click.echo(f"{user_id} will be reminded by e-mail before their access ends." if address
               else f"{user_id} has no reminder address any more.")


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
