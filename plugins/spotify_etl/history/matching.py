"""The dedupe rule: when two records of a play are the same play.

Three clocks tell when a play ended: recently played's `played_at` (milliseconds), the extended
history's `ts` (seconds, and a few seconds off the API's) and account data's `endTime` (the
minute). Each record is an interval of possible end times: [t, t] for a capture, [ts, ts + 1 s)
for an extended row, [minute, minute + 60 s) for an account row. Two records are the same play
when they are of the same person, of the same track (the same track id when both have one,
otherwise the same normalised artist and track names), and their intervals lie at most
`TOLERANCE_MS` apart. Each stored play is matched at most once per source (capture, extended,
account), nearest first, so two plays of one track in one minute stay two plays, while an
account row can still find the play an extended row of the same export stored. Pure functions: nothing here reads the store.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import lru_cache
from typing import NamedTuple

TOLERANCE_MS = 15_000  # the API's and the export's clocks differ by seconds, never by 15
PRECISION_MS = {"millisecond": 1, "second": 1_000, "minute": 60_000}
_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[\"'’`´.,!?¿¡:;()\[\]{}]")


def normalise(text: str | None) -> str:
    """Fold a name for comparison: Unicode NFKC, case, quotes and punctuation, spaces."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _PUNCTUATION.sub("", folded)).strip()


@lru_cache(maxsize=65_536)  # an export names the same few thousand tracks again and again
def name_key(artist: str | None, track: str | None) -> str:
    """Return the key that identifies a track by names (for records without a track id)."""
    return f"{normalise(artist)}\x1f{normalise(track)}"


class Known(NamedTuple):
    """A stored play as the rule sees it (a tuple: an import makes hundreds of thousands)."""

    play_id: str
    end_ms: int  # the start of its interval
    precision: str  # millisecond | second | minute
    track_id: str | None
    key: str  # name_key(first artist, track name)


class Candidate(NamedTuple):
    """A record about to be stored."""

    end_ms: int
    precision: str
    track_id: str | None
    key: str


def gap_ms(a_start: int, a_precision: str, b_start: int, b_precision: str) -> int:
    """Return how far apart two end-time intervals lie (0 when they overlap)."""
    a_end = a_start + PRECISION_MS[a_precision] - 1
    b_end = b_start + PRECISION_MS[b_precision] - 1
    return max(0, a_start - b_end, b_start - a_end)


def same_track(known: Known, candidate: Candidate) -> bool:
    """Tell whether two records name the same track (ids first, names when one lacks an id)."""
    if known.track_id and candidate.track_id:
        return known.track_id == candidate.track_id
    return bool(candidate.key) and known.key == candidate.key


class Matcher:
    """Match candidates against the stored plays of one person (a window of them)."""

    def __init__(self, known: list[Known]) -> None:
        self.known = sorted(known, key=lambda k: k.end_ms)
        self._starts = [k.end_ms for k in self.known]
        self.claimed: set[tuple[str, str]] = set()

    def match(self, candidate: Candidate, source: str) -> Known | None:
        """Return the stored play this candidate is (claiming it), or None for a new play."""
        low = candidate.end_ms - TOLERANCE_MS - PRECISION_MS["minute"]
        high = candidate.end_ms + PRECISION_MS[candidate.precision] + TOLERANCE_MS
        best: tuple[int, Known] | None = None
        for index in range(bisect_left(self._starts, low), len(self.known)):
            known = self.known[index]
            if known.end_ms > high:
                break
            if (known.play_id, source) in self.claimed or not same_track(known, candidate):
                continue
            distance = gap_ms(known.end_ms, known.precision, candidate.end_ms,
                              candidate.precision)
            if distance > TOLERANCE_MS:
                continue
            centre = abs((known.end_ms + PRECISION_MS[known.precision] // 2)
                         - (candidate.end_ms + PRECISION_MS[candidate.precision] // 2))
            if best is None or centre < best[0]:
                best = (centre, known)
        if best is None:
            return None
        self.claimed.add((best[1].play_id, source))
        return best[1]

    def add(self, known: Known, source: str) -> None:
        """Count a play this source just stored (claimed by it, open to the other sources)."""
        index = bisect_left(self._starts, known.end_ms)
        self._starts.insert(index, known.end_ms)
        self.known.insert(index, known)
        self.claimed.add((known.play_id, source))
