"""The demo's analytics section: a group's taste match, a fair mix, a person's week.

Called by `spotify_etl.local.demo` once the simulated days are loaded, with Spotify pointing at the
sandbox. Runs the analytics for each day as the daily DAG would (so the playlist is replaced,
never duplicated) and returns the text to print.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from spotify_etl.analytics import daily, render
from spotify_etl.analytics.groups import add_group
from spotify_etl.constants import TIME_RANGES
from spotify_etl.people.directory import display_names
from spotify_etl.settings import command, load_settings
from spotify_etl.storage import document_id, open_database
from spotify_etl.text import table

DEMO_GROUP = "demo"


def demo_report(user_ids: list[str], first: date, last: date) -> str:
    """Make a publishing demo group of the people, run the analytics day by day, describe it."""
    members = list(user_ids)[:10]
    with open_database() as db:
        add_group(db, DEMO_GROUP, members, publish=True, owner=members[0])
    published = []
    day = first
    while day <= last:  # one daily analytics run per simulated day
        daily.run_mixes(day, group_names=[DEMO_GROUP])
        published.append(daily.run_publish(day, group_names=[DEMO_GROUP],
                                          force=True)["published"].get(DEMO_GROUP))
        day += timedelta(days=1)
    daily.run_diffs(last)
    twins = daily.run_taste_twins(last, k=3)

    with open_database() as db:
        names = display_names(db, members)
        rows = []
        for i, a in enumerate(sorted(members)):
            for b in sorted(members)[i + 1:]:
                row: dict[str, Any] = {"pair": f"{names.get(a, a)} & {names.get(b, b)}"}
                for time_range in TIME_RANGES:
                    diff = db.diffs.find_one({"_id": document_id("pair", a, b, last.isoformat(),
                                                                 time_range)})
                    row[time_range] = diff.get("score") if diff else None
                short = db.diffs.find_one({"_id": document_id("pair", a, b, last.isoformat(),
                                                              "short_term")}) or {}
                row["together (short term)"] = ((short.get("together") or {}).get("name"))
                rows.append(row)
        mix = db.mixes.find_one({"_id": document_id(DEMO_GROUP, last.isoformat())})
        week = daily.change_document(db, members[0], last, (last - first).days,
                                    "short_term")
        group = db.groups.find_one({"_id": DEMO_GROUP})
    lines = [f"Taste match (0-100, rank-weighted; docs/analytics.md) for group {DEMO_GROUP!r} "
             f"on {last}:",
             table(rows, ["pair", *TIME_RANGES, "together (short term)"]),
             "", render.mix_text(mix, limit=10, names=names), "",
             "Week over week, " + render.changes_text(week, kinds=("artists",), limit=5,
                                                      names=names), "",
             _playlist_line(group, mix, published)]
    if twins.get("status") == "done":
        lines.append(f"Taste twins: the 3 most similar people of each of {twins['users']} "
                     "people stored in `taste_twins` (scores only).")
    tries = [command("diff", members[0], members[1], "--range", "short_term"),
             command("mix", DEMO_GROUP)]
    span = (last - first).days  # 7 simulated days span 6: `--days 7` would find no snapshot
    if span:
        tries.append(command("diff", members[0], "--days", str(span)))
    lines.append("Try: " + "   |   ".join(tries))
    return "\n".join(lines)


def _playlist_line(group: dict[str, Any], mix: dict[str, Any], published: list[Any]) -> str:
    """Say what the sandbox now holds: one playlist with the newest mix, or why not."""
    import requests

    runs = f"{sum(s == 'published' for s in published)} of {len(published)} daily runs published"
    try:
        url = load_settings().accounts_base_url.rstrip("/")
        playlists = [p for p in requests.get(f"{url}/__sandbox/playlists", timeout=10)
                     .json()["playlists"] if p["owner"] == group["owner"]]
    except Exception:  # not a sandbox: nothing to inspect
        return f"Playlist {group.get('playlist_id')} on {group['owner']}'s account ({runs})."
    uris = [t["uri"] for t in mix["tracks"]]
    same = any(p["id"] == group.get("playlist_id") and p["uris"] == uris for p in playlists)
    return (f"Published to the sandbox ({runs}): {len(playlists)} playlist(s) on "
            f"{group['owner']}'s account, {group.get('playlist_id')} holds the newest "
            f"{len(uris)}-track mix: {'yes' if same else 'no'}.")
