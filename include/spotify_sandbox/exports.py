"""Spotify's "Download your data" exports for a sandbox user, consistent with the plays served.

Both formats Spotify delivers, from the same `World.plays_on` the recently-played endpoint
answers from: account data (`StreamingHistory_music_N.json`, `endTime` to the minute) and the
extended streaming history (`Streaming_History_Audio_<years>_N.json`, `ts` to the second, with
podcast and audiobook rows). Zipped as Spotify ships them (`my_spotify_data.zip`). Rows are
produced day by day and written file by file, so ten years never sit in memory at once.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from spotify_sandbox.world import BASE62, World, hash01

ACCOUNT_FOLDER = "Spotify Account Data"
EXTENDED_FOLDER = "Spotify Extended Streaming History"
ACCOUNT_ROWS_PER_FILE = 10_000
EXTENDED_ROWS_PER_FILE = 15_000  # about 12 MB, as Spotify splits them
PLATFORMS = ("android", "ios", "osx", "windows", "web_player")
SHOWS = ("The Daily Signal", "Morning Briefing", "Science Hour", "Football Weekly",
         "Design Matters", "Histoire en Podcast", "Hablemos de Cine", "Tech Today")
BOOKS = ("The Long Road North", "A Sea of Glass", "Letters from Lisbon", "The Quiet Engine")
EPOCH = dt.date(1970, 1, 1).toordinal()


def _id22(*keys: int) -> str:
    h = hash01(*keys, np.arange(22))
    return "".join(BASE62[int(x * 62)] for x in h)


def end_ts_seconds(world: World, u: int, played_at_ms: int) -> int:
    """Return the extended history's end of play (`ts`) in epoch seconds.

    The API's `played_at` to the second, up to two seconds off: the two clocks are not the
    same one in Spotify either.
    """
    jitter = (played_at_ms * 2654435761 + world.seed * 97 + u * 31) % 5 - 2
    return played_at_ms // 1000 + jitter


def _iso_s(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minute(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _base_row(world: World, u: int, end_s: int, ms_played: int) -> dict[str, Any]:
    user = world.users[u]
    platform = PLATFORMS[(world.seed + u * 7) % len(PLATFORMS)]
    roll = (end_s * 40503 + u * 8191) % 1000 / 1000
    offline = roll < 0.02
    return {"ts": _iso_s(end_s), "platform": platform, "ms_played": int(ms_played),
            "conn_country": user.country,
            "ip_addr": f"10.{u % 250}.{end_s % 250}.{(end_s // 250) % 250}",
            "master_metadata_track_name": None, "master_metadata_album_artist_name": None,
            "master_metadata_album_album_name": None, "spotify_track_uri": None,
            "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
            "audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None, "reason_start": "trackdone",
            "reason_end": "trackdone", "shuffle": 0.5 < roll < 0.8,
            "skipped": False, "offline": offline,
            "offline_timestamp": (end_s - 60) * 1000 if offline else None,
            "incognito_mode": False}


def _spoken_rows(world: World, u: int, day: int, first_music_ms: int | None
                 ) -> list[dict[str, Any]]:
    """Podcast episodes and audiobook chapters before the day's first music, for some users."""
    rows = []
    day_ms = (day - EPOCH) * 86_400_000
    slots = []
    if float(hash01(world.seed, 51, u)) < 0.3 and float(hash01(world.seed, 52, u, day)) < 0.5:
        slots.append(("episode", day_ms + 5 * 3_600_000))
    if float(hash01(world.seed, 53, u)) < 0.12 and float(hash01(world.seed, 54, u, day)) < 0.4:
        slots.append(("chapter", day_ms + 4 * 3_600_000))
    for kind, start_ms in slots:
        length_ms = 600_000 + int(float(hash01(world.seed, 55, u, day, len(rows))) * 2_400_000)
        end_ms = start_ms + length_ms
        if first_music_ms is not None and end_ms >= first_music_ms - 60_000:
            continue  # nobody listens to two things at once
        row = _base_row(world, u, end_ms // 1000, length_ms)
        pick = int(float(hash01(world.seed, 56, u, day)) * 1000)
        if kind == "episode":
            row.update(episode_name=f"Episode {pick}", episode_show_name=SHOWS[pick % len(SHOWS)],
                       spotify_episode_uri=f"spotify:episode:{_id22(world.seed, 57, u, day)}")
        else:
            book = pick % len(BOOKS)
            row.update(audiobook_title=BOOKS[book],
                       audiobook_uri=f"spotify:audiobook:{_id22(world.seed, 58, book)}",
                       audiobook_chapter_uri=f"spotify:chapter:{_id22(world.seed, 59, u, day)}",
                       audiobook_chapter_title=f"Chapter {1 + pick % 40}")
        rows.append(row)
    return sorted(rows, key=lambda r: r["ts"])


def extended_rows(world: World, u: int, first: dt.date, last: dt.date
                  ) -> Iterator[dict[str, Any]]:
    """Yield the extended streaming history rows of [first, last], oldest first."""
    for day in range(first.toordinal(), last.toordinal() + 1):
        plays = world.plays_on(u, day)
        yield from _spoken_rows(world, u, day, plays[0].played_at_ms if plays else None)
        previous_done = True
        for play in plays:
            end_s = end_ts_seconds(world, u, play.played_at_ms)
            row = _base_row(world, u, end_s, play.ms_played)
            if play.track >= 0:
                t = play.track
                duration = int(world.track_duration[t])
                row.update(master_metadata_track_name=world.track_name(t),
                           master_metadata_album_artist_name=world.artist_names[
                               int(world.track_artist[t])],
                           master_metadata_album_album_name=world.album_name(
                               int(world.track_album[t])),
                           spotify_track_uri=f"spotify:track:{world.track_ids[t]}")
            elif play.local is not None:  # a local file: names, no URI
                artist, album, title, seconds = play.local
                duration = seconds * 1000
                row.update(master_metadata_track_name=title,
                           master_metadata_album_artist_name=artist,
                           master_metadata_album_album_name=album)
            else:  # Spotify sends music rows whose track fields are all null
                duration = play.ms_played
            done = play.ms_played >= duration
            row.update(reason_start="trackdone" if previous_done else "fwdbtn",
                       reason_end="trackdone" if done else "fwdbtn", skipped=not done)
            previous_done = done
            yield row


def account_row(row: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Return the account data's ("music" | "podcast", row) for an extended row, if any.

    Account data has no audiobooks and no rows without a track name.
    """
    end_ms = int(dt.datetime.fromisoformat(row["ts"]).timestamp() * 1000)
    if row["episode_name"] is not None:
        return "podcast", {"endTime": _minute(end_ms), "podcastName": row["episode_show_name"],
                           "episodeName": row["episode_name"], "msPlayed": row["ms_played"]}
    if row["master_metadata_track_name"] is not None:
        return "music", {"endTime": _minute(end_ms),
                         "artistName": row["master_metadata_album_artist_name"],
                         "trackName": row["master_metadata_track_name"],
                         "msPlayed": row["ms_played"]}
    return None


def _write_json(archive: zipfile.ZipFile, name: str, rows: Any) -> None:
    if isinstance(rows, list):  # one row a line, as readable as Spotify's and much faster
        text = "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]"
    else:
        text = json.dumps(rows, ensure_ascii=False)
    with archive.open(name, "w") as handle:
        handle.write(text.encode())


def write_export(world: World, u: int, target: str | IO[bytes], *, until: dt.date,
                 days: int = 365, extended_days: int | None = None,
                 formats: tuple[str, ...] = ("account", "extended")) -> dict[str, int]:
    """Write `my_spotify_data.zip` for one user; return rows per format.

    Account data covers the `days` up to `until` (Spotify gives about a year); the extended
    history covers `extended_days` (default: the same days). One pass over the days feeds
    both, a file at a time.
    """
    counts = {"account_music": 0, "account_podcast": 0, "extended": 0}
    account_first = until - dt.timedelta(days=days - 1)
    extended_first = until - dt.timedelta(days=(extended_days or days) - 1)
    want_account, want_extended = "account" in formats, "extended" in formats
    first = min(account_first if want_account else until, extended_first if want_extended
                else until)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        buffers: dict[str, list[dict[str, Any]]] = {"music": [], "podcast": [], "extended": []}
        numbers = {"music": 0, "podcast": 0, "extended": 0}

        def flush(kind: str) -> None:
            rows = buffers[kind]
            if kind == "extended":
                label = "-".join(sorted({rows[0]["ts"][:4], rows[-1]["ts"][:4]}))
                name = f"{EXTENDED_FOLDER}/Streaming_History_Audio_{label}_{numbers[kind]}.json"
            else:
                name = f"{ACCOUNT_FOLDER}/StreamingHistory_{kind}_{numbers[kind]}.json"
                counts[f"account_{kind}"] += len(rows)
            if kind == "extended":
                counts["extended"] += len(rows)
            _write_json(zf, name, rows)
            numbers[kind] += 1
            buffers[kind] = []

        account_from, extended_from = account_first.isoformat(), extended_first.isoformat()
        for row in extended_rows(world, u, first, until):
            day = row["ts"][:10]
            if want_extended and day >= extended_from:
                buffers["extended"].append(row)
                if len(buffers["extended"]) >= EXTENDED_ROWS_PER_FILE:
                    flush("extended")
            if want_account and day >= account_from:
                converted = account_row(row)
                if converted is not None:
                    kind, account = converted
                    buffers[kind].append(account)
                    if len(buffers[kind]) >= ACCOUNT_ROWS_PER_FILE:
                        flush(kind)
        if want_extended and buffers["extended"]:
            flush("extended")
        if want_account:
            for kind in ("music", "podcast"):
                if buffers[kind] or numbers[kind] == 0:
                    flush(kind)
            user = world.users[u]
            _write_json(zf, f"{ACCOUNT_FOLDER}/Userdata.json",
                        {"username": user.id, "country": user.country})
    return counts
