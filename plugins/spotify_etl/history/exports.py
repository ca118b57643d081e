"""Read Spotify's "Download your data" exports: a zip, a folder or one JSON file.

Two formats: account data (`StreamingHistory_music_N.json`, `StreamingHistory_podcast_N.json`:
`endTime` to the minute, names only) and the extended streaming history
(`Streaming_History_Audio_<years>_N.json`, older `endsong_N.json`: `ts` to the second, URIs,
podcasts and audiobooks). `scan` checks every file before anything is written and names the
first problem; `rows` then yields parsed rows file by file (one file in memory at a time).
Fields nobody needs (`ip_addr`, user agents, `username`) are never read into a row.
Nothing here touches the store.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

EXTENDED, ACCOUNT = "extended", "account"
MUSIC, EPISODE, AUDIOBOOK = "music", "episode", "audiobook"
_PATTERNS = (
    (re.compile(r"^Streaming_History_Audio_[\d_-]+\.json$"), EXTENDED, None),
    (re.compile(r"^endsong_\d+\.json$"), EXTENDED, None),
    (re.compile(r"^StreamingHistory_music_\d+\.json$"), ACCOUNT, MUSIC),
    (re.compile(r"^StreamingHistory\d+\.json$"), ACCOUNT, MUSIC),  # before 2023
    (re.compile(r"^StreamingHistory_podcast_\d+\.json$"), ACCOUNT, EPISODE),
)
_IGNORED = re.compile(r"^Streaming_History_Video_.*\.json$")  # video: not listening
_END_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
EXPECTED = ("StreamingHistory_music_N.json, StreamingHistory_podcast_N.json or "
            "Streaming_History_Audio_<years>_N.json")


class ExportError(ValueError):
    """The export cannot be imported; the message names the file and the problem."""


@dataclass(frozen=True)
class HistoryFile:
    """One history file of an export, and how to read its bytes."""

    name: str  # the file name without folders
    format: str  # extended | account
    kind: str | None  # account files: music | episode; extended files hold every kind
    read: Callable[[], bytes]


@dataclass
class ExportSummary:
    """What `scan` found: files per format, rows per format and kind, the time span."""

    files: dict[str, int] = field(default_factory=lambda: {EXTENDED: 0, ACCOUNT: 0})
    rows: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    first_end_ms: int | None = None
    last_end_ms: int | None = None

    @property
    def total_rows(self) -> int:
        """Rows in all history files."""
        return sum(self.rows.values())


def _kind_of(name: str) -> tuple[str, str | None] | None:
    for pattern, fmt, kind in _PATTERNS:
        if pattern.match(name):
            return fmt, kind
    return None


def history_files(path: str | Path) -> tuple[list[HistoryFile], list[str]]:
    """List the history files of a zip, a folder or one file; return them and the ignored."""
    path = Path(path)
    if not path.exists():
        raise ExportError(f"{path}: no such file or folder")
    entries: list[tuple[str, Callable[[], bytes]]] = []
    if path.is_dir():
        entries = [(p.name, p.read_bytes) for p in sorted(path.rglob("*.json"))]
    elif zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        entries = [(Path(info.filename).name, (lambda n=info.filename: archive.read(n)))
                   for info in archive.infolist() if not info.is_dir()]
    else:
        kind = _kind_of(path.name)
        if kind is None:
            raise ExportError(f"{path.name} is not a Spotify streaming history file "
                              f"(expected a zip, a folder, or {EXPECTED})")
        entries = [(path.name, path.read_bytes)]
    found, ignored = [], []
    for name, read in entries:
        kind = _kind_of(name)
        if kind is None:
            ignored.append(name)
            continue
        found.append(HistoryFile(name, kind[0], kind[1], read))
    if not found:
        raise ExportError(f"{path.name} holds no Spotify streaming history ({EXPECTED}); "
                          "nothing was imported")
    order = {EXTENDED: 0, ACCOUNT: 1}  # extended first: account rows then find its plays
    found.sort(key=lambda f: (order[f.format], f.kind or "", _number(f.name)))
    return found, [n for n in ignored if not _IGNORED.match(n)]


def _number(name: str) -> tuple[int, str]:
    digits = re.findall(r"\d+", name)
    return (int(digits[-1]) if digits else 0, name)


def _ms(ts: Any, where: str) -> int:
    if not isinstance(ts, str):
        raise ExportError(f"{where}: ts must be an ISO 8601 time, not {type(ts).__name__}")
    try:
        parsed = datetime.fromisoformat(ts)
    except ValueError:
        raise ExportError(f"{where}: ts {ts!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise ExportError(f"{where}: ts {ts!r} has no time zone (Spotify writes UTC, with Z)")
    return int(parsed.timestamp() * 1000)


def _minute_ms(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _END_TIME.match(value):
        raise ExportError(f"{where}: endTime must look like 2024-03-15 18:22, not {value!r}")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        raise ExportError(f"{where}: endTime {value!r} is not a date and time") from None
    return int(parsed.timestamp() * 1000)


def _ms_played(value: Any, where: str, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ExportError(f"{where}: {name} must be a whole number of milliseconds")
    return value


def _text(row: dict[str, Any], name: str, where: str) -> str | None:
    value = row.get(name)
    if value is not None and not isinstance(value, str):
        raise ExportError(f"{where}: {name} must be text")
    return value


def _parse_extended(row: dict[str, Any], where: str) -> dict[str, Any]:
    if "ts" not in row or "ms_played" not in row:
        missing = "ts" if "ts" not in row else "ms_played"
        raise ExportError(f"{where}: no {missing}; this is not an extended streaming history row")
    parsed: dict[str, Any] = {
        "format": EXTENDED, "end_ms": _ms(row["ts"], where), "precision": "second",
        "ms_played": _ms_played(row["ms_played"], where, "ms_played"),
        "skipped": bool(row.get("skipped")), "shuffle": row.get("shuffle"),
        "offline": row.get("offline"), "reason_start": _text(row, "reason_start", where),
        "reason_end": _text(row, "reason_end", where),
        "platform": _text(row, "platform", where),
        "conn_country": _text(row, "conn_country", where)}
    track_uri = _text(row, "spotify_track_uri", where)
    if row.get("spotify_episode_uri") or row.get("episode_name"):
        parsed.update(kind=EPISODE, uri=_text(row, "spotify_episode_uri", where),
                      title=_text(row, "episode_name", where),
                      show=_text(row, "episode_show_name", where))
    elif row.get("audiobook_chapter_uri") or row.get("audiobook_title"):
        parsed.update(kind=AUDIOBOOK, uri=_text(row, "audiobook_chapter_uri", where),
                      title=_text(row, "audiobook_chapter_title", where),
                      show=_text(row, "audiobook_title", where),
                      audiobook_uri=_text(row, "audiobook_uri", where))
    else:
        track_id = None
        if track_uri:
            if not track_uri.startswith("spotify:track:"):
                raise ExportError(f"{where}: spotify_track_uri {track_uri!r} is not a track URI")
            track_id = track_uri.rsplit(":", 1)[1]
        parsed.update(kind=MUSIC, track_id=track_id,
                      track_name=_text(row, "master_metadata_track_name", where),
                      artist_name=_text(row, "master_metadata_album_artist_name", where),
                      album_name=_text(row, "master_metadata_album_album_name", where))
    return parsed


def _parse_account(row: dict[str, Any], kind: str | None, where: str) -> dict[str, Any]:
    if "endTime" not in row or "msPlayed" not in row:
        missing = "endTime" if "endTime" not in row else "msPlayed"
        raise ExportError(f"{where}: no {missing}; this is not an account-data streaming row")
    parsed = {"format": ACCOUNT, "end_ms": _minute_ms(row["endTime"], where),
              "precision": "minute", "ms_played": _ms_played(row["msPlayed"], where, "msPlayed")}
    if kind == EPISODE or "podcastName" in row:
        parsed.update(kind=EPISODE, uri=None, title=_text(row, "episodeName", where),
                      show=_text(row, "podcastName", where))
    else:
        if "trackName" not in row or "artistName" not in row:
            raise ExportError(f"{where}: no trackName/artistName in a music history row")
        parsed.update(kind=MUSIC, track_id=None, track_name=_text(row, "trackName", where),
                      artist_name=_text(row, "artistName", where), album_name=None)
    return parsed


class _ExtendedRow(msgspec.Struct):
    """The extended row's fields a row is built from, typed: msgspec checks them in C.

    Fields not named here (`ip_addr`, user agents, `username`...) are skipped unread.
    """

    ts: str
    ms_played: int
    skipped: Any = None
    shuffle: Any = None
    offline: Any = None
    reason_start: str | None = None
    reason_end: str | None = None
    platform: str | None = None
    conn_country: str | None = None
    spotify_track_uri: str | None = None
    master_metadata_track_name: str | None = None
    master_metadata_album_artist_name: str | None = None
    master_metadata_album_album_name: str | None = None
    episode_name: str | None = None
    episode_show_name: str | None = None
    spotify_episode_uri: str | None = None
    audiobook_title: str | None = None
    audiobook_uri: str | None = None
    audiobook_chapter_uri: str | None = None
    audiobook_chapter_title: str | None = None


_EXTENDED_DECODER = msgspec.json.Decoder(list[_ExtendedRow])


def _typed_extended(file: HistoryFile, *, build: bool = True) -> list[Any] | None:
    """Parse an extended file the fast way: its rows, or None when any row is unusual.

    The result equals `_parse_extended` of every row; a file with a row it would refuse (or
    one of an unusual shape) is None, and the caller takes the slow path, which names the
    problem or accepts the row. With `build` False (the scan) each row is (kind, end_ms).
    """
    try:
        typed = _EXTENDED_DECODER.decode(file.read())
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(f"{file.name}: cannot be read ({error})") from None
    parsed_rows = []
    append, fromisoformat = parsed_rows.append, datetime.fromisoformat
    try:
        for row in typed:
            ms_played = row.ms_played
            if ms_played < 0:
                return None
            moment = fromisoformat(row.ts)
            if moment.tzinfo is None:
                return None
            kind = (EPISODE if row.spotify_episode_uri or row.episode_name else
                    AUDIOBOOK if row.audiobook_chapter_uri or row.audiobook_title else MUSIC)
            track_uri = row.spotify_track_uri
            if kind == MUSIC and track_uri and not track_uri.startswith("spotify:track:"):
                return None
            end_ms = int(moment.timestamp() * 1000)
            if not build:
                append((kind, end_ms))
                continue
            parsed: dict[str, Any] = {
                "format": EXTENDED, "end_ms": end_ms, "kind": kind,
                "precision": "second", "ms_played": ms_played, "skipped": bool(row.skipped),
                "shuffle": row.shuffle, "offline": row.offline,
                "reason_start": row.reason_start, "reason_end": row.reason_end,
                "platform": row.platform, "conn_country": row.conn_country}
            if kind == EPISODE:
                parsed.update(uri=row.spotify_episode_uri, title=row.episode_name,
                              show=row.episode_show_name)
            elif kind == AUDIOBOOK:
                parsed.update(uri=row.audiobook_chapter_uri, title=row.audiobook_chapter_title,
                              show=row.audiobook_title, audiobook_uri=row.audiobook_uri)
            else:
                parsed.update(track_id=track_uri.rsplit(":", 1)[1] if track_uri else None,
                              track_name=row.master_metadata_track_name,
                              artist_name=row.master_metadata_album_artist_name,
                              album_name=row.master_metadata_album_album_name)
            append(parsed)
    except ValueError:  # a ts that is no ISO 8601 time
        return None
    return parsed_rows


def _load(file: HistoryFile) -> list[Any]:
    try:
        data = json.loads(file.read())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExportError(f"{file.name}: not valid JSON ({error.__class__.__name__} at "
                          f"{getattr(error, 'pos', '?')})") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(f"{file.name}: cannot be read ({error})") from None
    if not isinstance(data, list):
        raise ExportError(f"{file.name}: expected a JSON list of plays, found "
                          f"{type(data).__name__}")
    return data


def parse_file(file: HistoryFile) -> list[dict[str, Any]]:
    """Parse and check one history file; raise ExportError naming the row at fault."""
    rows = _typed_extended(file) if file.format == EXTENDED else None
    if rows is None:
        rows = []
        for number, row in enumerate(_load(file), start=1):
            where = f"{file.name} row {number}"
            if not isinstance(row, dict):
                raise ExportError(f"{where}: expected an object, found {type(row).__name__}")
            rows.append(_parse_extended(row, where) if file.format == EXTENDED
                        else _parse_account(row, file.kind, where))
    rows.sort(key=lambda r: r["end_ms"])
    return rows


def scan(path: str | Path) -> ExportSummary:
    """Check every history file of an export, fully, before anything is written."""
    files, ignored = history_files(path)
    summary = ExportSummary(ignored=ignored)
    for file in files:
        summary.files[file.format] += 1
        seen = _typed_extended(file, build=False) if file.format == EXTENDED else None
        if seen is None:
            seen = [(r["kind"], r["end_ms"]) for r in parse_file(file)]
        for kind, count in Counter(kind for kind, _ in seen).items():
            key = f"{file.format}_{kind}"
            summary.rows[key] = summary.rows.get(key, 0) + count
        if seen:
            first, last = min(end for _, end in seen), max(end for _, end in seen)
            summary.first_end_ms = min(first, summary.first_end_ms or first)
            summary.last_end_ms = max(last, summary.last_end_ms or last)
    return summary


def rows(path: str | Path) -> Iterator[tuple[HistoryFile, list[dict[str, Any]]]]:
    """Yield each history file with its parsed rows (extended files first)."""
    files, _ = history_files(path)
    for file in files:
        yield file, parse_file(file)
