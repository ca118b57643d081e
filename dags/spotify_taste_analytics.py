"""
### Spotify taste analytics

Runs after every daily snapshot (scheduled on the `spotify_snapshots` Asset), for the date that
snapshot announced (or the `snapshot_date` Param when triggered by hand; else the newest):

* **diffs**: for every pair of people who share a group, a 0-100 taste match per time range
  with shared and unique artists, tracks and genres; for every group member, short against
  long term and this snapshot against 7 and 30 days earlier. Collection `diffs`.
* **mixes**: a fair, de-duplicated, attributed mix for every group. Collection `mixes`.
* **publish**: each mix of a group with publishing on becomes one private playlist on the
  owner's account, its items replaced daily (in the `spotify_api` pool). A failed publish
  keeps the mix and is tried again on retry and on the next run.
* **taste_twins**: every person's k most similar people among everyone, scores only;
  skipped when the operator sets `SPOTIFY_ETL_TASTE_TWINS=off`. Collection `taste_twins`.

Every result is stored under its natural key: a rerun leaves the same documents. `diffs` and
`taste_twins` update the `spotify_analytics` Asset, on which the lake export rewrites the day.
See `docs/analytics.md`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from spotify_etl.pipeline.assets import ANALYTICS, SNAPSHOTS


@dag(
    dag_id="spotify_taste_analytics",
    schedule=[SNAPSHOTS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5),
                  "retry_exponential_backoff": True, "max_retry_delay": timedelta(hours=1)},
    params={"snapshot_date": Param("", type="string",
                                   description="YYYY-MM-DD; empty means the newest snapshot.")},
    tags=["spotify", "analytics"],
    doc_md=__doc__,
)
def spotify_taste_analytics():
    @task
    def snapshot_date() -> str:
        """Pick the date: the Param, else the one the snapshot announced, else the newest."""
        from spotify_etl.analytics.daily import date_of_run

        context = get_current_context()
        return date_of_run(context["params"], context.get("triggering_asset_events"))

    @task(outlets=[ANALYTICS])
    def diffs(day: str) -> dict:
        """Compute and store every group pair's and member's diffs (announced to the lake)."""
        from spotify_etl.analytics.daily import run_diffs

        result = run_diffs(day)
        get_current_context()["outlet_events"][ANALYTICS].extra = {"snapshot_date": day}
        return result

    @task
    def mixes(day: str) -> dict:
        """Compute and store every group's mix."""
        from spotify_etl.analytics.daily import run_mixes

        return run_mixes(day)

    @task(pool="spotify_api")
    def publish(day: str) -> dict:
        """Publish the mixes of groups with publishing on; fail (to retry) if one failed."""
        from spotify_etl.analytics.daily import run_publish

        result = run_publish(day)
        failed = sorted(g for g, status in result["published"].items() if status == "failed")
        if failed:
            raise RuntimeError(f"Publishing failed for {', '.join(failed)}; the mixes are "
                               "stored and will be published on retry or on the next run.")
        return result

    @task(outlets=[ANALYTICS])
    def taste_twins(day: str) -> dict:
        """Store everyone's most similar people, unless switched off."""
        from airflow.sdk.exceptions import AirflowSkipException

        from spotify_etl.analytics.daily import run_taste_twins

        result = run_taste_twins(day)
        if result["status"] == "off":
            raise AirflowSkipException("Taste twins are switched off (SPOTIFY_ETL_TASTE_TWINS).")
        get_current_context()["outlet_events"][ANALYTICS].extra = {"snapshot_date": day}
        return result

    day = snapshot_date()
    diffs(day)
    mixes(day) >> publish(day)
    taste_twins(day)


spotify_taste_analytics()
