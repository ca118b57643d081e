"""
### Spotify lake export

Writes a snapshot day to the Parquet lake (`SPOTIFY_ETL_LAKE_URL`: a folder, `s3://bucket/prefix`
or any fsspec URL; default `data/lake`), Hive-partitioned as
`table=<table>/snapshot_date=<YYYY-MM-DD>/part-0.parquet`, for six tables: `top_lists` (one row
per ranked item), `plays`, `artists`, `tracks`, `diffs`, `match_scores`.

Scheduled on the `spotify_snapshots` Asset (the daily snapshot has loaded) and on
`spotify_analytics` (that day's diffs or taste twins are stored), so the partition is written
as soon as the snapshot lands and rewritten with the analytics. A rerun replaces the day's
partitions, never adds to them. Trigger it by hand with the `snapshot_date` Param; backfill
many days with `python -m spotify_etl export --from D --to D URL`. See `docs/lake.md`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from spotify_etl.pipeline.assets import ANALYTICS, SNAPSHOTS


@dag(
    dag_id="spotify_lake_export",
    schedule=(SNAPSHOTS | ANALYTICS),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # two runs never write the same partition at once
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5),
                  "retry_exponential_backoff": True, "max_retry_delay": timedelta(hours=1)},
    params={"snapshot_date": Param("", type="string",
                                   description="YYYY-MM-DD; empty means the newest snapshot.")},
    tags=["spotify", "lake"],
    doc_md=__doc__,
)
def spotify_lake_export():
    @task
    def snapshot_date() -> str:
        """Pick the date: the Param, else the one announced, else the newest snapshot."""
        from spotify_etl.analytics.daily import date_of_run

        context = get_current_context()
        return date_of_run(context["params"], context.get("triggering_asset_events"))

    @task
    def export(day: str) -> dict:
        """Replace the day's partition of every lake table."""
        from spotify_etl.lake.export import run_export

        return run_export(day)

    export(snapshot_date())


spotify_lake_export()
