"""The `python -m spotify_etl` command line (click): parsing and printing only.

One module per group of commands; each registers its commands on `main` when imported below.
The work itself is in the package's rooms (pipeline, analytics, queries, local tooling).
"""

from __future__ import annotations

from datetime import date

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name=None, version=__import__("spotify_etl").__version__)
def main() -> None:
    """Own and analyse your Spotify listening: Airflow 3 pipeline into MongoDB.

    Start with `demo` (everything offline against the local Spotify sandbox).
    """


def date_value(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """A click callback: an ISO date option (None when not given), or a message naming it."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-21") from None


from spotify_etl.cli import pipeline  # noqa: E402,F401  (registers commands)
from spotify_etl.cli import analytics  # noqa: E402,F401
from spotify_etl.cli import lake  # noqa: E402,F401
from spotify_etl.cli import local  # noqa: E402,F401
from spotify_etl.cli import query  # noqa: E402,F401
from spotify_etl.cli import concerts  # noqa: E402,F401
from spotify_etl.cli import history  # noqa: E402,F401
from spotify_etl.cli import prediction  # noqa: E402,F401
