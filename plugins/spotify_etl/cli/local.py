"""Local tooling commands: `demo`, `airflow` (the UI without Docker), `sandbox`, `bench`."""

from __future__ import annotations

import json
import sys

import click

from spotify_etl.cli import main


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
    from spotify_etl.local.demo import run_demo

    sys.exit(run_demo(days=days, user_count=user_count))


@main.command()
@click.option("--quick", is_flag=True, help="Smaller measurements (for a smoke run).")
@click.option("--scaleout", is_flag=True,
              help="Instead: the snapshot on Airflow with PostgreSQL and Celery workers over "
                   "Redis (needs both on 127.0.0.1; about ten minutes on two cores).")
@click.option("--people", default=200, show_default=True, type=click.IntRange(1, 1000),
              help="Sandbox people for --scaleout.")
@click.option("--history", "history_only", is_flag=True,
              help="Only the listening-history figures: capture strategies against the "
                   "sandbox's ground truth, and import speed (with --quick: 3 days, 1 year).")
def bench(quick: bool, scaleout: bool, people: int, history_only: bool) -> None:
    """Measure the sandbox, the pipeline and the DAG file; print JSON."""
    if history_only:
        from spotify_etl.local import bench_history

        click.echo(json.dumps({"history": bench_history.run(quick=quick)}, indent=2))
        return
    if scaleout:
        from spotify_etl.local import bench_scaleout

        click.echo(json.dumps({"scaleout": bench_scaleout.run(people=people)}, indent=2))
        return
    from spotify_etl.local.bench import run_bench

    click.echo(json.dumps(run_bench(quick=quick), indent=2))


@main.command("airflow")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the Airflow UI and API on 127.0.0.1.")
@click.option("--sandbox/--no-sandbox", default=None,
              help="Use the offline Spotify sandbox with connected sandbox people  "
                   "[default: only when SPOTIFY_CLIENT_ID is unset]")
@click.option("--people", default=5, show_default=True, type=click.IntRange(1, 50),
              help="Sandbox people to connect.")
@click.option("--postgres", metavar="URL", envvar="SPOTIFY_ETL_AIRFLOW_POSTGRES",
              help="Keep Airflow's metadata in this PostgreSQL database, created if missing, "
                   "e.g. postgresql://postgres@127.0.0.1:5432/spotify_etl_airflow "
                   "(or SPOTIFY_ETL_AIRFLOW_POSTGRES)  [default: SQLite under AIRFLOW_HOME]")
def airflow_command(port: int, sandbox: bool | None, people: int, postgres: str | None) -> None:
    """Run Airflow (standalone) with this project's DAGs until Ctrl-C.

    API server, scheduler, DAG processor and triggerer on this machine, LocalExecutor, at
    most 4 tasks at once, metadata in SQLite under AIRFLOW_HOME (default .airflow/), or in
    PostgreSQL with --postgres. Prints the URL and the admin login (a generated password).
    Without a Spotify app it starts the sandbox and connects sandbox people, so a triggered
    run succeeds offline; data goes to MongoDB when MONGODB_URI or the mongo_default
    connection is set, else to the embedded store. Ctrl-C stops everything it started.
    """
    from spotify_etl.local.airflow_standalone import run_local_airflow

    sys.exit(run_local_airflow(port=port, sandbox=sandbox, people=people, postgres=postgres))


@main.command("sandbox", add_help_option=False,
              context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sandbox_command(args: tuple[str, ...]) -> None:
    """Run the Spotify sandbox, a local stand-in for Spotify (see `sandbox --help`)."""
    from spotify_etl.local.sandbox import run_sandbox_cli

    run_sandbox_cli(list(args))
