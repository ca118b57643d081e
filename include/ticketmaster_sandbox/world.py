"""The sandbox's concerts: attractions for the Spotify sandbox's artists, and their events.

A pure function of the seed. The artists are the Spotify sandbox's (same seed, same ids, names
and genres), so a Spotify artist can be matched to its attraction by the Spotify link, as on
Ticketmaster. Concerts exist on every date, past and future: each 28-day block has its own
deterministic schedule, so an answer never depends on when it is asked. Nothing here knows HTTP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from spotify_sandbox.world import BASE62, GENRE_FAMILIES, TITLE_WORDS, World, hash01

from ticketmaster_sandbox.cities import VENUES, Venue

BLOCK_DAYS = 28
EPOCH = dt.date(1970, 1, 1).toordinal()
# Share of artists on Ticketmaster (more of the popular ones), and of those with a Spotify link.
ON_TICKETMASTER, ON_TICKETMASTER_POPULAR = 0.45, 0.5
SPOTIFY_LINKED = 0.9
NAMESAKE_SHARE = 0.05  # another act with the same name: the name alone is not enough to match
SUPPORT_ACT_SHARE = 0.25
# Local start times; "late" shows cross midnight UTC in the Americas, "tba" have no time yet.
START_TIMES = ("19:00:00", "19:30:00", "20:00:00", "20:30:00", "21:00:00", "23:30:00", None)
START_TIME_WEIGHTS = (0.22, 0.22, 0.22, 0.15, 0.11, 0.04, 0.04)
STATUSES = ("onsale", "canceled", "postponed", "rescheduled")  # Ticketmaster's spelling
STATUS_WEIGHTS = (0.94, 0.03, 0.01, 0.02)
# Ticketmaster's Music segment and the genres the sandbox's genre families map to
# (ids as Ticketmaster uses them; see docs/ticketmaster_sandbox.md).
MUSIC_SEGMENT = {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"}
FAMILY_GENRE = {
    "rock": ("KnvZfZ7vAeA", "Rock"), "pop": ("KnvZfZ7vAev", "Pop"),
    "hiphop": ("KnvZfZ7vAv1", "Hip-Hop/Rap"), "electronic": ("KnvZfZ7vAvF", "Dance/Electronic"),
    "latin": ("KnvZfZ7vAJ6", "Latin"), "asia": ("KnvZfZ7vAev", "Pop"),
    "soul": ("KnvZfZ7vAee", "R&B"), "jazz": ("KnvZfZ7vAvE", "Jazz"),
    "folk": ("KnvZfZ7vAva", "Folk"), "metal": ("KnvZfZ7vAvt", "Metal"),
    "world": ("KnvZfZ7vAeF", "World"),
}
FAMILIES = list(GENRE_FAMILIES)


def code62(value: int, width: int) -> str:
    """Write a non-negative integer as `width` base62 digits."""
    out = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        out.append(BASE62[digit])
    return "".join(out)


def scramble(value: int, width: int) -> int:
    """Map 0..62**width-1 onto itself one to one, so sequential numbers give unlike ids."""
    # 2654435761 is odd and not a multiple of 31, so it is invertible modulo 62**width.
    return (value * 2654435761 + 97) % (62 ** width)


@dataclass(frozen=True)
class Attraction:
    """A performer on Ticketmaster."""

    index: int  # position among the world's attractions
    id: str
    name: str
    artist: int  # the Spotify sandbox artist it is, or is named like (a namesake)
    spotify_id: str | None  # the artist its Spotify link points at (None: no link)
    family: str
    namesake: bool


@dataclass(frozen=True)
class Event:
    """One concert: where, when (local), who."""

    id: str
    headliner: int  # attraction indexes
    support: int  # -1: none
    venue: Venue
    local_date: dt.date
    local_time: str | None
    status: str
    tour: str | None

    @property
    def starts_at(self) -> dt.datetime | None:
        """Return the UTC start, or None while the time is to be announced."""
        if self.local_time is None:
            return None
        local = dt.datetime.combine(self.local_date, dt.time.fromisoformat(self.local_time),
                                    tzinfo=ZoneInfo(self.venue.city.timezone))
        return local.astimezone(dt.timezone.utc)

    def sort_key(self) -> tuple:
        """Order by start (date-only events at local midnight), then id."""
        start = self.starts_at or dt.datetime.combine(
            self.local_date, dt.time(0), tzinfo=ZoneInfo(self.venue.city.timezone))
        return start.astimezone(dt.timezone.utc), self.id


class ConcertWorld:
    """Attractions and concerts for one seed."""

    def __init__(self, seed: int = 42, world: World | None = None) -> None:
        self.seed = int(seed)
        self.spotify = world if world is not None and world.seed == self.seed \
            else World(seed=self.seed, users=1)
        self._build_attractions()
        self.venue_latitude = np.radians([v.latitude for v in VENUES])
        self.venue_longitude = np.radians([v.longitude for v in VENUES])

    def _build_attractions(self) -> None:
        w = self.spotify
        n = w.n_artists
        artists = np.arange(n)
        popularity = w.artist_popularity / 100.0
        on_tm = hash01(self.seed, 701, artists) < ON_TICKETMASTER + ON_TICKETMASTER_POPULAR * popularity
        linked = hash01(self.seed, 702, artists) < SPOTIFY_LINKED
        namesake = hash01(self.seed, 703, artists) < NAMESAKE_SHARE
        self.attractions: list[Attraction] = []
        for a in np.flatnonzero(on_tm | namesake).tolist():
            family = FAMILIES[int(w.artist_family[a])]
            if on_tm[a]:
                self._add(a, str(w.artist_ids[a]) if linked[a] else None, family, False)
            if namesake[a]:
                # Another act of the same name: linked to some other Spotify artist, or to none.
                other = None
                if hash01(self.seed, 704, a) < 0.5:
                    digits = (hash01(self.seed, 705, a, np.arange(22)) * 62).astype(int)
                    other = "".join(BASE62[d] for d in digits)
                self._add(a, other, FAMILIES[int(hash01(self.seed, 706, a) * len(FAMILIES))],
                          True)
        self.attraction_by_id = {x.id: x for x in self.attractions}
        self.attraction_popularity = np.array(
            [0.15 if x.namesake else w.artist_popularity[x.artist] / 100.0
             for x in self.attractions])
        self.attraction_family = np.array([FAMILIES.index(x.family) for x in self.attractions])
        self.attractions_of_spotify_artist: dict[str, list[Attraction]] = {}
        for x in self.attractions:
            if x.spotify_id:
                self.attractions_of_spotify_artist.setdefault(x.spotify_id, []).append(x)

    def _add(self, artist: int, spotify_id: str | None, family: str, namesake: bool) -> None:
        index = len(self.attractions)
        self.attractions.append(Attraction(
            index=index, id="K8vZ9" + code62(scramble(index + self.seed * 7919, 6), 6),
            name=self.spotify.artist_names[artist], artist=artist, spotify_id=spotify_id,
            family=family, namesake=namesake))

    # ---------------------------------------------------------------- schedule
    @lru_cache(maxsize=64)
    def block(self, number: int) -> dict[str, np.ndarray]:
        """Return one 28-day block's concerts as arrays (headliner, support, day, venue, ...)."""
        rng = np.random.default_rng([self.seed, 711, number])
        rate = 0.5 + 3.5 * self.attraction_popularity
        counts = rng.poisson(rate)
        headliner = np.repeat(np.arange(len(self.attractions)), counts)
        total = len(headliner)
        day = rng.integers(0, BLOCK_DAYS, total)
        venue = rng.integers(0, len(VENUES), total)
        start = rng.choice(len(START_TIMES), size=total, p=START_TIME_WEIGHTS)
        status = rng.choice(len(STATUSES), size=total, p=STATUS_WEIGHTS)
        with_support = rng.random(total) < SUPPORT_ACT_SHARE
        pick = rng.random(total)
        support = np.full(total, -1)
        for family in range(len(FAMILIES)):
            pool = np.flatnonzero(self.attraction_family == family)
            rows = np.flatnonzero(with_support & (self.attraction_family[headliner] == family))
            if len(pool) > 1 and len(rows):
                support[rows] = pool[(pick[rows] * len(pool)).astype(int)]
        support[support == headliner] = -1
        tour = rng.random(total) < 0.5
        return {"headliner": headliner, "support": support, "day": day, "venue": venue,
                "start": start, "status": status, "tour": tour}

    def events(self, first: dt.date, last: dt.date, attractions: set[int] | None = None,
               venues: np.ndarray | None = None) -> list[Event]:
        """Return the concerts with a local date in [first, last], optionally of attractions
        and at venues (a boolean mask over VENUES)."""
        found: list[Event] = []
        for number in range((first.toordinal() - EPOCH) // BLOCK_DAYS,
                            (last.toordinal() - EPOCH) // BLOCK_DAYS + 1):
            b = self.block(number)
            block_start = EPOCH + number * BLOCK_DAYS
            ordinal = block_start + b["day"]
            rows = (ordinal >= first.toordinal()) & (ordinal <= last.toordinal())
            if attractions is not None:
                wanted = np.fromiter(attractions, dtype=np.int64, count=len(attractions))
                rows &= np.isin(b["headliner"], wanted) | np.isin(b["support"], wanted)
            if venues is not None:
                rows &= venues[b["venue"]]
            for row in np.flatnonzero(rows).tolist():
                found.append(self._event(number, row, b))
        return sorted(found, key=Event.sort_key)

    def _event(self, number: int, row: int, b: dict[str, np.ndarray]) -> Event:
        headliner = int(b["headliner"][row])
        tour = None
        if b["tour"][row]:
            r = int(hash01(self.seed, 712, number, headliner)[()] * len(TITLE_WORDS) ** 2)
            tour = f"{TITLE_WORDS[r % len(TITLE_WORDS)]} {TITLE_WORDS[r // len(TITLE_WORDS)]} Tour"
        return Event(
            id="G5v" + code62(scramble(number * 2 ** 20 + row, 10), 10), headliner=headliner,
            support=int(b["support"][row]), venue=VENUES[int(b["venue"][row])],
            local_date=dt.date.fromordinal(EPOCH + number * BLOCK_DAYS + int(b["day"][row])),
            local_time=START_TIMES[int(b["start"][row])], status=STATUSES[int(b["status"][row])],
            tour=tour)

    def distances_km(self, latitude: float, longitude: float) -> np.ndarray:
        """Return every venue's great-circle distance from a point, in km."""
        lat, lon = np.radians(latitude), np.radians(longitude)
        a = (np.sin((self.venue_latitude - lat) / 2) ** 2 + np.cos(lat)
             * np.cos(self.venue_latitude) * np.sin((self.venue_longitude - lon) / 2) ** 2)
        return 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))
