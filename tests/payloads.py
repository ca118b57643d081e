"""Spotify-shaped payloads for tests, in both API shapes (extended and development mode).

Shapes follow Spotify's Web API reference: full track with simplified album and artists,
full artist, play-history objects; development mode drops popularity, followers and markets.
"""

from __future__ import annotations

import copy

ARTIST_IDS = {"Björk": "7w29UYBi0qsHi5RTcv3lmA", "Radiohead": "4Z8W4fKeB5YxbusRsdQVPb",
              "宇多田ヒカル": "7lbSsjYACZHn1MSDXPxNF2", "Sigur Rós": "6UUrUCIZtQeOf8tC0WuzRy"}


def simplified_artist(name: str) -> dict:
    artist_id = ARTIST_IDS[name]
    return {"external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
            "href": f"https://api.spotify.com/v1/artists/{artist_id}", "id": artist_id,
            "name": name, "type": "artist", "uri": f"spotify:artist:{artist_id}"}


def full_artist(name: str, genres: list[str], *, development: bool = False) -> dict:
    artist = simplified_artist(name)
    artist.update({"genres": genres,
                   "images": [{"url": "https://i.scdn.co/image/ab67", "height": 640, "width": 640}]})
    if not development:
        artist.update({"popularity": 71, "followers": {"href": None, "total": 3_100_000}})
    return artist


def track(track_id: str, name: str, artists: list[str], *, album_id: str = "1DFixLWuPkv3KT3TnV35m3",
          isrc: str = "GBAYE0601498", development: bool = False) -> dict:
    payload = {
        "album": {"album_type": "album", "total_tracks": 11, "external_urls": {},
                  "href": f"https://api.spotify.com/v1/albums/{album_id}", "id": album_id,
                  "images": [], "name": "OK Computer", "release_date": "1997-05-21",
                  "release_date_precision": "day", "type": "album",
                  "uri": f"spotify:album:{album_id}",
                  "artists": [simplified_artist(a) for a in artists]},
        "artists": [simplified_artist(a) for a in artists],
        "disc_number": 1, "duration_ms": 284_000, "explicit": False,
        "external_ids": {"isrc": isrc}, "external_urls": {},
        "href": f"https://api.spotify.com/v1/tracks/{track_id}", "id": track_id,
        "is_playable": True, "name": name, "preview_url": None, "track_number": 2,
        "type": "track", "uri": f"spotify:track:{track_id}", "is_local": False,
    }
    if not development:
        payload.update({"popularity": 80, "available_markets": ["SE", "JP"]})
        payload["album"].update({"available_markets": ["SE"], "album_group": "album"})
    return payload


def local_track() -> dict:
    """A local file: Spotify sends null ids and is_local true."""
    return {"album": {"album_type": None, "artists": [], "id": None, "images": [], "name": "",
                      "release_date": None, "type": "album", "uri": None},
            "artists": [{"external_urls": {}, "href": None, "id": None, "name": "Home Taper",
                         "type": "artist", "uri": None}],
            "disc_number": 0, "duration_ms": 215_000, "explicit": False, "external_ids": {},
            "external_urls": {}, "href": None, "id": None, "is_local": True,
            "name": "demo tape", "popularity": 0, "preview_url": None, "track_number": 0,
            "type": "track", "uri": "spotify:local:Home+Taper::demo+tape:215"}


def top_tracks(*, development: bool = False) -> list:
    return [
        track("6rqhFgbbKwnb9MLmUQDhG6", "Paranoid Android", ["Radiohead"], development=development),
        None,
        local_track(),
        track("3n3Ppam7vgaVa1iaRUc9Lp", "Jóga", ["Björk"], isrc="GBBKS9700064",
              development=development),
        {"id": "0bad", "artists": "not a list"},
        track("2Foc5Q5nqNiosCNqttzHof", "First Love", ["宇多田ヒカル", "Björk"],
              isrc="JPTO09901530", development=development),
    ]


def top_artists(*, development: bool = False) -> list:
    return [full_artist("Björk", ["art pop", "icelandic experimental"], development=development),
            full_artist("Sigur Rós", [], development=development),  # genres may be empty
            None]


def play(track_payload, played_at: str) -> dict:
    return {"track": track_payload, "played_at": played_at,
            "context": {"type": "playlist", "uri": "spotify:playlist:37i9dQZF1DX4sWSpwq3LiO",
                        "href": None, "external_urls": {}}}


def recently_played(*, development: bool = False) -> list:
    t = top_tracks(development=development)
    return [play(t[0], "2026-11-20T21:04:05.123Z"), play(None, "2026-11-20T20:00:00.000Z"),
            play(t[2], "2026-11-20T19:00:00Z"), play(t[3], "2026-11-20T18:30:00.5Z"),
            play(copy.deepcopy(t[0]), "2026-11-20T21:04:05.123Z"),  # the same play twice
            play(t[5], "not a time")]
