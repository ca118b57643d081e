"""Airflow retry policy: when Spotify says how long to wait, retry after exactly that long.

Spotify's 429 can ask for hours (quota exhaustion). A task must not sleep that long, and
Airflow's exponential back-off (minutes) would spend every retry inside the wait. This policy
turns the exception's `retry_after` into the next retry's delay; other failures keep the
task's normal back-off. Imported by DAG files only (it imports Airflow).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from airflow.sdk import RetryDecision, RetryPolicy

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
        # A little over the asked wait, so the retry does not land on the limit's last second.
        delay = min(timedelta(seconds=retry_after + 5), self.max_delay)
        return RetryDecision.retry(delay=delay,
                                   reason=f"Spotify asked to wait {int(retry_after)} s")
