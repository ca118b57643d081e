"""
### Spotify concert bins

Every morning, for every person who opted in by saving a home location: upcoming concerts of
their top artists and artists like them, grouped into bins by sound, near home for the next 30
days. See `docs/concerts.md`.

* **refresh**: each artist anyone needs is looked up at the concert provider (Ticketmaster
  Discovery v2) at most once a day, whoever needs it; which performer an artist is, is kept for
  30 days. Requests are spaced under Ticketmaster's per-second limit.
* **Quota**: when the provider's daily quota runs out mid-run, everything fetched so far is
  kept and the task is retried after the quota resets (`RetryAfterPolicy`); the retry, or the
  next day's run, goes on with the artists not fetched yet.
* **bins**: each person's bins at home are stored in `concert_bins` from whatever is fetched,
  even when the refresh stopped early.
* Without `TICKETMASTER_API_KEY` the refresh is skipped: concerts are off.
* Trigger manually with the Param `day` (YYYY-MM-DD; empty means the run's date).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from spotify_etl.spotify.retry_policy import RetryAfterPolicy


def _day():
    """The day the run is for: the Param, else the run's date (a `date`)."""
    from datetime import date

    context = get_current_context()
    return date.fromisoformat(context["params"].get("day")
                              or context["logical_date"].date().isoformat())


@dag(
    dag_id="spotify_concert_bins",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10),
                  "retry_exponential_backoff": True, "max_retry_delay": timedelta(hours=1)},
    params={"day": Param("", type="string", description="YYYY-MM-DD; empty means the run's date.")},
    tags=["spotify", "concerts"],
    doc_md=__doc__,
)
def spotify_concert_bins():
    @task(retry_policy=RetryAfterPolicy())
    def refresh() -> dict:
        """Fetch the concerts every opted-in person's bins need, once per artist per day."""
        from airflow.sdk.exceptions import AirflowSkipException

        from spotify_etl.concerts.fetch import QUOTA_EXHAUSTED, UNAVAILABLE
        from spotify_etl.concerts.provider import (ProviderNotConfigured, ProviderUnavailable,
                                                   QuotaExhausted)
        from spotify_etl.concerts.service import refresh_opted_in

        try:
            report = refresh_opted_in(_day())
        except ProviderNotConfigured as error:
            raise AirflowSkipException(str(error)) from None
        if report["status"] == QUOTA_EXHAUSTED:  # kept what was fetched; retry after the reset
            raise QuotaExhausted(report["retry_after"] or 3600, f"{report['remaining']} artists "
                                 f"left after fetching {report['fetched']}")
        if report["status"] == UNAVAILABLE:
            raise ProviderUnavailable(report["error"])
        return report

    @task(trigger_rule="all_done")
    def bins() -> dict:
        """Store each opted-in person's bins at home from what is fetched."""
        from spotify_etl.concerts.service import store_opted_in_bins

        return store_opted_in_bins(_day())

    refresh() >> bins()


spotify_concert_bins()
