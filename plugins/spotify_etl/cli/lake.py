"""The lake command: `export [--from DATE] [--to DATE] [URL]`, a backfill with a progress bar."""

from __future__ import annotations

import sys
import time
from datetime import date

import click

from spotify_etl.cli import date_value, main



@main.command()
@click.argument("url", required=False)
@click.option("--from", "first", callback=date_value, metavar="DATE",
              help="First snapshot date (YYYY-MM-DD)  [default: the oldest stored]")
@click.option("--to", "last", callback=date_value, metavar="DATE",
              help="Last snapshot date  [default: the newest stored]")
def export(url: str | None, first: date | None, last: date | None) -> None:
    """Write stored snapshot days to the Parquet lake, replacing their partitions.

    URL is a folder, s3://bucket/prefix or any fsspec URL; default SPOTIFY_ETL_LAKE_URL, else
    the data directory's lake/. Layout and columns: docs/lake.md.
    """
    from spotify_etl.lake.export import export_days, lake_url
    from spotify_etl.lake.source import export_dates
    from spotify_etl.lake.target import shown
    from spotify_etl.storage import open_database

    if first and last and first > last:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    url = url or lake_url()
    started = time.monotonic()
    totals: dict[str, int] = {}
    with open_database() as db:
        dates = export_dates(db, first, last)
        if not dates:
            click.echo("No snapshot is stored in that range: nothing to export.", err=True)
            sys.exit(1)
        with click.progressbar(export_days(db, url, dates), length=len(dates),
                               label=f"Exporting {len(dates)} day(s) to {shown(url)}",
                               item_show_func=lambda item: item and item[0].isoformat(),
                               file=sys.stderr) as days:
            for _, counts in days:
                for table, rows in counts.items():
                    totals[table] = totals.get(table, 0) + rows
    click.echo(f"Lake {shown(url)}: {dates[0]} to {dates[-1]}, {len(dates)} day(s) in "
               f"{time.monotonic() - started:.1f} s; rows: "
               + ", ".join(f"{table} {rows}" for table, rows in totals.items()))
