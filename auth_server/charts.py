"""The dashboard's charts as plotly figures (plain JSON: data + layout), drawn in the browser
by plotly.js, which the app serves itself (from the plotly package; no CDN).

One function per chart; each takes the plain data of `spotify_etl.dashboard.pages` and
returns a figure dict. Nothing here reads the store.
"""

from __future__ import annotations

from typing import Any

from spotify_etl.dashboard.pages import MONTHS, WEEKDAYS

GREEN = "#1db954"
FONT = {"family": "system-ui, sans-serif", "size": 13, "color": "#191414"}
SEQUENTIAL = [[0, "#f3f8f4"], [0.5, "#7fd3a0"], [1, "#0b6b32"]]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title, "x": 0, "font": {"size": 16}}, "font": FONT,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 380,
            "paper_bgcolor": "#fff", "plot_bgcolor": "#fff", **extra}


def bump_chart(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Rank over time of the person's top artists now (1 at the top; gaps where absent)."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": s["name"], "x": s["dates"],
             "y": s["ranks"], "connectgaps": False, "line": {"width": 3, "shape": "spline"},
             "marker": {"size": 9},
             "hovertemplate": "%{x}: #%{y}<extra>" + (s["name"] or "") + "</extra>"}
            for s in series]
    return {"data": data, "layout": _layout(
        "Your top artists, rank over time (short term)",
        yaxis={"autorange": "reversed", "title": {"text": "rank"}, "dtick": 5, "zeroline": False},
        xaxis={"type": "date", "title": {"text": "snapshot"}},
        legend={"orientation": "h", "y": -0.25}, height=420)}


def genre_chart(genres: dict[str, Any]) -> dict[str, Any]:
    """Share of each genre in the top artists by week (stacked to 100 %)."""
    data = [{"type": "bar", "name": genre, "x": genres["weeks"], "y": shares,
             "hovertemplate": "week of %{x}: %{y}%<extra>" + genre + "</extra>"}
            for genre, shares in genres["series"].items()]
    return {"data": data, "layout": _layout(
        "Genre share by week (top artists, rank-weighted)", barmode="stack",
        yaxis={"title": {"text": "% of the week"}, "range": [0, 100]},
        xaxis={"title": {"text": "week of"}, "type": "category"},
        legend={"orientation": "h", "y": -0.25}, height=420)}


def clock_chart(grid: list[list[int]]) -> dict[str, Any]:
    """Plays by hour of day and weekday (UTC)."""
    return {"data": [{"type": "heatmap", "z": grid, "x": list(range(24)), "y": list(WEEKDAYS),
                      "colorscale": SEQUENTIAL, "xgap": 2, "ygap": 2,
                      "colorbar": {"title": {"text": "plays"}},
                      "hovertemplate": "%{y} %{x}:00: %{z} plays<extra></extra>"}],
            "layout": _layout("When you listen (hour × weekday, UTC)",
                              xaxis={"title": {"text": "hour"}, "dtick": 2},
                              yaxis={"autorange": "reversed"}, height=320)}


def match_chart(names: list[str], matrix: list[list[float | None]]) -> dict[str, Any]:
    """The group's taste match matrix (0-100)."""
    text = [["" if v is None else f"{v:.0f}" for v in row] for row in matrix]
    return {"data": [{"type": "heatmap", "z": matrix, "x": names, "y": names, "zmin": 0,
                      "zmax": 100, "colorscale": SEQUENTIAL, "text": text,
                      "texttemplate": "%{text}", "xgap": 3, "ygap": 3,
                      "colorbar": {"title": {"text": "match"}},
                      "hovertemplate": "%{y} & %{x}: %{z}<extra></extra>"}],
            "layout": _layout("Taste match (0-100)", yaxis={"autorange": "reversed"},
                              margin={"l": 140, "r": 20, "t": 50, "b": 110}, height=460)}


def credits_chart(names: dict[str, str], credits: list[dict[str, Any]]) -> dict[str, Any]:
    """How many of the mix's tracks came from each member."""
    return {"data": [{"type": "bar", "x": [names.get(c["user_id"], c["user_id"]) for c in credits],
                      "y": [c["tracks"] for c in credits], "marker": {"color": GREEN},
                      "hovertemplate": "%{x}: %{y} tracks<extra></extra>"}],
            "layout": _layout("Who the mix's tracks came from",
                              yaxis={"title": {"text": "tracks"}}, height=320)}


def discoveries_chart(months: list[int]) -> dict[str, Any]:
    """New artists per month of the year."""
    return {"data": [{"type": "bar", "x": [m[:3] for m in MONTHS], "y": months,
                      "marker": {"color": GREEN},
                      "hovertemplate": "%{x}: %{y} new artists<extra></extra>"}],
            "layout": _layout("New artists, month by month",
                              yaxis={"title": {"text": "new artists"}}, height=320)}
