"""History commands: `history import` (a data export), `history coverage`, `history lifetime`,
`history capture` (one adaptive read of the people due)."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from spotify_etl.cli import date_value, main


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@main.group()
def history() -> None:
    """Listening history: import Spotify's data export, coverage, lifetime figures."""


@history.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--user", "user_id", required=True, help="The connected person it belongs to.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_command(path: str, user_id: str, as_json: bool) -> None:
    """Import PATH (my_spotify_data.zip, its folder, or one history JSON file) for a person.

    Both formats: account data (StreamingHistory_music_N.json) and the extended streaming
    history (Streaming_History_Audio_<years>_N.json). Everything is checked first: a malformed
    or foreign file imports nothing. Importing again changes nothing.
    """
    from spotify_etl.history.exports import ExportError
    from spotify_etl.history.importer import import_export
    from spotify_etl.history.store import PersonBusy
    from spotify_etl.storage import ensure_indexes, open_database

    bar = None

    def scanned(summary) -> None:
        nonlocal bar
        click.echo(f"Checked {sum(summary.files.values())} history file(s): "
                   f"{summary.total_rows} rows", err=True)
        bar = click.progressbar(length=summary.total_rows, label="Importing", file=sys.stderr,
                                show_pos=True)
        bar.__enter__()

    try:
        with open_database() as db:
            ensure_indexes(db)
            try:
                report = import_export(db, user_id, path, on_scanned=scanned,
                                       progress=lambda n: bar.update(n) if bar else None)
            finally:
                if bar is not None:
                    bar.__exit__(None, None, None)
    except ExportError as error:
        _fail(f"Nothing was imported: {error}")
    except PersonBusy as error:
        _fail(f"Nothing was imported: {error}")
    except ValueError as error:
        _fail(str(error))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    click.echo(f"Imported {report.rows} rows for {user_id} ({report.first_day} to "
               f"{report.last_day}): {report.plays_new} new plays, {report.plays_matched} "
               "already stored (captured or imported before)")
    click.echo(f"  not plays: {report.short_rows} under 30 s, {report.local_or_empty} without a "
               f"Spotify track; {report.spoken} podcast/audiobook rows kept apart")
    if report.resolved or report.unresolved:
        click.echo(f"  account data by name: {report.resolved} resolved to tracks, "
                   f"{report.unresolved} unresolved")


@history.command()
@click.argument("user")
@click.option("--from", "first", callback=date_value, metavar="YYYY-MM-DD", help="First day.")
@click.option("--to", "last", callback=date_value, metavar="YYYY-MM-DD", help="Last day.")
@click.option("--days", "per_day", is_flag=True, help="One line per day instead of per month.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def coverage(user: str, first: date | None, last: date | None, per_day: bool,
             as_json: bool) -> None:
    """Show, day by day, whether USER's plays come from capture, import, both or nowhere."""
    from spotify_etl.history.coverage import by_month, coverage as days_of, summarise
    from spotify_etl.storage import open_database
    from spotify_etl.text import table

    with open_database() as db:
        if db.users.find_one({"_id": user}, projection={"_id": 1}) is None:
            _fail(f"Unknown user id {user!r}")
        days = days_of(db, user, first, last)
    summary = summarise(days)
    if as_json:
        click.echo(json.dumps({"summary": summary, "days": [
            {"day": d.day.isoformat(), "source": d.source, "plays": d.plays, "gap": d.gap}
            for d in days]}, indent=2))
        return
    if not days:
        click.echo(f"No plays stored for {user} yet.")
        return
    if per_day:
        click.echo(table([{"day": d.day.isoformat(), "source": d.source, "plays": d.plays,
                           "gap": "yes" if d.gap else ""} for d in days],
                         ["day", "source", "plays", "gap"]))
    else:
        click.echo(table(by_month(days), ["month", "capture", "import", "both", "none", "gaps",
                                          "plays"]))
    click.echo(f"{summary['days']} days: {summary['capture']} captured, {summary['import']} "
               f"imported, {summary['both']} both, {summary['none']} with nothing; "
               f"{summary['gap_days']} with a known gap")
    holes = summary["holes"]
    click.echo("Holes: " + (", ".join(a if a == b else f"{a} to {b}" for a, b in holes[:20])
                            + (f" (+{len(holes) - 20} more)" if len(holes) > 20 else "")
                            if holes else "none"))


@history.command()
@click.argument("user")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def lifetime(user: str, top: int, as_json: bool) -> None:
    """Show USER's lifetime figures: plays and minutes, top tracks and artists, skip rate."""
    from spotify_etl.history.lifetime import lifetime as figures_of
    from spotify_etl.history.render import lifetime_text
    from spotify_etl.storage import open_database

    with open_database() as db:
        figures = figures_of(db, user, top)
    if as_json:
        click.echo(json.dumps(figures, indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(lifetime_text(figures))


@history.command()
@click.option("--user", "user_ids", multiple=True, help="Only these people (default: all due).")
def capture(user_ids: tuple[str, ...]) -> None:
    """Read recently played once for the people who are due (what the capture DAG does)."""
    from datetime import UTC, datetime

    from spotify_etl.history.capture import capture_batch, due_people
    from spotify_etl.storage import open_database

    with open_database() as db:
        due = due_people(db, datetime.now(UTC), list(user_ids) or None)
    if not due:
        click.echo("Nobody is due for a read.")
        return
    click.echo(json.dumps(capture_batch(due), indent=2))
