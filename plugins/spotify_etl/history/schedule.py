"""When to read a person's recently played next: before their expected plays reach the page.

Spotify keeps only the last 50 plays. Each person has a play-rate profile, plays per hour for
each hour of the day (UTC), learned from their own plays: seeded from what is stored (imports,
earlier captures) and updated after every read from the plays it found. The next read is due
when the plays expected since the cursor reach `target` (below 50, for the bursts nobody
predicts), walking forward through the profile (each hour at the busier of it and its
neighbours, as sessions drift); and before the worst case the person has shown (the busiest
rate seen at each hour, capped by their busiest day) could fill the page, for the bursts; while a session is under way (the newest play
is recent) the session's own rate counts too. A full page means the estimate was too low: the
next read comes at the floor. The interval always stays within [floor, ceiling].
Pure functions over plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR_MS = 3_600_000
STEP_MS = 600_000  # the walk forward, ten minutes at a time
LEARNING = 0.25  # weight of one observed hour in the profile
PEAK_DECAY = 0.98  # per observed hour: a busy hour is remembered for weeks
WORST_CASE_PLAYS = 46  # the page is 50: read before the worst case seen could fill it
MAX_RATE = 30.0  # plays per hour no one exceeds (each listed play lasts 30 s or more... and
# tracks average three and a half minutes); caps what a short window seems to show
ACTIVE_WITHIN_MS = 20 * 60_000  # the newest play this recent: a session is under way
SESSION_HOURS = 3.0  # how long an under-way session is assumed to go on


@dataclass(frozen=True)
class Limits:
    """The interval's floor and ceiling and the plays to stay below (minutes, plays)."""

    floor_minutes: int = 10
    ceiling_minutes: int = 720
    target_plays: int = 35


def empty_profile() -> list[float]:
    """Return a profile that knows nothing (plays per hour, for hours 0-23 UTC)."""
    return [0.0] * 24


def profile_from_plays(end_times_ms: list[int], days: int) -> list[float]:
    """Return plays per hour of day, averaged over `days` days of stored plays."""
    counts = [0] * 24
    for end in end_times_ms:
        counts[(end // HOUR_MS) % 24] += 1
    return [c / max(days, 1) for c in counts]


def peak_from_plays(end_times_ms: list[int]) -> list[float]:
    """Return the most plays seen in one hour, for each hour of day, over stored plays."""
    per_hour: dict[int, int] = {}
    for end in end_times_ms:
        per_hour[end // HOUR_MS] = per_hour.get(end // HOUR_MS, 0) + 1
    peak = [0.0] * 24
    for hour, count in per_hour.items():
        peak[hour % 24] = max(peak[hour % 24], min(float(count), MAX_RATE))
    return peak


def learn_peak(peak: list[float], since_ms: int, now_ms: int, play_times_ms: list[int]
               ) -> list[float]:
    """Update the busiest-hour memory with one read's plays (older peaks fade slowly)."""
    peak = list(peak)
    start = since_ms
    while start < now_ms:
        end = min(now_ms, (start // HOUR_MS + 1) * HOUR_MS)
        hour = (start // HOUR_MS) % 24
        share = (end - start) / HOUR_MS
        plays = sum(1 for p in play_times_ms if start < p <= end)
        observed = min(MAX_RATE, plays / max(share, 0.5))
        peak[hour] = max(peak[hour] * PEAK_DECAY ** share, observed)
        start = end
    return peak


def learn(profile: list[float], since_ms: int, now_ms: int, play_times_ms: list[int]
          ) -> list[float]:
    """Update the profile with what one read saw: these plays in (since, now]."""
    profile = list(profile)
    start = since_ms
    while start < now_ms:
        end = min(now_ms, (start // HOUR_MS + 1) * HOUR_MS)
        hour = (start // HOUR_MS) % 24
        share = (end - start) / HOUR_MS  # how much of the hour the read covered
        plays = sum(1 for p in play_times_ms if start < p <= end)
        observed = plays / share if share else 0.0
        weight = LEARNING * share
        profile[hour] = (1 - weight) * profile[hour] + weight * observed
        start = end
    return profile


def next_read_in_ms(profile: list[float], now_ms: int, *, full_page: bool,
                    newest_play_ms: int | None, session_rate: float, limits: Limits,
                    peak: list[float] | None = None, busiest_day: int | None = None) -> int:
    """Return how long to wait before the next read (milliseconds).

    Two walks forward, whichever ends first: the plays expected (the profile, or the session
    under way) reaching `target_plays`, and the worst case (the busiest rate seen at each
    hour, no more than the busiest day seen) reaching the page less a margin.

    :param session_rate: plays per hour of the session under way (0 when none is).
    :param busiest_day: the most plays seen in one day (None: unknown).
    """
    floor, ceiling = limits.floor_minutes * 60_000, limits.ceiling_minutes * 60_000
    if full_page:
        return floor
    active = newest_play_ms is not None and now_ms - newest_play_ms <= ACTIVE_WITHIN_MS
    expected = worst = 0.0
    waited = 0
    while waited < ceiling:
        at = now_ms + waited
        hour = (at // HOUR_MS) % 24
        # sessions drift by an hour from day to day: the busier neighbour counts
        rate = max(profile[hour - 1], profile[hour], profile[(hour + 1) % 24])
        if active and waited < SESSION_HOURS * HOUR_MS:
            rate = max(rate, session_rate)
        expected += rate * STEP_MS / HOUR_MS
        if peak is not None:  # a busy hour seen before may come again (a party, a drive)
            worst += max(rate, peak[hour - 1], peak[hour]) * STEP_MS / HOUR_MS
            if busiest_day is not None:
                worst = min(worst, busiest_day * (1 + waited // (24 * HOUR_MS)))
        if expected >= limits.target_plays or worst >= WORST_CASE_PLAYS:
            break
        waited += STEP_MS
    return max(floor, min(ceiling, waited))


def session_rate(play_times_ms: list[int]) -> float:
    """Return plays per hour over the plays a read found (0 for fewer than two)."""
    if len(play_times_ms) < 2:
        return 0.0
    span = max(play_times_ms) - min(play_times_ms)
    return (len(play_times_ms) - 1) / (span / HOUR_MS) if span else 0.0
