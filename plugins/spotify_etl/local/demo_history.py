"""The demo's listening-history section: one demo person's year, imported from their export.

Called by `spotify_etl.local.demo` after the snapshot days. Downloads the person's
`my_spotify_data.zip` from the sandbox (a year of both formats, up to yesterday, so it
overlaps the days the snapshots captured), imports it through the real importer, and returns
their coverage and lifetime figures as text. Running it again imports nothing new.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import requests

from spotify_etl.settings import command


def history_report(sandbox_url: str, user_ids: list[str], last: date, days: int = 365) -> str:
    """Import the first demo person's export; return what it added, coverage and lifetime."""
    from spotify_etl.history.coverage import by_month, coverage, summarise
    from spotify_etl.history.importer import import_export
    from spotify_etl.history.lifetime import lifetime
    from spotify_etl.history.render import lifetime_text
    from spotify_etl.people.directory import display_names
    from spotify_etl.storage import ensure_indexes, open_database
    from spotify_etl.text import table

    person = user_ids[0]
    answer = requests.get(f"{sandbox_url}/__sandbox/users/{person}/export",
                          params={"until": last.isoformat(), "days": days}, timeout=300)
    answer.raise_for_status()
    with tempfile.TemporaryDirectory() as folder, open_database() as db:
        path = Path(folder) / "my_spotify_data.zip"
        path.write_bytes(answer.content)
        ensure_indexes(db)
        report = import_export(db, person, path)
        name = display_names(db, [person])[person]
        days_covered = coverage(db, person, last - timedelta(days=days - 1), last)
        figures = lifetime(db, person, limit=5)
    summary = summarise(days_covered)
    lines = [f"Listening history of {name} ({person}): their Spotify data export "
             f"({days} days, both formats), imported",
             f"  {report.rows} rows: {report.plays_new} new plays, {report.plays_matched} "
             "already stored (the snapshots' captures, and account rows of the same plays); "
             f"{report.short_rows} under 30 s, {report.spoken} podcast/audiobook rows kept "
             f"apart, {report.unresolved} account rows unresolved",
             f"  coverage over {summary['days']} days: {summary['import']} imported, "
             f"{summary['both']} captured and imported, {summary['capture']} captured only, "
             f"{summary['none']} with nothing; holes: "
             + (", ".join(a if a == b else f"{a} to {b}" for a, b in summary["holes"][:5])
                or "none"),
             table(by_month(days_covered)[-3:], ["month", "capture", "import", "both", "none",
                                                  "gaps", "plays"]),
             "", lifetime_text(figures),
             f"Try: {command('history', 'coverage', person)}   |   "
             f"{command('history', 'lifetime', person)}"]
    return "\n".join(lines)
