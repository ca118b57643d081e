"""Airflow Assets the DAGs produce and consume (declared once, imported by DAG files)."""

from __future__ import annotations

from airflow.sdk import Asset

# Updated when a daily snapshot has loaded; downstream DAGs (diffs, mixes) schedule on it.
SNAPSHOTS = Asset(name="spotify_snapshots", uri="x-spotify-etl://snapshots")
