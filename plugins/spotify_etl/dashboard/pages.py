"""What each dashboard page shows, as plain data: a person, a group, a year in review.

Reads through `dashboard.repository` (and `analytics.repository` for mixes), computes with
the analytics' pure functions; returns dicts the web helper turns into charts. Who may see
what is the web helper's decision, not this module's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.analytics import diffs, repository as analytics_repository
from spotify_etl.analytics.taste_match import rank_weight
from spotify_etl.dashboard import repository
from spotify_etl.people.directory import display_names

if TYPE_CHECKING:
    from pymongo.database import Database

NOW_RANGE = "short_term"  # "now" is the last four weeks
TOP_NOW, BUMP_ARTISTS, BUMP_DAYS, GENRES_SHOWN, CHANGE_DAYS, CLOCK_DAYS = 10, 8, 30, 8, 7, 365
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _item(entry: dict[str, Any]) -> dict[str, Any]:
    return {"id": entry.get("item_id") or entry.get("id"), "name": entry.get("name"),
            "rank": entry.get("rank"), "artists": list(entry.get("artist_names")
                                                       or entry.get("artists") or []),
            "genres": list(entry.get("genres") or [])}


def rank_over_time(lists: dict[date, list[dict[str, Any]]], latest: date,
                   count: int = BUMP_ARTISTS) -> list[dict[str, Any]]:
    """Follow the latest list's top items back in time: one series of (date, rank) each."""
    followed = lists.get(latest, [])[:count]
    days = sorted(lists)
    return [{"id": item["item_id"], "name": item.get("name"),
             "dates": [d.isoformat() for d in days],
             "ranks": [next((i["rank"] for i in lists[d] if i["item_id"] == item["item_id"]),
                            None) for d in days]} for item in followed]


def genre_share_by_week(lists: dict[date, list[dict[str, Any]]],
                        shown: int = GENRES_SHOWN) -> dict[str, Any]:
    """Share of each genre in the top artists, per week (the week's newest snapshot),
    weighted by rank; the rest as 'other'."""
    newest_in_week: dict[date, date] = {}
    for day in lists:
        monday = day - timedelta(days=day.weekday())
        newest_in_week[monday] = max(day, newest_in_week.get(monday, day))
    weeks = sorted(newest_in_week)
    weights: dict[date, Counter] = {}
    for monday in weeks:
        counter: Counter = Counter()
        for artist in lists[newest_in_week[monday]]:
            for genre in artist.get("genres") or []:
                counter[genre] += rank_weight(artist["rank"])
        weights[monday] = counter
    overall: Counter = sum(weights.values(), Counter())
    top = [genre for genre, _ in overall.most_common(shown)]
    series = {genre: [] for genre in [*top, "other"]}
    for monday in weeks:
        total = sum(weights[monday].values()) or 1.0
        for genre in top:
            series[genre].append(round(100 * weights[monday][genre] / total, 1))
        series["other"].append(round(100 * sum(v for g, v in weights[monday].items()
                                               if g not in top) / total, 1))
    if not any(series["other"]):
        series.pop("other")
    return {"weeks": [m.isoformat() for m in weeks], "series": series}


def listening_clock(plays: list[dict[str, Any]]) -> list[list[int]]:
    """Count plays by weekday (rows, Monday first) and hour of day (columns), in UTC."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for play in plays:
        at = play["played_at"].astimezone(UTC)
        grid[at.weekday()][at.hour] += 1
    return grid


def lifetime(totals: dict[str, Any] | None) -> dict[str, Any] | None:
    """Turn a person's play totals (`repository.play_totals`) into the page's figures."""
    if not totals:
        return None
    return {"plays": totals["plays"], "minutes": round(totals["ms"] / 60000),
            "tracks": totals["tracks"], "artists": totals["artists"],
            "first": totals["first"].date().isoformat(), "last": totals["last"].date().isoformat()}


def person_page(db: Database, user_id: str) -> dict[str, Any]:
    """Everything a person's page shows (their newest snapshot first)."""
    found = repository.person(db, user_id) or {}
    dates = repository.snapshot_dates(db, user_id, BUMP_DAYS)
    page: dict[str, Any] = {"user_id": user_id,
                            "name": found.get("display_name") or user_id,
                            "groups": [g["_id"] for g in repository.groups_of(db, user_id)],
                            "snapshot_date": dates[0].isoformat() if dates else None}
    totals = repository.play_totals(db, user_id)
    page["lifetime"] = lifetime(totals)
    # when they listen: the year up to their newest play (a history may span many years)
    recent = (repository.plays(db, user_id, since=totals["last"] - timedelta(days=CLOCK_DAYS))
              if totals else [])
    page["clock"] = listening_clock(recent)
    if not dates:
        return page
    latest = dates[0]
    artists = repository.top_lists(db, user_id, dates, "artists", NOW_RANGE)
    tracks = repository.top_lists(db, user_id, [latest], "tracks", NOW_RANGE)
    page["top_artists"] = [_item(a) for a in artists[latest][:TOP_NOW]]
    page["top_tracks"] = [_item(t) for t in tracks[latest][:TOP_NOW]]
    page["bump"] = rank_over_time(artists, latest)
    page["genres"] = genre_share_by_week(artists)
    page["changes"] = what_changed(db, user_id, latest, dates, artists[latest], tracks[latest])
    return page


