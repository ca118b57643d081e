"""Export snapshot days to the lake: what the DAG, `python -m spotify_etl export` and the demo run.

Each day opens nothing of its own: the caller's store handle is passed down. A day writes all
six tables (an empty table still gets its partition, so a rerun after data was removed
replaces the old rows). Returns small summaries, fit for an XCom.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import TYPE_CHECKING, Any

from spotify_etl.lake import source, tables
from spotify_etl.lake.target import Lake, open_lake, shown, write_partition
from spotify_etl.settings import Settings, load_settings
from spotify_etl.storage import open_database

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pymongo.database import Database

log = logging.getLogger(__name__)


def lake_url(settings: Settings | None = None) -> str:
    """Return the configured lake URL (SPOTIFY_ETL_LAKE_URL), else <data dir>/lake."""
    settings = settings or load_settings()
    return settings.lake_url or str(settings.data_dir / "lake")


PLAYS_WINDOW_DAYS = 31  # dates whose plays one read brings (bounded memory on years of plays)


def export_day(db: Database, lake: Lake, snapshot_date: date,
               plays: list[dict] | None = None) -> dict[str, int]:
    """Write (replace) every table's partition of one date; return rows per table."""
    rows = source.day_rows(db, snapshot_date, plays)
    for table in tables.TABLES:
        write_partition(lake, table, snapshot_date, tables.to_arrow(table, rows[table]))
    return {table: len(rows[table]) for table in tables.TABLES}


def export_days(db: Database, url: str, dates: list[date]
                ) -> Iterator[tuple[date, dict[str, int]]]:
    """Export each date in turn, yielding it with its row counts (for a progress bar).

    Plays are read a month of dates at a time (one range read each), not once per date.
    """
    lake = open_lake(url)
    dates = sorted(dates)
    for start in range(0, len(dates), PLAYS_WINDOW_DAYS):
        window = dates[start:start + PLAYS_WINDOW_DAYS]
        plays = source.plays_by_day(db, window[0], window[-1])
        for snapshot_date in window:
            yield snapshot_date, export_day(db, lake, snapshot_date,
                                            plays.get(snapshot_date, []))


def run_export(snapshot_date: date | str, url: str | None = None,
               settings: Settings | None = None) -> dict[str, Any]:
    """Export one date to the configured lake (the DAG's task); a rerun replaces it."""
    if not isinstance(snapshot_date, date):
        snapshot_date = date.fromisoformat(str(snapshot_date))  # an XCom's YYYY-MM-DD
    url = url or lake_url(settings)
    started = time.monotonic()
    with open_database(settings) as db:
        [(_, counts)] = list(export_days(db, url, [snapshot_date]))
    log.info("Lake %s, %s: %s rows in %.1f s", shown(url), snapshot_date, counts,
             time.monotonic() - started)
    return {"snapshot_date": snapshot_date.isoformat(), "lake": shown(url), "rows": counts}
