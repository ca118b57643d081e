"""Airflow retry policy: when Spotify says how long to wait, retry after exactly that long.

Spotify's 429 can ask for hours (quota exhaustion). A task must not sleep that long, and
Airflow's exponential back-off (minutes) would spend every retry inside the wait. This policy
turns the exception's `retry_after` into the next retry's delay; other failures keep the
task's normal back-off. A wait longer than `SPOTIFY_ETL_RATE_LIMIT_RETRY_MAX_WAIT` fails the
task at once instead (local runs set it to 0: a terminal must not wait an hour). Imported by
DAG files only (it imports Airflow).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from airflow.sdk import RetryDecision, RetryPolicy

from spotify_etl.settings import RATE_LIMIT_RETRY_MAX_WAIT, load_settings

if TYPE_CHECKING:
    from airflow.sdk.definitions.context import Context


class RetryAfterPolicy(RetryPolicy):
    """Retry after the delay the failure asked for (`exception.retry_after`, seconds)."""

    def __init__(self, max_delay: timedelta = timedelta(hours=12)) -> None:
        self.max_delay = max_delay

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int,
                 context: Context | None = None) -> RetryDecision:
        retry_after = getattr(exception, "retry_after", None)
        if not isinstance(retry_after, int | float):
            return RetryDecision.default()
        longest = load_settings().rate_limit_retry_max_wait
        if longest is not None and retry_after > longest:
            at = datetime.now(UTC) + timedelta(seconds=retry_after)
            return RetryDecision.fail(
                reason=f"Spotify asked to wait {int(retry_after)} s, longer than "
                       f"{RATE_LIMIT_RETRY_MAX_WAIT} ({longest} s): not retrying; try again "
                       f"after {at:%Y-%m-%d %H:%M} UTC")
        # A little over the asked wait, so the retry does not land on the limit's last second.
        delay = min(timedelta(seconds=retry_after + 5), self.max_delay)
        return RetryDecision.retry(delay=delay,
                                   reason=f"Spotify asked to wait {int(retry_after)} s")