def what_changed(db: Database, user_id: str, latest: date, dates: list[date],
                 artists: list[dict[str, Any]], tracks: list[dict[str, Any]]) -> dict[str, Any]:
    """What entered and left the person's top lists since about a week ago (or, with one
    snapshot only, what is new now against their long-term taste)."""
    window = [d for d in dates if latest - timedelta(days=CHANGE_DAYS) <= d < latest]
    if window:
        since = min(window)
        before = {kind: repository.top_lists(db, user_id, [since], kind, NOW_RANGE)[since]
                  for kind in ("artists", "tracks")}
        label = f"since {since.isoformat()}"
    else:
        before = {kind: repository.top_lists(db, user_id, [latest], kind, "long_term")[latest]
                  for kind in ("artists", "tracks")}
        label = "now, against your long-term taste"
    changes = diffs.profile_changes(before, {"artists": artists, "tracks": tracks})
    return {"label": label,
            **{kind: {"entered": [_item(e) for e in changes[kind]["entered"]],
                      "left": [_item(e) for e in changes[kind]["left"]]}
               for kind in ("artists", "tracks")}}


def group_page(db: Database, name: str, time_range: str = "medium_term") -> dict[str, Any]:
    """Everything a group's page shows: the match matrix, the track that brings it together,
    the current mix with who each track came from."""
    group = repository.group(db, name) or {"_id": name, "members": []}
    members = list(group["members"])
    names = display_names(db, members)
    day = repository.newest_group_date(db, name)
    if day is None:
        dates = [d for m in members for d in repository.snapshot_dates(db, m, 1)]
        day = max(dates) if dates else None
    page: dict[str, Any] = {"name": name, "members": members, "names": names,
                            "snapshot_date": day.isoformat() if day else None,
                            "time_range": time_range}
    if day is None:
        return page
    pairs = repository.pair_diffs(db, members, day, time_range)
    score = {(a, b): None for a in members for b in members}
    for member in members:
        score[(member, member)] = 100.0
    together = []
    for pair in pairs:
        if pair.get("status") != "ok":
            continue
        a, b = pair["users"]
        score[(a, b)] = score[(b, a)] = pair.get("score")
        if pair.get("together"):
            together.append({"users": [a, b], "score": pair.get("score"), **pair["together"]})
    page["matrix"] = [[score[(a, b)] for b in members] for a in members]
    mix = analytics_repository.newest_mix(db, name, day)
    page["mix"] = None if mix is None else {
        "snapshot_date": mix["snapshot_date"], "length": mix.get("length"),
        "tracks": [{"position": t["position"], "name": t.get("name"),
                    "artists": t.get("artists") or [], "members": t.get("members") or [],
                    "shared": t.get("shared")} for t in mix.get("tracks") or []],
        "credits": mix.get("credits") or []}
    page["together"] = bring_together(page["mix"], together)
    page["pairs"] = sorted(together, key=lambda t: -(t["score"] or 0))
    return page


def bring_together(mix: dict[str, Any] | None, pairs: list[dict[str, Any]]
                   ) -> dict[str, Any] | None:
    """The group's track: the mix's track most members share, else the best pair's."""
    shared = sorted((t for t in (mix or {}).get("tracks") or [] if t["shared"]),
                    key=lambda t: (-len(t["members"]), t["position"]))
    if shared:
        best = shared[0]
        return {"name": best["name"], "artists": best["artists"], "members": best["members"],
                "why": f"in the top tracks of {len(best['members'])} of you"}
    if pairs:
        best = max(pairs, key=lambda p: p["score"] or 0)
        return {"name": best.get("name"), "artists": best.get("artists") or [],
                "members": best["users"], "why": best.get("why")}
    return None


