"""Pipeline commands: demo, run, users, stats, keygen, bench."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, UTC

import click

from spotify_etl.cli import main


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-21") from None


@main.command()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 60),
              help="Consecutive simulated days to snapshot, ending yesterday.")
@click.option("--users", "user_count", default=5, show_default=True, type=click.IntRange(1, 50),
              help="Sandbox people to connect.")
def demo(days: int, user_count: int) -> None:
    """Run the whole pipeline offline against the Spotify sandbox and print a summary.

    Starts the sandbox, connects sandbox people through the token store, runs the daily
    snapshot DAG for each simulated day, prints what it found and stops the sandbox. Safe to
    run again: the same days are upserted, nothing is duplicated.
    """
    from spotify_etl.demo import run_demo

    sys.exit(run_demo(days=days, user_count=user_count))


@main.command()
@click.option("--date", "snapshot_date", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Snapshot date (default: yesterday, UTC).")
@click.option("--user", "users", multiple=True, metavar="USER_ID",
              help="Only this person (repeatable). Default: every active person.")
@click.option("--time-range", "time_ranges", multiple=True,
              type=click.Choice(["short_term", "medium_term", "long_term"]),
              help="Only these time ranges (repeatable). Default: all three.")
def run(snapshot_date: date | None, users: tuple[str, ...], time_ranges: tuple[str, ...]) -> None:
    """Run the daily snapshot DAG for one date on this machine (through dag.test)."""
    from spotify_etl.airflow_runner import run_dag

    snapshot_date = snapshot_date or datetime.now(UTC).date() - timedelta(days=1)
    conf: dict = {"users": list(users)}
    if time_ranges:
        conf["time_ranges"] = list(time_ranges)
    state = run_dag("spotify_daily_snapshot", snapshot_date, conf)
    click.echo(f"spotify_daily_snapshot {snapshot_date}: {state}")
    if state != "success":
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def users(as_json: bool) -> None:
    """List connected people with their status (never their tokens)."""
    from spotify_etl.reports import user_rows

    rows = user_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("No one is connected yet. Run `make demo`, or `make auth` to connect.")
        return
    from spotify_etl.reports import table

    click.echo(table(rows, ["user_id", "display_name", "status", "reason", "last_snapshot_date",
                            "refresh_token_expires"]))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def stats(as_json: bool) -> None:
    """Show documents per collection, snapshot dates and people by status."""
    from spotify_etl.reports import store_stats, table

    figures = store_stats()
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
@click.option("--quick", is_flag=True, help="Smaller measurements (for a smoke run).")
def bench(quick: bool) -> None:
    """Measure the sandbox, the pipeline and the DAG file; print JSON."""
    from spotify_etl.bench import run_bench

    click.echo(json.dumps(run_bench(quick=quick), indent=2))
