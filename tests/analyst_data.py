"""What the analyst tests share: the dataset's days and collections, and small helpers.

(A module of its own, not conftest: several test folders have a conftest.py.)
"""

from __future__ import annotations

from datetime import date, timedelta

FIRST_DAY = date(2026, 11, 9)  # a Monday: the eight days span ISO weeks 46 and 47
DAYS = [FIRST_DAY + timedelta(days=offset) for offset in range(8)]
LAST_DAY = DAYS[-1]
COLLECTIONS = ("users", "tokens", "artists", "albums", "tracks", "top_lists", "plays", "runs")


def load_into(db, documents) -> None:
    """Insert the dataset's documents into an empty database."""
    for name, rows in documents.items():
        if rows:
            db[name].insert_many([dict(row) for row in rows])


def someone_sharing(store, dataset) -> dict:
    """Parameters under which someone shares someone's #1 artist (the day before the last,
    when all four people were snapshotted)."""
    from spotify_etl.queries.questions import run_query

    for person in dataset["people"]:
        for time_range in ("short_term", "medium_term", "long_term"):
            params = {"user_id": person, "time_range": time_range,
                      "snapshot_date": DAYS[-2].isoformat()}
            if run_query(store, "shares_my_number_one", **params):
                return params
    raise AssertionError("nobody shares anybody's #1 artist in the demo data")
