"""Helpers for the history tests: sandbox exports, ground truth, zips in memory."""

from __future__ import annotations

import datetime as dt
import io

import requests


def export_zip(sandbox, user_id: str, until: dt.date, days: int, **params) -> bytes:
    """Download a person's my_spotify_data.zip from the sandbox."""
    answer = requests.get(f"{sandbox.url}/__sandbox/users/{user_id}/export",
                          params={"until": until.isoformat(), "days": days, **params}, timeout=120)
    answer.raise_for_status()
    return answer.content


def save(content: bytes, path) -> str:
    """Write bytes to a path; return it as text."""
    with open(path, "wb") as handle:
        handle.write(content)
    return str(path)


def listed_truth(world, u: int, start_ms: int, end_ms: int) -> list:
    """The catalogue plays recently played lists (30 s or more) in [start, end)."""
    return [p for p in world.listed_plays_between(u, start_ms, end_ms) if p.track >= 0]


def in_memory_zip(files: dict[str, object]) -> io.BytesIO:
    """Build a zip in memory from {name: JSON-able value or raw bytes}."""
    import json
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in files.items():
            archive.writestr(name, value if isinstance(value, bytes) else json.dumps(value))
    buffer.seek(0)
    return buffer
