"""Lifetime figures and coverage as plain text (the CLI and the demo print these)."""

from __future__ import annotations

from typing import Any

from spotify_etl.text import table


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


def lifetime_text(figures: dict[str, Any]) -> str:
    """Describe one person's lifetime figures."""
    if not figures["plays"]:
        return f"No plays stored for {figures['user_id']} yet."
    skip = figures["skip_rate"]
    lines = [
        f"{figures['plays']} plays, {figures['minutes'] / 60:.0f} hours, from "
        f"{figures['first_day']} to {figures['last_day']} ({figures['days_with_plays']} days "
        "with plays)",
        f"per day with plays: {figures['plays_per_day']} plays, {figures['minutes_per_day']} "
        f"minutes; per week: {figures['plays_per_week']} plays, "
        f"{figures['minutes_per_week']} minutes",
        "skip rate (extended history): " + (f"{skip:.1%}" if skip is not None else
                                           "unknown (no extended history imported)"),
    ]
    if figures.get("busiest_week"):
        week = figures["busiest_week"]
        lines.append(f"busiest week: {week['week']} ({week['plays']} plays)")
    lines.append("top tracks of all time:")
    lines.append(table([{"plays": t["plays"], "track": t["track"], "artist": t["artist"]}
                        for t in figures["top_tracks"]], ["plays", "track", "artist"]))
    lines.append("top artists of all time (first and last play):")
    lines.append(table([{"plays": a["plays"], "artist": a["artist"],
                         "first play": _day(a["first_play"]), "last play": _day(a["last_play"])}
                        for a in figures["top_artists"]],
                       ["plays", "artist", "first play", "last play"]))
    return "\n".join(lines)
