"""`airflow`: the Airflow UI on this machine, without Docker (`make airflow`)."""

from __future__ import annotations

import sys

import click

from spotify_etl.cli import main


@main.command("airflow")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the Airflow UI and API on 127.0.0.1.")
@click.option("--sandbox/--no-sandbox", default=None,
              help="Use the offline Spotify sandbox with connected sandbox people  "
                   "[default: only when SPOTIFY_CLIENT_ID is unset]")
@click.option("--people", default=5, show_default=True, type=click.IntRange(1, 50),
              help="Sandbox people to connect.")
def airflow_command(port: int, sandbox: bool | None, people: int) -> None:
    """Run Airflow (standalone) with this project's DAGs until Ctrl-C.

    API server, scheduler, DAG processor and triggerer on this machine, LocalExecutor, at
    most 4 tasks at once, metadata in SQLite under AIRFLOW_HOME (default .airflow/). Prints
    the URL and the admin login (a generated password). Without a Spotify app it starts the
    sandbox and connects sandbox people, so a triggered run succeeds offline; data goes to
    MongoDB when MONGODB_URI or the mongo_default connection is set, else to the embedded
    store. Ctrl-C stops everything it started.
    """
    from spotify_etl.local_airflow import run_local_airflow

    sys.exit(run_local_airflow(port=port, sandbox=sandbox, people=people))
