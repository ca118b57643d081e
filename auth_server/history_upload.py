"""Hand over a Spotify data export without shell access: an upload page behind the login.

`/people/<id>/history`: a person who logged in with Spotify as `<id>` within the last half
hour uploads `my_spotify_data.zip` (or one history JSON file); it is checked whole and
imported through `spotify_etl.history.importer` (a malformed or foreign file imports nothing),
and the page says what was added. Its own blueprint, beside the helper's views. The file is
kept only in a temporary file for the import; nothing of it is logged.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, abort, current_app, render_template, request

from auth_server.security import require_same_site_post
from auth_server.views import _is_verified, _person
from spotify_etl.history.exports import ExportError
from spotify_etl.history.importer import import_export
from spotify_etl.history.store import PersonBusy
from spotify_etl.storage import ensure_indexes, open_database

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

log = logging.getLogger(__name__)
history_upload = Blueprint("history_upload", __name__)
UPLOAD_LIMIT_BYTES = 1024 * 1024 * 1024  # a ten-year extended history zips to a few hundred MB
ALLOWED_SUFFIXES = (".zip", ".json")


def _settings():
    return current_app.extensions["auth_server"].settings


def _check_person(user_id: str) -> None:
    if _person(user_id) is None:
        abort(404, description="No one with this id is connected.")


@history_upload.get("/people/<user_id>/history")
def upload_form(user_id: str) -> str:
    """Show the upload form (or ask to log in as this person first)."""
    _check_person(user_id)
    return render_template("history_upload.html", user_id=user_id,
                           verified=_is_verified(user_id))


@history_upload.post("/people/<user_id>/history")
def upload(user_id: str) -> Response | tuple[str, int] | str:
    """Import the uploaded export for the person who just logged in."""
    request.max_content_length = UPLOAD_LIMIT_BYTES  # this route only; the helper keeps 64 KB
    require_same_site_post()
    _check_person(user_id)
    if not _is_verified(user_id):
        abort(403, description="Log in with Spotify as this person first, then upload.")
    upload_file = request.files.get("export")
    if upload_file is None or not upload_file.filename:
        return render_template("history_upload.html", user_id=user_id, verified=True,
                               problem="Choose your my_spotify_data.zip first."), 400
    name = Path(upload_file.filename).name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        return render_template("history_upload.html", user_id=user_id, verified=True,
                               problem=f"{name} is neither a zip nor a JSON file: upload the "
                                       "my_spotify_data.zip Spotify sent you."), 400
    with tempfile.TemporaryDirectory(prefix="history-upload-") as folder:
        path = Path(folder) / name
        upload_file.save(path)
        try:
            with open_database(_settings()) as db:
                ensure_indexes(db)
                report = import_export(db, user_id, path)
        except ExportError as error:
            return render_template("history_upload.html", user_id=user_id, verified=True,
                                   problem=f"Nothing was imported: {error}"), 400
        except PersonBusy:
            return render_template("history_upload.html", user_id=user_id, verified=True,
                                   problem="Nothing was imported: another import of your "
                                           "history is running. Try again in a minute."), 409
    log.info("History export imported for %s: %s rows, %s new plays", user_id, report.rows,
             report.plays_new)
    return render_template("history_imported.html", user_id=user_id, report=report)
