"""Spotify-shaped JSON objects built from the world, in either API shape.

The extended-quota shape carries every documented field; the development-mode shape drops the
fields Spotify removed in February 2026. Objects are plain dicts, cached and never mutated.
"""

from __future__ import annotations

import urllib.parse
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from spotify_sandbox.world import ALBUM_TYPES, MARKETS, World

if TYPE_CHECKING:
    from spotify_sandbox.world import Play, User

EXTENDED = "extended"
DEVELOPMENT = "development"
MODES = (EXTENDED, DEVELOPMENT)

# Fields Spotify removed from development-mode responses in February 2026.
DEV_REMOVED: dict[str, frozenset[str]] = {
    "artist": frozenset({"popularity", "followers"}),
    "track": frozenset({"popularity", "available_markets", "linked_from"}),
    "album": frozenset({"popularity", "label", "available_markets", "album_group"}),
    "user": frozenset({"country", "email", "product", "followers", "explicit_content"}),
}
OPEN = "https://open.spotify.com"
IMAGE_CDN = "https://i.scdn.co/image/"


def _images(key: str, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"url": f"{IMAGE_CDN}ab67{size:04d}0000{key[:28]}", "height": size, "width": size}
            for size in sizes]


class Objects:
    """Build Spotify objects for one world and one mode; `api` is the /v1 base URL."""

    def __init__(self, world: World, mode: str, *, genres: bool = True) -> None:
        self.world = world
        self.mode = mode
        self.dev = mode == DEVELOPMENT
        # Reports disagree on whether development mode still sends artists' genres: the
        # sandbox can serve full artists without the field (`genres=False`).
        self.genres = genres
        self.artist_simple = lru_cache(maxsize=32768)(self._artist_simple)
        self.artist = lru_cache(maxsize=8192)(self._artist)
        self.album_simple = lru_cache(maxsize=32768)(self._album_simple)
        self.track = lru_cache(maxsize=65536)(self._track)

    def _drop(self, obj: dict[str, Any], kind: str) -> dict[str, Any]:
        if self.dev:
            for key in DEV_REMOVED[kind]:
                obj.pop(key, None)
        return obj

    # ---------------------------------------------------------------- artists
    def _artist_simple(self, a: int, api: str) -> dict[str, Any]:
        aid = str(self.world.artist_ids[a])
        return {"external_urls": {"spotify": f"{OPEN}/artist/{aid}"},
                "href": f"{api}/artists/{aid}", "id": aid, "name": self.world.artist_names[a],
                "type": "artist", "uri": f"spotify:artist:{aid}"}

    def _artist(self, a: int, api: str) -> dict[str, Any]:
        w = self.world
        aid = str(w.artist_ids[a])
        obj = {"external_urls": {"spotify": f"{OPEN}/artist/{aid}"},
               "followers": {"href": None, "total": int(w.artist_followers[a])},
               "genres": w.genres_of(a),
               "href": f"{api}/artists/{aid}", "id": aid,
               "images": _images(w.image_hex(1, a), (640, 320, 160)),
               "name": w.artist_names[a], "popularity": int(w.artist_popularity[a]),
               "type": "artist", "uri": f"spotify:artist:{aid}"}
        if not self.genres:
            del obj["genres"]
        return self._drop(obj, "artist")

    # ---------------------------------------------------------------- albums
    def _album_simple(self, m: int, api: str, group: bool = False) -> dict[str, Any]:
        w = self.world
        mid = str(w.album_ids[m])
        release_date, precision = w.release_date(m)
        artists = [self.artist_simple(int(w.album_artist[m]), api)]
        obj = {"album_type": ALBUM_TYPES[w.album_type[m]],
               "total_tracks": int(w.album_total_tracks[m]),
               "available_markets": MARKETS[: int(w.album_market_cut[m])],
               "external_urls": {"spotify": f"{OPEN}/album/{mid}"},
               "href": f"{api}/albums/{mid}", "id": mid,
               "images": _images(w.image_hex(2, m), (640, 300, 64)),
               "name": w.album_name(m), "release_date": release_date,
               "release_date_precision": precision, "type": "album",
               "uri": f"spotify:album:{mid}", "artists": artists}
        if group:
            obj["album_group"] = ALBUM_TYPES[w.album_type[m]]
        return self._drop(obj, "album")

    def album(self, m: int, api: str) -> dict[str, Any]:
        """Return a full album object with its first 50 tracks."""
        w = self.world
        obj = dict(self.album_simple(m, api))
        start, end = int(w.album_track_start[m]), int(w.album_track_start[m + 1])
        items = [self.track_simple(t, api) for t in range(start, min(end, start + 50))]
        mid = obj["id"]
        obj["tracks"] = paging(f"{api}/albums/{mid}/tracks?offset=0&limit=50", items, 50, 0,
                               end - start, api=f"{api}/albums/{mid}/tracks", params={})
        year = obj["release_date"][:4]
        label = f"{w.artist_names[int(w.album_artist[m])]} Records"
        obj["copyrights"] = [{"text": f"© {year} {label}", "type": "C"},
                             {"text": f"℗ {year} {label}", "type": "P"}]
        obj["external_ids"] = {"upc": f"{(w.seed * 1_000_003 + m * 7_919_993) % 10**12:012d}"}
        obj["genres"] = []
        obj["label"] = label
        obj["popularity"] = int(w.track_popularity[start])
        return self._drop(obj, "album")

    # ---------------------------------------------------------------- tracks
    def _track_artists(self, t: int, api: str) -> list[dict[str, Any]]:
        w = self.world
        artists = [self.artist_simple(int(w.track_artist[t]), api)]
        if w.track_featured[t] >= 0:
            artists.append(self.artist_simple(int(w.track_featured[t]), api))
        return artists

    def _track(self, t: int, api: str) -> dict[str, Any]:
        w = self.world
        tid = str(w.track_ids[t])
        m = int(w.track_album[t])
        obj = {"album": self.album_simple(m, api), "artists": self._track_artists(t, api),
               "available_markets": MARKETS[: int(w.album_market_cut[m])],
               "disc_number": int(w.track_disc[t]), "duration_ms": int(w.track_duration[t]),
               "explicit": bool(w.track_explicit[t]), "external_ids": {"isrc": w.isrc(t)},
               "external_urls": {"spotify": f"{OPEN}/track/{tid}"},
               "href": f"{api}/tracks/{tid}", "id": tid, "is_local": False,
               "name": w.track_name(t), "popularity": int(w.track_popularity[t]),
               "preview_url": None, "track_number": int(w.track_number[t]), "type": "track",
               "uri": f"spotify:track:{tid}"}
        return self._drop(obj, "track")

    def track_simple(self, t: int, api: str) -> dict[str, Any]:
        """Return a simplified track object (as inside an album)."""
        obj = dict(self.track(t, api))
        for key in ("album", "external_ids", "popularity"):
            obj.pop(key, None)
        return obj

    def local_track(self, artist: str, album: str, title: str, seconds: int) -> dict[str, Any]:
        """Return a local-file track: ids, hrefs and most metadata are null or empty."""
        quote = urllib.parse.quote_plus
        album_obj = {"album_type": None, "total_tracks": 0, "available_markets": [],
                     "external_urls": {}, "href": None, "id": None, "images": [],
                     "name": album, "release_date": None, "release_date_precision": None,
                     "type": "album", "uri": None, "artists": []}
        obj = {"album": self._drop(album_obj, "album"),
               "artists": [{"external_urls": {}, "href": None, "id": None, "name": artist,
                            "type": "artist", "uri": None}],
               "available_markets": [], "disc_number": 0, "duration_ms": seconds * 1000,
               "explicit": False, "external_ids": {}, "external_urls": {}, "href": None,
               "id": None, "is_local": True, "name": title, "popularity": 0,
               "preview_url": None, "track_number": 0, "type": "track",
               "uri": f"spotify:local:{quote(artist)}:{quote(album)}:{quote(title)}:{seconds}"}
        return self._drop(obj, "track")

    # ---------------------------------------------------------------- plays
    def play_history(self, u: int, play: Play, api: str) -> dict[str, Any]:
        """Return a play-history object `{track, played_at, context}`."""
        w = self.world
        if play.track == -1 and play.local:
            track: dict[str, Any] | None = self.local_track(*play.local)
        elif play.track < 0:
            track = None
        else:
            track = self.track(play.track, api)
        context = None
        if play.context == "album" and track and track["album"]["id"]:
            context = _context("album", track["album"]["id"], api)
        elif play.context == "artist" and track and track["artists"][0]["id"]:
            context = _context("artist", track["artists"][0]["id"], api)
        elif play.context and play.context.startswith("playlist:"):
            pid = w.fake_playlist_id(u, int(play.context.split(":")[1]))
            context = _context("playlist", pid, api)
        return {"track": track, "played_at": iso_ms(play.played_at_ms), "context": context}

    # ---------------------------------------------------------------- users
    def _user_images(self, user: User) -> list[dict[str, Any]]:
        if user.image_key is None:
            return []
        return _images(self.world.image_hex(3, user.image_key), (300, 64))

    def private_user(self, user: User, api: str) -> dict[str, Any]:
        """Return the private user object of `GET /me`."""
        obj = {"country": user.country, "display_name": user.display_name,
               "email": f"{user.id}@example.com",
               "explicit_content": {"filter_enabled": False, "filter_locked": False},
               "external_urls": {"spotify": f"{OPEN}/user/{user.id}"},
               "followers": {"href": None, "total": user.followers},
               "href": f"{api}/users/{user.id}", "id": user.id,
               "images": self._user_images(user), "product": user.product, "type": "user",
               "uri": f"spotify:user:{user.id}", "account_id": user.account_id}
        return self._drop(obj, "user")

    def public_user(self, user: User, api: str) -> dict[str, Any]:
        """Return the public user object of `GET /users/{id}`."""
        obj = {"display_name": user.display_name,
               "external_urls": {"spotify": f"{OPEN}/user/{user.id}"},
               "followers": {"href": None, "total": user.followers},
               "href": f"{api}/users/{user.id}", "id": user.id,
               "images": self._user_images(user), "type": "user", "uri": f"spotify:user:{user.id}"}
        return self._drop(obj, "user")

    def owner(self, user: User, api: str) -> dict[str, Any]:
        """Return the short user object used for playlist owners and `added_by`."""
        return {"display_name": user.display_name,
                "external_urls": {"spotify": f"{OPEN}/user/{user.id}"},
                "href": f"{api}/users/{user.id}", "id": user.id, "type": "user",
                "uri": f"spotify:user:{user.id}"}

    # ---------------------------------------------------------------- playlists
    @property
    def items_key(self) -> str:
        """Return the playlist's contents key: `items` in development mode, else `tracks`."""
        return "items" if self.dev else "tracks"

    @property
    def item_key(self) -> str:
        """Return the playlist-track's track key: `item` in development mode, else `track`."""
        return "item" if self.dev else "track"

    def playlist_simple(self, playlist: dict[str, Any], owner: User, api: str
                        ) -> dict[str, Any]:
        """Return a simplified playlist (contents as `{href, total}`)."""
        pid = playlist["id"]
        return {"collaborative": playlist["collaborative"],
                "description": playlist["description"],
                "external_urls": {"spotify": f"{OPEN}/playlist/{pid}"},
                "href": f"{api}/playlists/{pid}", "id": pid, "images": [],
                "name": playlist["name"], "owner": self.owner(owner, api),
                "primary_color": None, "public": playlist["public"],
                "snapshot_id": playlist["snapshot_id"],
                self.items_key: {"href": f"{api}/playlists/{pid}/items",
                                 "total": len(playlist["entries"])},
                "type": "playlist", "uri": f"spotify:playlist:{pid}"}

    def playlist_track(self, entry: dict[str, Any], added_by: User, api: str) -> dict[str, Any]:
        """Return a playlist-track object `{added_at, added_by, is_local, track|item}`."""
        return {"added_at": entry["added_at"], "added_by": self.owner(added_by, api),
                "is_local": False, "primary_color": None,
                self.item_key: self.track(entry["track"], api)}


def _context(kind: str, sid: str, api: str) -> dict[str, Any]:
    return {"type": kind, "href": f"{api}/{kind}s/{sid}",
            "external_urls": {"spotify": f"{OPEN}/{kind}/{sid}"}, "uri": f"spotify:{kind}:{sid}"}


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds as Spotify does: `2026-11-20T18:04:05.123Z`."""
    import datetime as dt

    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def paging(href: str, items: list[Any], limit: int, offset: int, total: int, *, api: str,
           params: dict[str, Any]) -> dict[str, Any]:
    """Return an offset paging object whose next/previous point back at the sandbox.

    :param api: the endpoint's absolute URL without query; ``params`` are kept in next/previous.
    """
    def at(new_offset: int) -> str:
        query = {**params, "offset": new_offset, "limit": limit}
        return f"{api}?{urllib.parse.urlencode(query)}"

    return {"href": href, "items": items, "limit": limit,
            "next": at(offset + limit) if offset + limit < total else None,
            "offset": offset, "previous": at(max(0, offset - limit)) if offset > 0 else None,
            "total": total}
