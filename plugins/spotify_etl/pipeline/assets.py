"""Airflow Assets the DAGs produce and consume (declared once, imported by DAG files)."""

from __future__ import annotations

from airflow.sdk import Asset

# Updated when a daily snapshot has loaded; downstream DAGs (diffs, mixes) schedule on it.
SNAPSHOTS = Asset(name="spotify_snapshots", uri="x-spotify-etl://snapshots")
# Updated when the taste analytics stored a date's diffs or taste twins; the lake export
# schedules on either, so that day's partition is rewritten with them.
ANALYTICS = Asset(name="spotify_analytics", uri="x-spotify-etl://analytics")
