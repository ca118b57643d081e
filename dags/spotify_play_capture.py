"""
### Spotify play capture

Every ten minutes: one recently-played read for each person who is **due**, so no play falls
off Spotify's 50-play page and nobody is read more often than their listening needs.

* **Who is due**: each person's next read is set after their last one, from their own play
  rate by hour of day (learned from what is stored and from every read), so the plays expected
  since the cursor stay below `SPOTIFY_ETL_CAPTURE_TARGET_PLAYS` (35); sooner during a session
  and right after a full page; never sooner than `SPOTIFY_ETL_CAPTURE_FLOOR_MINUTES` (10) nor
  later than `SPOTIFY_ETL_CAPTURE_CEILING_MINUTES` (720). Most runs read nobody and cost
  one small query.
* **Gaps**: a full page whose oldest play is newer than the cursor did not reach back; the
  window is recorded in `play_gaps` and shows in `python -m spotify_etl history coverage`.
* **Batches**: due people are split into batches (`SPOTIFY_ETL_BATCH_SIZE`), one mapped task
  each, in the `spotify_api` pool shared with the daily snapshot. XComs hold only user ids and
  counts.
* **Failures**: a revoked token marks the person `needs_reauth`; a long rate limit fails the
  batch and its retry waits as Spotify asked (`RetryAfterPolicy`); 5xx are retried.
* The daily snapshot keeps reading the top lists; once the capture owns a person's plays it
  no longer reads their recently played. See docs/history.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from spotify_etl.spotify.retry_policy import RetryAfterPolicy


@dag(
    dag_id="spotify_play_capture",
    schedule=timedelta(minutes=10),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["spotify", "capture"],
    doc_md=__doc__,
)
def spotify_play_capture():
    @task
    def plan_due() -> list[list[str]]:
        """Batch the people whose next read is due."""
        from spotify_etl.history.capture import plan_capture

        return plan_capture()

    @task(pool="spotify_api", retry_policy=RetryAfterPolicy())
    def capture_batch(user_ids: list[str]) -> dict:
        """Read recently played once for each person of the batch."""
        from spotify_etl.history.capture import capture_batch

        return capture_batch(user_ids)

    capture_batch.expand(user_ids=plan_due())


spotify_play_capture()