def year_review(db: Database, user_id: str, year: int) -> dict[str, Any]:
    """A person's year: top 5 artists and tracks, minutes, top genre, month of most discoveries.

    From stored plays when the year has any (counted by plays); otherwise from the year's
    newest long-term top lists (Spotify's own ~1 year ranking), minutes then unknown.
    """
    found = repository.person(db, user_id) or {}
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    plays = repository.plays(db, user_id, start, end)
    review: dict[str, Any] = {"user_id": user_id, "name": found.get("display_name") or user_id,
                              "year": year, "source": "plays" if plays else "top lists"}
    if plays:
        artist_names: dict[str, str] = {}
        artist_counts: Counter = Counter()
        track_counts: Counter = Counter()
        track_info: dict[str, dict[str, Any]] = {}
        for play in plays:
            track_counts[play["track_id"]] += 1
            track_info[play["track_id"]] = {"name": play.get("track_name"),
                                            "artists": play.get("artist_names") or []}
            for artist_id, artist_name in zip(play.get("artist_ids") or [],
                                              play.get("artist_names") or [], strict=False):
                artist_counts[artist_id] += 1
                artist_names[artist_id] = artist_name
        review["top_artists"] = [{"name": artist_names[a], "plays": n}
                                 for a, n in artist_counts.most_common(5)]
        review["top_tracks"] = [{**track_info[t], "plays": n}
                                for t, n in track_counts.most_common(5)]
        review["minutes"] = round(sum(p.get("duration_ms") or 0 for p in plays) / 60000)
        genres = repository.artist_genres(db, list(artist_counts))
        genre_counts: Counter = Counter()
        for artist_id, count in artist_counts.items():
            for genre in genres.get(artist_id, []):
                genre_counts[genre] += count
        review["top_genre"] = genre_counts.most_common(1)[0][0] if genre_counts else None
        review["discoveries"] = _discoveries_from_plays(db, user_id, plays, start)
    else:
        dates = [d for d in repository.snapshot_dates(db, user_id, 400) if d.year == year]
        if not dates:
            return {**review, "source": None}
        lists = {kind: repository.top_lists(db, user_id, [dates[0]], kind, "long_term")[dates[0]]
                 for kind in ("artists", "tracks")}
        review["top_artists"] = [{"name": a.get("name")} for a in lists["artists"][:5]]
        review["top_tracks"] = [{"name": t.get("name"), "artists": t.get("artist_names") or []}
                                for t in lists["tracks"][:5]]
        review["minutes"] = None
        genre_weights: Counter = Counter()
        for artist in lists["artists"]:
            for genre in artist.get("genres") or []:
                genre_weights[genre] += rank_weight(artist["rank"])
        review["top_genre"] = genre_weights.most_common(1)[0][0] if genre_weights else None
        review["discoveries"] = _discoveries_from_lists(db, user_id, sorted(dates))
    months = review["discoveries"]
    best = max(range(12), key=lambda m: (months[m], -m)) if any(months) else None
    review["discovery_month"] = MONTHS[best] if best is not None else None
    return review


def _discoveries_from_plays(db: Database, user_id: str, plays: list[dict[str, Any]],
                            start: datetime) -> list[int]:
    """New artists per month: artists first heard that month (never in an earlier play)."""
    earlier = repository.plays(db, user_id, until=start)
    heard = {a for p in earlier for a in p.get("artist_ids") or []}
    months = [0] * 12
    for play in plays:
        for artist_id in play.get("artist_ids") or []:
            if artist_id not in heard:
                heard.add(artist_id)
                months[play["played_at"].month - 1] += 1
    return months


def _discoveries_from_lists(db: Database, user_id: str, dates: list[date]) -> list[int]:
    """New artists per month: artists the short-term list shows for the first time."""
    lists = repository.top_lists(db, user_id, dates, "artists", NOW_RANGE)
    seen: set[str] = set()
    months = [0] * 12
    for day in dates:
        new = {a["item_id"] for a in lists[day]} - seen
        if seen:  # the first snapshot is where the history starts, not a discovery
            months[day.month - 1] += len(new)
        seen |= new
    return months


def default_year(db: Database, user_id: str) -> int:
    """The year a review opens on: that of the person's newest snapshot, else this one."""
    dates = repository.snapshot_dates(db, user_id, 1)
    return dates[0].year if dates else datetime.now(UTC).year
