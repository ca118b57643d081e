"""
### Spotify daily snapshot

Every day, for every connected person: top tracks and top artists for the three time ranges
(short, medium, long term) and the recently played tracks, extracted from Spotify with spotipy,
cleaned with pandas and upserted into MongoDB on natural keys, so a rerun changes nothing.

* **Batches**: people are split into batches (`SPOTIFY_ETL_BATCH_SIZE`, default 50), one mapped
  task each, all in the `spotify_api` pool.
* **Failures**: a person whose token was revoked or expired is marked `needs_reauth` and the
  others still load; other failures of one person are retried by Airflow (people already done
  in the run are skipped). A long rate limit fails the task with "rate limited, retry after N s".
* **Snapshot date**: the day the run's data interval covers. Real Spotify only knows today, so
  dates other than today or yesterday are refused unless the source can time-travel.
* **Trigger manually** with Params: `users` (ids; empty = everyone active) and `time_ranges`.
* **Retries**: 3, after `SPOTIFY_ETL_RETRY_DELAY` seconds (default 120), doubling up to an hour.
  A batch whose worker died (no heartbeat) is retried the same way, on any worker.
* A 429 that asks for a long wait fails the batch, and its retry comes after that wait
  (`RetryAfterPolicy`), not after the usual back-off.
* **Access expiry**: `summarize` lists (and logs) the people whose Spotify access ends within
  14 days (six months after consent) and, when Airflow's SMTP settings name a server, e-mails
  those with a contact address once.
* **Plays the capture owns**: once a person's plays belong to the history room (an import,
  or the capture DAG), this DAG reads only their top lists; `catch_up_plays` then reads the
  recently played of those nobody has read for 20 hours (the capture DAG not deployed, or
  paused), through the same dedupe rule, so their plays never stop.
* Each run is recorded per person in the `runs` collection (a failed attempt never erases an
  earlier success of the same date); the `spotify_snapshots` Asset is updated for downstream
  DAGs (with the snapshot date) as soon as anyone was loaded, even if a batch failed;
  `all_batches_succeeded` then fails to flag the run. A run that loaded nobody fails.
* A configuration problem (no Spotify app, no or wrong encryption key) or a future date fails
  the batch once, with the setting named, before anyone is touched.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

from spotify_etl.constants import TIME_RANGES
from spotify_etl.pipeline.assets import SNAPSHOTS
from spotify_etl.settings import load_settings
from spotify_etl.spotify.retry_policy import RetryAfterPolicy


@dag(
    dag_id="spotify_daily_snapshot",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 3,
        # SPOTIFY_ETL_RETRY_DELAY (seconds, default 120): the first retry's back-off.
        "retry_delay": timedelta(seconds=load_settings().retry_delay),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
    },
    params={
        "users": Param([], type="array", items={"type": "string"},
                       description="Spotify user ids to snapshot; empty means every active person."),
        "time_ranges": Param(list(TIME_RANGES), type="array",
                             items={"type": "string", "enum": list(TIME_RANGES)},
                             description="Which top-item time ranges to read."),
    },
    tags=["spotify", "snapshot"],
    doc_md=__doc__,
)
def spotify_daily_snapshot():
    @task
    def plan_batches() -> list[list[str]]:
        """Split the active people into batches, one mapped snapshot task each."""
        from airflow.sdk.exceptions import AirflowFailException

        from spotify_etl.pipeline.snapshot import plan_batches

        try:
            return plan_batches(user_ids=get_current_context()["params"]["users"])
        except ValueError as error:  # unknown people in the Params: a retry cannot fix it
            raise AirflowFailException(str(error)) from error

    @task(pool="spotify_api", retry_policy=RetryAfterPolicy())
    def snapshot_batch(user_ids: list[str]) -> dict:
        """Extract, transform and load one batch of people."""
        from airflow.sdk.exceptions import AirflowFailException

        from spotify_etl.pipeline.snapshot import snapshot_batch, snapshot_date_for
        from spotify_etl.spotify.client import SnapshotDateError

        context = get_current_context()
        try:
            return snapshot_batch(user_ids, snapshot_date_for(context), run_id=context["run_id"],
                                  time_ranges=context["params"]["time_ranges"])
        except (SnapshotDateError, ValueError) as error:
            raise AirflowFailException(str(error)) from error  # a retry cannot fix these

    @task(outlets=[SNAPSHOTS], trigger_rule="all_done")
    def summarize() -> dict:
        """Sum the run up from `runs`; announce the snapshot downstream if anyone loaded."""
        from airflow.sdk.exceptions import AirflowFailException

        from spotify_etl.pipeline.snapshot import (NobodyLoaded, access_expiry_check,
                                                   snapshot_date_for, summarize)

        context = get_current_context()
        snapshot_date = snapshot_date_for(context)
        expiry = access_expiry_check()  # whose access ends within two weeks, logged either way
        try:
            total = summarize(snapshot_date, context["run_id"])
        except NobodyLoaded as error:  # never a green run, and no Asset update
            raise AirflowFailException(str(error)) from error
        total.update(expiry)
        # Downstream DAGs analyse exactly this date.
        context["outlet_events"][SNAPSHOTS].extra = {"snapshot_date": total["snapshot_date"]}
        return total

    @task
    def all_batches_succeeded() -> None:
        """Fail the run when a batch failed for good (the others are loaded and announced)."""

    @task(pool="spotify_api", retry_policy=RetryAfterPolicy(), trigger_rule="all_done")
    def catch_up_plays() -> dict:
        """Read recently played for people the history room owns whom no capture has read."""
        from spotify_etl.history.capture import catch_up

        return catch_up()

    batches = snapshot_batch.expand(user_ids=plan_batches())
    batches >> [summarize(), all_batches_succeeded(), catch_up_plays()]


spotify_daily_snapshot()
