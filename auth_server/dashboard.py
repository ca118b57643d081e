"""The dashboard blueprint: a person's page, their groups' pages, their year in review.

Behind the Spotify login (`signin.py`): a person sees only themselves and the groups they
belong to (403 for anyone else's page, 404 for an unknown person or group). The data comes
from `spotify_etl.dashboard.pages`; charts are plotly figures (`charts.py`) drawn by plotly.js,
served from this app (never a CDN); the shareable card is a PNG (`card.py`).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   send_file, url_for)

from auth_server import charts
from auth_server.card import year_card
from auth_server.security import require_same_site_post
from auth_server.signin import sign_out, signed_in_user
from spotify_etl.dashboard import pages, repository
from spotify_etl.storage import open_database

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)
dashboard = Blueprint("dashboard", __name__, url_prefix="/dashboard")
# plotly.js draws heat maps as data: images and sets inline styles; no script is inline.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data: blob:; "
                           "style-src 'self' 'unsafe-inline'; base-uri 'none'; "
                           "object-src 'none'; frame-ancestors 'none'; form-action 'self'")


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _settings():
    return current_app.extensions["auth_server"].settings


def _viewer() -> str:
    """The signed-in person; anyone else is sent to sign in with Spotify first."""
    user_id = signed_in_user()
    if user_id is None:
        abort(redirect(url_for("dashboard.home")))
    return user_id


def _own_page(db: Database, user_id: str) -> str:
    """Allow a person's own page only: 404 for nobody known, 403 for somebody else."""
    viewer = _viewer()
    if repository.person(db, user_id) is None:
        abort(404, description="No one with this id is connected.")
    if user_id != viewer:
        abort(403, description="This is someone else's dashboard: you can see only your own "
                               "and your groups'.")
    return viewer


def _figure(name: str, figure: dict[str, Any]) -> dict[str, Any]:
    # The template embeds it with `tojson`, which escapes "<", so a name cannot end the script.
    return {"id": f"chart-{name}", "figure": figure}


@dashboard.app_template_filter("people")
def _people(user_ids: list[str], names: dict[str, str]) -> str:
    """Show people by name: `members|people(names)`."""
    return ", ".join(names.get(user_id, user_id) for user_id in user_ids)


@dashboard.after_request
def _allow_charts(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@dashboard.route("/")
def home() -> Response | str:
    """Send a signed-in person to their page; ask anyone else to sign in with Spotify."""
    user_id = signed_in_user()
    if user_id is None:
        return render_template("dashboard/sign_in.html")
    return redirect(url_for("dashboard.person", user_id=user_id))


@dashboard.post("/sign-out")
def sign_out_view() -> Response:
    """Forget this browser's sign-in (same-site POST)."""
    require_same_site_post()
    sign_out()
    return redirect(url_for("dashboard.home"))


@dashboard.route("/people/<user_id>")
def person(user_id: str) -> str:
    """A person: top now, rank over time, genres by week, when they listen, what changed."""
    with open_database(_settings()) as db:
        _own_page(db, user_id)
        page = pages.person_page(db, user_id)
    figures = []
    if page.get("bump"):
        figures.append(_figure("bump", charts.bump_chart(page["bump"])))
    if page.get("genres", {}).get("series"):  # artists without genres (development mode): none
        figures.append(_figure("genres", charts.genre_chart(page["genres"])))
    if page["lifetime"]:
        figures.append(_figure("clock", charts.clock_chart(page["clock"])))
    return render_template("dashboard/person.html", page=page, figures=figures)


@dashboard.route("/groups/<name>")
def group(name: str) -> str:
    """A group: the taste-match heat map, the track that brings it together, the mix."""
    viewer = _viewer()
    time_range = request.args.get("range", "medium_term")
    if time_range not in ("short_term", "medium_term", "long_term"):
        abort(400, description="range is short_term, medium_term or long_term.")
    with open_database(_settings()) as db:
        found = repository.group(db, name)
        if found is None:
            abort(404, description="There is no group of this name.")
        if viewer not in found["members"]:
            abort(403, description="You are not a member of this group.")
        page = pages.group_page(db, name, time_range)
    names = page["names"]
    figures = []
    if page.get("matrix"):
        figures.append(_figure("match", charts.match_chart(
            [names[m] for m in page["members"]], page["matrix"])))
    if page.get("mix") and page["mix"]["credits"]:
        figures.append(_figure("credits", charts.credits_chart(names, page["mix"]["credits"])))
    return render_template("dashboard/group.html", page=page, figures=figures, viewer=viewer)


@dashboard.route("/people/<user_id>/year")
def year_default(user_id: str) -> Response:
    """Open the year of the person's newest snapshot."""
    with open_database(_settings()) as db:
        _own_page(db, user_id)
        year = pages.default_year(db, user_id)
    return redirect(url_for("dashboard.year", user_id=user_id, year=year))


def _review(user_id: str, year: int) -> dict[str, Any]:
    if not 2000 <= year <= 2100:
        abort(404, description="No review for that year.")
    with open_database(_settings()) as db:
        _own_page(db, user_id)
        return pages.year_review(db, user_id, year)


@dashboard.route("/people/<user_id>/year/<int:year>")
def year(user_id: str, year: int) -> str:
    """The year in review: top 5 artists and tracks, minutes, top genre, discoveries."""
    review = _review(user_id, year)
    figures = ([_figure("discoveries", charts.discoveries_chart(review["discoveries"]))]
               if review.get("source") else [])
    return render_template("dashboard/year.html", review=review, figures=figures)


@dashboard.route("/people/<user_id>/year/<int:year>.png")
def year_png(user_id: str, year: int) -> Response:
    """The year in review as a shareable PNG card (a download)."""
    review = _review(user_id, year)
    if not review.get("source"):
        abort(404, description="Nothing is stored for that year.")
    response = Response(year_card(review), mimetype="image/png")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="spotify-{year}-in-review.png"')
    return response


@dashboard.route("/assets/plotly-<version>.min.js")
def plotly_js(version: str) -> Response:
    """plotly.js from the installed plotly package: the charts need no CDN. Its URL names the
    package's version, so browsers keep it (4.8 MB parsed once, not on every page)."""
    if version != plotly_version():
        abort(404)
    response = send_file(_plotly_js(), mimetype="text/javascript", conditional=False)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@lru_cache(maxsize=1)
def plotly_version() -> str:
    """The version of the plotly package (and so of the plotly.js it ships)."""
    from importlib.metadata import version

    return version("plotly")


@dashboard.app_context_processor
def _assets() -> dict[str, Any]:
    return {"plotly_version": plotly_version}
