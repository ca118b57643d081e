"""Analytics results as text for people: a pair's match, a person's changes, a mix.

Pure formatting of stored result documents (`diffs`, `mixes`); used by the CLI and the demo.
People are shown by the labels the caller passes (`names`: display names, see
`people.directory.display_names`), the same in every table; lists cut short say how many more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotify_etl.constants import KINDS
from spotify_etl.text import table


def _label(names: Mapping[str, str] | None, user_id: str) -> str:
    return (names or {}).get(user_id) or user_id


def _percent(facet: float | None) -> float | str:
    """A facet's cosine (0-1) on the score's 0-100 scale; "-" for a facet left out."""
    return "-" if facet is None else round(100 * facet, 1)


def _names(entries: list[dict[str, Any]], limit: int = 8) -> str:
    shown = ", ".join(e.get("name") or e["id"] for e in entries[:limit])
    more = len(entries) - limit
    return (shown + (f" (+{more} more)" if more > 0 else "")) or "none"


def pair_text(documents: list[dict[str, Any]], detail_range: str,
              names: Mapping[str, str] | None = None) -> str:
    """Format a pair's diffs: the match per range, then one range in detail."""
    a, b = (_label(names, user) for user in documents[0]["users"])
    rows = []
    for d in documents:
        if d["status"] != "ok":
            rows.append({"range": d["time_range"], "score": d["message"]})
            continue
        rows.append({"range": d["time_range"], "score": d["score"],
                     **{facet: _percent(d["components"].get(facet))
                        for facet in ("artists", "tracks", "genres")},
                     "shared": f"{len(d['artists']['shared'])} artists, "
                               f"{len(d['tracks']['shared'])} tracks",
                     "together": (d["together"] or {}).get("name") or "-"})
    lines = [f"Taste match of {a} and {b} on {documents[0]['snapshot_date']} (score and its "
             "artists, tracks and genres parts, each 0-100; - where neither has any):",
             table(rows, ["range", "score", "artists", "tracks", "genres", "shared", "together"])]
    detail = next(d for d in documents if d["time_range"] == detail_range)
    if detail["status"] == "ok":
        together = detail["together"]
        lines += [f"\n{detail_range}:",
                  f"  shared artists: {_names(detail['artists']['shared'])}",
                  f"  only {a}: {_names(detail['artists']['only_a'], 5)}",
                  f"  only {b}: {_names(detail['artists']['only_b'], 5)}",
                  f"  shared genres: {', '.join(detail['genres']['shared'][:8]) or 'none'}",
                  "  the track that brings you together: "
                  + (f"{together['name']} by {', '.join(together.get('artists') or [])} "
                     f"({together['why']})" if together else "none yet")]
    return "\n".join(lines)


def changes_text(document: dict[str, Any], kinds: tuple[str, ...] = KINDS,
                 limit: int = 10, names: Mapping[str, str] | None = None) -> str:
    """Format one person's changes (across days or ranges), each list cut at `limit`."""
    user = _label(names, document["users"][0])
    if document["kind"] == "change":
        title = (f"{user}, {document['time_range']}: {document['snapshot_date']} against "
                 f"{document.get('compared_with') or str(document['days']) + ' days earlier'}")
    else:
        title = (f"{user} on {document['snapshot_date']}: {document['to_range']} (now) against "
                 f"{document['from_range']}")
    if document["status"] != "ok":
        return f"{title}\n{document['message']}"
    lines = [title]
    shown = {"entered": limit, "left": limit, "climbed": max(1, limit // 2),
             "fell": max(1, limit // 2)}
    for kind in kinds:
        changes = document[kind]
        rows = ([{"change": "entered", "name": e["name"], "rank": e["rank"]}
                 for e in changes["entered"][:shown["entered"]]]
                + [{"change": "left", "name": e["name"], "was": e["rank"]}
                   for e in changes["left"][:shown["left"]]]
                + [{"change": "climbed", "name": e["name"], "rank": e["rank"],
                    "was": e["previous_rank"], "move": f"+{e['change']}"}
                   for e in changes["climbed"][:shown["climbed"]]]
                + [{"change": "fell", "name": e["name"], "rank": e["rank"],
                    "was": e["previous_rank"], "move": str(e["change"])}
                   for e in changes["fell"][:shown["fell"]]])
        more = [f"+{len(changes[change]) - count} more {change}"
                for change, count in shown.items() if len(changes[change]) > count]
        lines += [f"\n{kind}: {len(changes['entered'])} entered, {len(changes['left'])} left, "
                  f"{len(changes['climbed'])} climbed, {len(changes['fell'])} fell, "
                  f"{changes['unchanged']} unchanged",
                  table(rows, ["change", "name", "rank", "was", "move"]) if rows else "  none"]
        if more:
            lines.append(f"({', '.join(more)}; --json lists all)")
    return "\n".join(lines)


def mix_text(document: dict[str, Any], limit: int | None = None,
             names: Mapping[str, str] | None = None) -> str:
    """Format a stored mix as a table with each track's members and ranks."""
    tracks = document["tracks"][:limit] if limit else document["tracks"]
    rows = [{"#": t["position"], "track": t["name"], "artists": ", ".join(t["artists"]),
             "from": ", ".join(f"{_label(names, r['user_id'])} #{r['rank']}"
                               for r in t["ranks"])}
            for t in tracks]
    credits = ", ".join(f"{_label(names, c['user_id'])} {c['tracks']}"
                        for c in document["credits"])
    lines = [f"Mix of {document['group']} on {document['snapshot_date']} "
             f"({document['length']} of {document['length_requested']} tracks; credits: "
             f"{credits})"]
    if document.get("short_reason"):
        lines.append(document["short_reason"])
    if rows:
        lines.append(table(rows, ["#", "track", "artists", "from"]))
    if limit and document["length"] > limit:
        lines.append(f"... {document['length'] - limit} more")
    return "\n".join(lines)
