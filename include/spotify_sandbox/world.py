"""The sandbox's synthetic world: catalogue, users, taste, top items and plays.

Everything is a pure function of (seed, index, date): the catalogue is built once with numpy,
users' taste and listening are computed lazily per request and cached. Nothing here knows HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TIME_RANGES = ("short_term", "medium_term", "long_term")
TOP_LIMIT = 50  # Spotify never lists more than ~50 top items [community]
REACHABLE_PLAYS = 50  # only the ~50 most recent plays are reachable
MIN_LISTED_MS = 30_000  # plays under 30 s are not listed

# Genre families: taste mixes genres mostly within one or two families, and the family decides
# which name pool an artist's name comes from (hence the non-ASCII names).
GENRE_FAMILIES: dict[str, tuple[str, list[str]]] = {
    "rock": ("en", ["rock", "indie rock", "alternative rock", "classic rock", "garage rock",
                    "post-punk", "shoegaze", "dream pop", "indie pop", "punk"]),
    "pop": ("en", ["pop", "dance pop", "electropop", "synthpop", "art pop", "bedroom pop",
                   "singer-songwriter"]),
    "hiphop": ("en", ["hip hop", "rap", "trap", "drill", "conscious hip hop", "boom bap",
                      "uk hip hop", "french hip hop"]),
    "electronic": ("eu", ["house", "deep house", "techno", "drum and bass", "dubstep", "ambient",
                          "edm", "trance", "lo-fi beats", "downtempo"]),
    "latin": ("es", ["reggaeton", "latin pop", "bachata", "salsa", "cumbia", "corrido",
                     "urbano latino"]),
    "asia": ("asia", ["k-pop", "j-pop", "j-rock", "city pop", "anime", "c-pop", "k-indie"]),
    "soul": ("en", ["r&b", "neo soul", "soul", "funk", "motown", "alternative r&b"]),
    "jazz": ("eu", ["jazz", "bebop", "smooth jazz", "classical", "baroque", "modern classical",
                    "soundtrack"]),
    "folk": ("en", ["folk", "indie folk", "country", "americana", "bluegrass"]),
    "metal": ("eu", ["metal", "heavy metal", "death metal", "black metal", "metalcore",
                     "doom metal"]),
    "world": ("pt", ["afrobeats", "amapiano", "highlife", "bossa nova", "mpb", "fado",
                     "flamenco"]),
}
GENRES: list[str] = [g for _, (_, gs) in GENRE_FAMILIES.items() for g in gs]
GENRE_FAMILY: np.ndarray = np.array(
    [fi for fi, (_, (_, gs)) in enumerate(GENRE_FAMILIES.items()) for _ in gs])
FAMILY_LOCALE: list[str] = [loc for loc, _ in GENRE_FAMILIES.values()]
EXPLICIT_FAMILIES = {"hiphop", "latin"}

NAME_POOLS: dict[str, dict[str, list[str]]] = {
    "en": {"first": ["Maya", "Jack", "Olivia", "Noah", "Ruby", "Leo", "Ava", "Finn", "Iris",
                     "Owen", "Nina", "Theo", "June", "Cole", "Hazel", "Miles"],
           "last": ["Harper", "Stone", "Reed", "Brooks", "Hale", "Lane", "Fox", "Gray", "Wells",
                    "Knight", "Rivers", "Shaw", "Blake", "Cross"],
           "words": ["Midnight", "Velvet", "Paper", "Golden", "Silent", "Electric", "Hollow",
                     "Neon", "Wild", "Glass", "Crimson", "Lucky", "Northern", "Echo", "Satellite",
                     "Honey", "Ghost", "River", "Summer", "Static"]},
    "eu": {"first": ["Søren", "Jürgen", "Zoë", "Émile", "Björk", "Anaïs", "Lars", "Mathilde",
                     "Jörg", "Åsa", "Łukasz", "Chloé"],
           "last": ["Møller", "Müller", "Lefèvre", "Østergaard", "Brühl", "Dvořák", "Nilsson",
                    "Kowalski", "Éluard", "Schäfer"],
           "words": ["Nacht", "Lumière", "Nordlys", "Kraft", "Échos", "Sturm", "Mørke", "Traum",
                     "Rêverie", "Fjord", "Über", "Stille"]},
    "es": {"first": ["Sofía", "Mateo", "Valentina", "Íñigo", "Lucía", "Martín", "Camila",
                     "Joaquín", "Ximena", "Andrés"],
           "last": ["Muñoz", "García", "Peña", "Núñez", "Rodríguez", "Ibáñez", "Castaño",
                    "López", "Ordóñez"],
           "words": ["Corazón", "Noche", "Fuego", "Señal", "Luna", "Mañana", "Sueño", "Calle",
                     "Niña", "Ritmo"]},
    "pt": {"first": ["João", "Beatriz", "Tomé", "Conceição", "Adebayo", "Chiamaka", "Thabo",
                     "Luís"],
           "last": ["Gonçalves", "Araújo", "Okafor", "Mensah", "Simões", "Nkosi", "Brandão"],
           "words": ["Saudade", "Coração", "Maré", "Lagos", "Sol", "Ilha", "Canção"]},
    "asia": {"first": ["서연", "민준", "Hana", "さくら", "Yuki", "지우", "Ren", "花子", "Jin",
                       "美咲"],
             "last": ["김", "박", "Tanaka", "山田", "이", "Sato", "Chen", "鈴木"],
             "words": ["Seoul", "夜明け", "Blossom", "사랑", "Tokyo", "光", "Neon", "星空",
                       "Starlight", "봄날"]},
}
TITLE_WORDS = ["Love", "Night", "Drive", "Heart", "Fire", "Gold", "Lights", "Dreams", "Rain",
               "Home", "Run", "Stay", "Blue", "Forever", "Alone", "Dance", "Waves", "Shadow",
               "Wonder", "Sugar", "Lost", "Young", "Hold", "Falling", "City", "Ocean", "Sky",
               "Morning", "Tonight", "Paradise", "Bloom", "Signal", "Gravity", "Mirror"]
MARKETS = ["AD", "AE", "AR", "AT", "AU", "BE", "BG", "BO", "BR", "CA", "CH", "CL", "CO", "CR",
           "CY", "CZ", "DE", "DK", "DO", "EC", "EE", "EG", "ES", "FI", "FR", "GB", "GR", "GT",
           "HK", "HN", "HU", "ID", "IE", "IL", "IN", "IS", "IT", "JP", "KR", "LT", "LU", "LV",
           "MA", "MT", "MX", "MY", "NG", "NI", "NL", "NO", "NZ", "PA", "PE", "PH", "PL", "PT",
           "PY", "RO", "SA", "SE", "SG", "SK", "SV", "TH", "TR", "TW", "US", "UY", "VN", "ZA"]
USER_COUNTRIES = ["US", "GB", "DE", "SE", "BR", "MX", "ES", "FR", "JP", "KR", "NL", "NG", "IN",
                  "AU", "CA", "PT", "NO"]
ISRC_COUNTRIES = ["US", "GB", "SE", "DE", "FR", "KR", "JP", "ES", "BR", "MX", "NL", "QM", "QZ"]
ALBUM_TYPES = ("album", "single", "compilation")
PRECISIONS = ("day", "month", "year")

# Drift per time range: (amplitude, periods in days). Short-term taste moves within weeks,
# long-term taste barely moves within a year.
DRIFT = {"short_term": (0.25, (25.0, 50.0)), "medium_term": (0.22, (170.0, 260.0)),
         "long_term": (0.04, (900.0, 1400.0))}


def _mix(x: np.ndarray) -> np.ndarray:
    """Scramble uint64 values (splitmix64 finaliser)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def hash01(*keys: int | np.ndarray) -> np.ndarray:
    """Return deterministic uniforms in [0, 1) for integer keys (broadcast)."""
    h = np.uint64(0x243F6A8885A308D3)
    for key in keys:
        h = _mix(np.asarray(h, dtype=np.uint64) ^ np.asarray(key, dtype=np.int64).astype(np.uint64))
    return (np.asarray(h) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def base62_ids(seed: int, salt: int, n: int) -> np.ndarray:
    """Return n deterministic 22-character base62 ids as a numpy string array."""
    rng = np.random.default_rng([seed, salt, 0xB62])
    digits = rng.integers(0, 62, size=(n, 22), dtype=np.int8)
    chars = np.array(list(BASE62), dtype="<U1")[digits]
    return np.ascontiguousarray(chars).view("<U22").reshape(n)


def _rand(seed: int, *key: object) -> random.Random:
    """Return a Python RNG seeded from a readable key (string seeds are stable across runs)."""
    return random.Random("/".join(map(str, (seed, *key))))


class Play(NamedTuple):
    """One play of a user: end time, what was played and how."""

    played_at_ms: int
    track: int  # catalogue index; -1 = local file, -2 = unavailable (null) track
    ms_played: int
    context: str | None  # "album" | "artist" | "playlist:<id>" | None
    local: tuple[str, str, str, int] | None  # (artist, album, title, seconds) for local files


@dataclass(frozen=True)
class User:
    """A sandbox user's profile (taste is computed lazily from the index)."""

    index: int
    id: str
    display_name: str | None
    country: str
    product: str
    followers: int
    account_id: str
    image_key: int | None
    light: bool  # a light listener: fewer plays, fewer short-term top items
    heavy: bool = False  # a heavy listener: 60 to 160 plays on an ordinary day


HEAVY_SHARE = 0.2  # of the listeners who are not light
BURST_DAY_SHARE = 0.05  # days with a party or a long drive: 180 to 300 plays


class World:
    """The deterministic catalogue and users for one seed."""

    def __init__(self, seed: int = 42, users: int = 50, artists: int = 4000) -> None:
        self.seed = int(seed)
        self.n_users = int(users)
        self.n_artists = int(artists)
        self._build_catalogue()
        self._build_users()

    # ---------------------------------------------------------------- catalogue
    def _build_catalogue(self) -> None:
        rng = np.random.default_rng([self.seed, 1])
        n = self.n_artists
        n_genres = len(GENRES)
        self.artist_ids = base62_ids(self.seed, 1, n)
        self.artist_family = rng.integers(0, len(GENRE_FAMILIES), n)
        # Genres: mostly from the artist's family; ~8% of artists have none (Spotify sends []).
        n_gen = rng.choice([0, 1, 2, 3, 4], size=n, p=[0.08, 0.3, 0.32, 0.2, 0.1])
        has = np.zeros((n, n_genres), dtype=np.float32)
        fam_genres = [np.flatnonzero(GENRE_FAMILY == f) for f in range(len(GENRE_FAMILIES))]
        self.artist_genres: list[np.ndarray] = []
        for a in range(n):
            pool = fam_genres[self.artist_family[a]]
            k = min(int(n_gen[a]), len(pool))
            chosen = rng.choice(pool, size=k, replace=False) if k else pool[:0]
            if k and rng.random() < 0.15:  # an occasional cross-family genre
                chosen = np.append(chosen[:-1], rng.integers(0, n_genres))
            chosen = np.unique(chosen)
            self.artist_genres.append(chosen)
            # Taste still reaches genre-less artists through their family.
            has[a, chosen if k else pool] = 1.0 if k else 0.5
        self.artist_has_genre = has
        self.artist_popularity = np.clip(rng.beta(2.0, 3.5, n) * 100, 0, 100).astype(np.int64)
        self.artist_followers = (np.exp(self.artist_popularity / 100 * 14 + rng.normal(0, 0.8, n))
                                 ).astype(np.int64)
        self.artist_names = [self._artist_name(a) for a in range(n)]
        self.artist_index = {aid: i for i, aid in enumerate(self.artist_ids.tolist())}

        # Albums, contiguous per artist, so an artist's tracks form one index range.
        n_albums = np.clip(1 + rng.poisson(2.5, n), 1, 12)
        self.album_artist = np.repeat(np.arange(n), n_albums)
        m = len(self.album_artist)
        self.album_ids = base62_ids(self.seed, 2, m)
        self.album_type = rng.choice(3, size=m, p=[0.4, 0.52, 0.08])
        n_tracks = np.where(self.album_type == 1, rng.integers(1, 4, m),
                            np.where(self.album_type == 0, rng.integers(7, 21, m),
                                     rng.integers(10, 21, m)))
        self.album_total_tracks = n_tracks
        start_year = rng.integers(1965, 2025, n)[self.album_artist]
        self.album_year = np.minimum(2026, start_year + (rng.random(m) * (2027 - start_year)
                                                         ).astype(np.int64))
        self.album_month = rng.integers(1, 13, m)
        self.album_day = rng.integers(1, 29, m)
        old = self.album_year < 1995
        self.album_precision = np.where(rng.random(m) < np.where(old, 0.35, 0.05), 2,
                                        np.where(rng.random(m) < 0.08, 1, 0))
        self.album_market_cut = np.where(rng.random(m) < 0.1, rng.integers(5, len(MARKETS), m),
                                         len(MARKETS))
        self.album_index = {aid: i for i, aid in enumerate(self.album_ids.tolist())}
        self.artist_album_start = np.concatenate([[0], np.cumsum(n_albums)])

        # Tracks
        self.track_album = np.repeat(np.arange(m), n_tracks)
        t = len(self.track_album)
        album_track_start = np.concatenate([[0], np.cumsum(n_tracks)])
        self.album_track_start = album_track_start
        self.track_ids = base62_ids(self.seed, 3, t)
        self.track_artist = self.album_artist[self.track_album]
        pos = np.arange(t) - album_track_start[self.track_album]
        long_album = n_tracks[self.track_album] > 14
        self.track_disc = np.where(long_album & (pos >= 10), 2, 1)
        self.track_number = np.where(self.track_disc == 2, pos - 10, pos) + 1
        self.track_duration = np.clip(rng.normal(212_000, 55_000, t), 45_000, 720_000
                                      ).astype(np.int64)
        explicit_p = np.where(np.isin(self.artist_family,
                                      [list(GENRE_FAMILIES).index(f) for f in EXPLICIT_FAMILIES]),
                              0.55, 0.08)
        self.track_explicit = rng.random(t) < explicit_p[self.track_artist]
        self.track_popularity = np.clip(self.artist_popularity[self.track_artist]
                                        - rng.integers(0, 35, t), 0, 100)
        self.track_featured = np.where(rng.random(t) < 0.1, rng.integers(0, n, t), -1)
        self.track_featured[self.track_featured == self.track_artist] = -1
        self.track_index = {tid: i for i, tid in enumerate(self.track_ids.tolist())}
        self.artist_track_start = album_track_start[self.artist_album_start]
        self._pop_norm_track = self.track_popularity / 100.0

    def _artist_name(self, a: int) -> str:
        r = _rand(self.seed, "artist", a)
        pool = NAME_POOLS[FAMILY_LOCALE[self.artist_family[a]]]
        if r.random() < 0.2 and FAMILY_LOCALE[self.artist_family[a]] != "asia":
            pool = NAME_POOLS["en"]
        style = r.random()
        if style < 0.4:
            return f"{r.choice(pool['first'])} {r.choice(pool['last'])}"
        if style < 0.75:
            noun = r.choice(TITLE_WORDS)
            return f"The {r.choice(pool['words'])} {noun if noun.endswith('s') else noun + 's'}"
        if style < 0.9:
            return f"{r.choice(pool['words'])} {r.choice(pool['words'])}"
        return f"{r.choice(pool['first'])} & the {r.choice(TITLE_WORDS)}"

    def genres_of(self, a: int) -> list[str]:
        """Return an artist's genres (possibly empty)."""
        return [GENRES[g] for g in self.artist_genres[a]]

    @lru_cache(maxsize=65536)
    def album_name(self, m: int) -> str:
        """Return an album's name."""
        r = _rand(self.seed, "album", m)
        pool = NAME_POOLS[FAMILY_LOCALE[self.artist_family[self.album_artist[m]]]]
        if self.album_type[m] == 1:  # a single is named after its first track
            return self.track_name(int(self.album_track_start[m]))
        if self.album_type[m] == 2 and r.random() < 0.6:
            return f"Greatest Hits {r.choice(['Vol. 1', 'Vol. 2', '1998–2008', '(Remastered)'])}"
        return f"{r.choice(pool['words'])} {r.choice(TITLE_WORDS)}"

    @lru_cache(maxsize=262144)
    def track_name(self, t: int) -> str:
        """Return a track's name."""
        r = _rand(self.seed, "track", t)
        pool = NAME_POOLS[FAMILY_LOCALE[self.artist_family[self.track_artist[t]]]]
        words = [r.choice(TITLE_WORDS) for _ in range(r.choice([1, 1, 2, 2, 3]))]
        if r.random() < 0.35:
            words.insert(0, r.choice(pool["words"]))
        name = " ".join(words)
        if r.random() < 0.05:
            name += " - Remastered 2011"
        elif self.track_featured[t] >= 0 and r.random() < 0.5:
            name += f" (feat. {self.artist_names[self.track_featured[t]]})"
        return name

    def release_date(self, m: int) -> tuple[str, str]:
        """Return an album's (release_date, release_date_precision)."""
        y, mo, d = int(self.album_year[m]), int(self.album_month[m]), int(self.album_day[m])
        precision = PRECISIONS[self.album_precision[m]]
        if precision == "year":
            return f"{y:04d}", precision
        if precision == "month":
            return f"{y:04d}-{mo:02d}", precision
        return f"{y:04d}-{mo:02d}-{d:02d}", precision

    def isrc(self, t: int) -> str:
        """Return a track's ISRC: country, 3-character registrant, 2-digit year, 5 digits."""
        r = _rand(self.seed, "isrc", int(self.track_artist[t]))
        reg = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(3))
        year = int(self.album_year[self.track_album[t]]) % 100
        return f"{r.choice(ISRC_COUNTRIES)}{reg}{year:02d}{t % 100000:05d}"

    def image_hex(self, kind: int, idx: int) -> str:
        """Return the 40-hex-digit key of an image (stable per object)."""
        return hashlib.sha1(f"{self.seed}/{kind}/{idx}".encode()).hexdigest()

    # ---------------------------------------------------------------- search
    def _folded_track_names(self) -> list[str]:
        """Every track's name, case-folded (built on the first free-text search, ~2 s)."""
        if not hasattr(self, "_track_names"):
            self._track_names = [self.track_name(t).casefold()
                                 for t in range(len(self.track_ids))]
        return self._track_names

    def search_artists(self, artist: str) -> list[int]:
        """Return artists whose name contains `artist` (case-insensitive), exact names first."""
        wanted = artist.casefold()
        found = [a for a, name in enumerate(self.artist_names) if wanted in name.casefold()]
        return sorted(found, key=lambda a: (self.artist_names[a].casefold() != wanted,
                                            -int(self.artist_popularity[a]), a))

    def search_tracks(self, *, track: str | None = None, artist: str | None = None,
                      text: str | None = None) -> list[int]:
        """Return tracks matching a search: `track:` and `artist:` filters (substrings of the
        names, case-insensitive) and free text (in the track's or its artist's name); exact
        track names first, then by popularity."""
        if artist:
            pool = [t for a in self.search_artists(artist)
                    for t in range(int(self.artist_track_start[a]),
                                   int(self.artist_track_start[a + 1]))]
        else:
            pool = range(len(self.track_ids))
        names = self._folded_track_names() if not artist else None
        wanted = track.casefold() if track else None
        words = text.casefold().split() if text else []
        found = []
        for t in pool:
            name = names[t] if names is not None else self.track_name(t).casefold()
            if wanted and wanted not in name:
                continue
            if words:
                artist_name = self.artist_names[int(self.track_artist[t])].casefold()
                if not all(w in name or w in artist_name for w in words):
                    continue
            found.append(t)
        exact = wanted or " ".join(words)
        return sorted(found, key=lambda t: ((names[t] if names is not None
                                             else self.track_name(t).casefold()) != exact,
                                            -int(self.track_popularity[t]), t))

    # ---------------------------------------------------------------- users
    def _build_users(self) -> None:
        r = _rand(self.seed, "users")
        ids: list[str] = []
        seen: set[str] = set()
        self.users: list[User] = []
        for u in range(self.n_users):
            if r.random() < 0.7:
                locale = r.choice(list(NAME_POOLS))
                base = r.choice(NAME_POOLS["en"]["first"] + NAME_POOLS["en"]["words"]).lower()
                uid = f"{base}{r.choice(['', '.', '_'])}{r.randint(1, 99999)}"
            else:
                locale = r.choice(list(NAME_POOLS))
                uid = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(28))
            while uid in seen:
                uid += str(r.randint(0, 9))
            seen.add(uid)
            ids.append(uid)
            pool = NAME_POOLS[locale]
            roll = r.random()
            if roll < 0.03:
                display: str | None = None  # Spotify allows users without a display name
            elif roll < 0.25:
                display = uid
            else:
                display = f"{r.choice(pool['first'])} {r.choice(pool['last'])}"
            self.users.append(User(
                index=u, id=uid, display_name=display, country=r.choice(USER_COUNTRIES),
                product="premium" if r.random() < 0.7 else "free",
                followers=int(r.paretovariate(1.3)) - 1,
                account_id="".join(r.choice(BASE62) for _ in range(22)),
                image_key=None if r.random() < 0.3 else u, light=r.random() < 0.1))
        # Drawn apart from `r` so adding listening styles left every id and profile as it was.
        heavy = hash01(self.seed, 41, np.arange(self.n_users)) < HEAVY_SHARE
        self.users = [User(**{**user.__dict__, "heavy": bool(heavy[user.index])
                              and not user.light}) for user in self.users]
        self.user_index = {uid: i for i, uid in enumerate(ids)}

    @lru_cache(maxsize=4096)
    def _taste(self, u: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (candidate artists, their base affinity), the user's stable taste."""
        rng = np.random.default_rng([self.seed, 11, u])
        n_families = rng.choice([1, 2, 2, 3])
        families = rng.choice(len(GENRE_FAMILIES), size=n_families, replace=False)
        pool = np.flatnonzero(np.isin(GENRE_FAMILY, families))
        genres = rng.choice(pool, size=min(len(pool), int(rng.integers(2, 5))), replace=False)
        weights = rng.dirichlet(np.ones(len(genres))) * 1.2
        score = self.artist_has_genre[:, genres] @ weights
        score = score + 0.3 * self.artist_popularity / 100.0
        score = score + 0.35 * (hash01(self.seed, 12, u, np.arange(self.n_artists)) - 0.5)
        in_taste = np.flatnonzero(score > 0.25)
        if len(in_taste) == 0:
            in_taste = np.argsort(-score)[:50]
        favourites = rng.choice(in_taste, size=min(len(in_taste), int(rng.integers(3, 9))),
                                replace=False)
        score[favourites] += 0.8
        candidates = np.argsort(-score, kind="stable")[:300]
        return candidates, score[candidates].astype(np.float64)

    def _artist_scores(self, u: int, day: int, time_range: str) -> tuple[np.ndarray, np.ndarray]:
        """Return candidate artists and their affinity for one time range on one day."""
        candidates, base = self._taste(u)
        amp, periods = DRIFT[time_range]
        salt = TIME_RANGES.index(time_range)
        drift = np.zeros(len(candidates))
        for k, period in enumerate(periods):
            phase = 2 * np.pi * hash01(self.seed, 13, u, candidates, salt * 10 + k)
            drift += np.sin(2 * np.pi * day / period + phase)
        return candidates, base + amp * drift / np.sqrt(len(periods))

    @lru_cache(maxsize=8192)
    def top_artists(self, u: int, day: int, time_range: str) -> tuple[int, ...]:
        """Return the user's top artists (catalogue indexes, best first) as of a day ordinal."""
        candidates, score = self._artist_scores(u, day, time_range)
        order = candidates[np.argsort(-score, kind="stable")]
        return tuple(int(a) for a in order[: self._top_total(u, time_range)])

    def _top_total(self, u: int, time_range: str) -> int:
        if self.users[u].light:
            light = {"short_term": 18, "medium_term": 35, "long_term": TOP_LIMIT}
            return light[time_range]
        return TOP_LIMIT

    def _track_scores(self, u: int, day: int, time_range: str, n_artists: int = 60
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Return candidate tracks (of the user's top artists) and their affinity."""
        candidates, score = self._artist_scores(u, day, time_range)
        top = np.argsort(-score, kind="stable")[:n_artists]
        artists, a_score = candidates[top], score[top]
        starts = self.artist_track_start[artists]
        counts = self.artist_track_start[artists + 1] - starts
        tracks = np.repeat(starts - np.cumsum(np.concatenate([[0], counts[:-1]])), counts) \
            + np.arange(counts.sum())
        amp, periods = DRIFT[time_range]
        phase = 2 * np.pi * hash01(self.seed, 14, u, tracks, TIME_RANGES.index(time_range))
        t_score = (np.repeat(a_score, counts) + 0.5 * self._pop_norm_track[tracks]
                   + 0.5 * (hash01(self.seed, 15, u, tracks) - 0.5)
                   + 0.5 * amp * np.sin(2 * np.pi * day / periods[0] + phase))
        return tracks, t_score

    @lru_cache(maxsize=8192)
    def top_tracks(self, u: int, day: int, time_range: str) -> tuple[int, ...]:
        """Return the user's top tracks (catalogue indexes, best first) as of a day ordinal."""
        tracks, score = self._track_scores(u, day, time_range)
        order = tracks[np.argsort(-score, kind="stable")]
        per_artist: dict[int, int] = {}
        out: list[int] = []
        total = self._top_total(u, time_range)
        for t in order.tolist():
            a = int(self.track_artist[t])
            if per_artist.get(a, 0) >= 3:  # keep the list from being one artist's discography
                continue
            per_artist[a] = per_artist.get(a, 0) + 1
            out.append(t)
            if len(out) >= total:
                break
        return tuple(out)

    # ---------------------------------------------------------------- plays
    def is_burst_day(self, u: int, day: int) -> bool:
        """Tell whether a (non-light) user has a party or a long drive on a day."""
        return (not self.users[u].light
                and float(hash01(self.seed, 22, u, day)) < BURST_DAY_SHARE)

    def daily_play_target(self, u: int, day: int, rng: np.random.Generator) -> int:
        """Return how many plays a user starts on a day: a few, dozens, or up to 300."""
        if self.users[u].light:
            return int(rng.integers(3, 15))
        n = int(rng.integers(15, 61))
        if self.is_burst_day(u, day):
            return 180 + int(float(hash01(self.seed, 23, u, day)) * 121)
        if self.users[u].heavy:
            return 60 + (n - 15) * 100 // 45
        return n

    @lru_cache(maxsize=16384)
    def plays_on(self, u: int, day: int) -> tuple[Play, ...]:
        """Return every play of a user on one UTC day (ordinal), oldest first, incl. skips."""
        rng = np.random.default_rng([self.seed, 21, u, day])
        light = self.users[u].light
        if light and rng.random() < 0.5:
            return ()
        n = self.daily_play_target(u, day, rng)
        tracks, score = self._track_scores(u, day, "short_term", n_artists=40)
        best = np.argsort(-score)[:250]
        weights = np.exp((score[best] - score[best].max()) * 4.0)
        chosen = tracks[best][rng.choice(len(best), size=n, p=weights / weights.sum())]
        discover = rng.random(n) < 0.08  # the odd track outside the user's taste
        chosen = np.where(discover, rng.integers(0, len(self.track_ids), n), chosen)
        day_start = (day - dt.date(1970, 1, 1).toordinal()) * 86_400_000
        n_sessions = int(rng.integers(1, 5))
        session_of = np.sort(rng.integers(0, n_sessions, n))
        # People sleep: sessions start from 06:30; long days start early enough for about
        # three minutes a play to fit before midnight.
        earliest = 6.5
        latest = 23.0 if n <= 80 else max(earliest, 23.0 - n * 0.055)
        if self.is_burst_day(u, day):  # one long session: the party, the drive
            session_of = np.zeros(n, dtype=np.int64)
        session_start = np.sort(rng.uniform(earliest, latest, n_sessions)) * 3_600_000
        plays: list[Play] = []
        clock = -1.0
        for i in range(n):
            s = session_of[i]
            if i == 0 or s != session_of[i - 1]:
                clock = max(clock, session_start[s])
            t = int(chosen[i])
            roll = rng.random()
            local = None
            track = t
            if roll < 0.015:
                track = -1
                r = _rand(self.seed, "local", u, day, i)
                local = (r.choice(self.artist_names), f"{r.choice(TITLE_WORDS)} Demos",
                         f"{r.choice(TITLE_WORDS)} {r.choice(TITLE_WORDS)} (voice memo)",
                         r.randint(40, 400))
                duration = local[3] * 1000
            elif roll < 0.02:
                track = -2  # Spotify occasionally sends a play whose track is null
                duration = int(self.track_duration[t])
            else:
                duration = int(self.track_duration[t])
            skip = rng.random()
            if skip < 0.12:
                ms = int(rng.integers(2_000, MIN_LISTED_MS))
            elif skip < 0.18:
                ms = int(rng.integers(MIN_LISTED_MS, max(duration, MIN_LISTED_MS + 1)))
            else:
                ms = duration
            clock += ms + float(rng.integers(0, 4_000))
            if clock >= 86_400_000:
                break
            c = rng.random()
            context = ("album" if c < 0.35 else "artist" if c < 0.55
                       else f"playlist:{s}" if c < 0.8 else None)
            plays.append(Play(day_start + int(clock), track, ms, context, local))
        return tuple(plays)

    def listed_plays_between(self, u: int, start_ms: int, end_ms: int) -> list[Play]:
        """Return the plays recently-played lists (30 s or more) in [start, end), oldest first."""
        epoch = dt.date(1970, 1, 1).toordinal()
        out: list[Play] = []
        for day in range(epoch + start_ms // 86_400_000, epoch + (end_ms - 1) // 86_400_000 + 1):
            out.extend(p for p in self.plays_on(u, day) if p.ms_played >= MIN_LISTED_MS
                       and start_ms <= p.played_at_ms < end_ms)
        return out

    def recent_plays(self, u: int, now_ms: int) -> list[Play]:
        """Return the reachable listed plays up to now, newest first (at most ~50)."""
        day = dt.date(1970, 1, 1).toordinal() + now_ms // 86_400_000
        out: list[Play] = []
        for back in range(60):
            day_plays = [p for p in self.plays_on(u, day - back)
                         if p.ms_played >= MIN_LISTED_MS and p.played_at_ms <= now_ms]
            out.extend(reversed(day_plays))
            if len(out) >= REACHABLE_PLAYS:
                break
        return out[:REACHABLE_PLAYS]

    def fake_playlist_id(self, u: int, session: int) -> str:
        """Return a Spotify-owned-looking playlist id for a play context."""
        h = hash01(self.seed, 31, u, session, np.arange(14))
        return "37i9dQZF1" + "".join(BASE62[int(x * 62)] for x in h[:13])
