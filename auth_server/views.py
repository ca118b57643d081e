"""The pages: connect, callback, status, reconnect, delete, API token, health.

Each view is short: Spotify conversations are in `spotify.py`, protections in `security.py`,
storage in `spotify_etl` (the token store, `people.deletion.delete_user`). No view ever puts a token in a
page, a log line, the session or a redirect.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for

from auth_server.security import (consume_state, remember_state, require_same_site_post,
                                  same_secret, well_formed)
from auth_server.signin import sign_in
from auth_server.spotify import ConnectionFailed, complete_authorization, start_authorization
from spotify_etl.constants import ACCESS_WARNING_DAYS, DEVELOPMENT_MODE_USER_CAP, NEEDS_REAUTH
from spotify_etl.people.api_tokens import issue_token
from spotify_etl.people.deletion import delete_user
from spotify_etl.people.directory import list_users
from spotify_etl.people.expiry import access_dates
from spotify_etl.people.tokens import TokenStore
from spotify_etl.storage import open_database

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

    from auth_server.config import AuthConfig

log = logging.getLogger(__name__)
# A consent screen left open longer than this is stale: start again.
PENDING_LOGIN_SECONDS = 15 * 60
# Proof that this browser just logged in as a person, good for deleting them.
VERIFIED_SECONDS = 30 * 60
# Where a login may continue: deleting the person, or their dashboard (auth_server.dashboard).
THEN = ("delete", "dashboard")
FAILURE_PAGES = {
    "not_registered": ("not_registered.html", 403),
    "rate_limited": ("error.html", 503),
    "unreachable": ("error.html", 502),
    "exchange": ("error.html", 400),
    "profile": ("error.html", 502),
}
FAILURE_MESSAGES = {
    "rate_limited": "Spotify is busy right now (rate limited). Please try again in a while.",
    "unreachable": "Spotify could not be reached. Check the connection and try again.",
    "exchange": "Spotify did not accept this authorization (it may have been used already or "
                "have expired). Please connect again.",
    "profile": "Spotify accepted the authorization but did not say who you are. Please try again.",
}


def config() -> AuthConfig:
    """Return the checked configuration of the running app."""
    return current_app.extensions["auth_server"]


def _people() -> list[dict[str, Any]]:
    with open_database(config().settings) as db:
        return list_users(db)


def _person(user_id: str) -> dict[str, Any] | None:
    with open_database(config().settings) as db:
        return db.users.find_one({"_id": user_id})


def _is_verified(user_id: str) -> bool:
    verified_at = session.get("verified", {}).get(user_id)
    return verified_at is not None and time.time() - verified_at < VERIFIED_SECONDS


def index() -> str:
    """Show what this is, the Connect button and everyone connected: status, consent, the day
    their access ends (six months later)."""
    today = datetime.now(UTC).date()
    people = [{**person, **access_dates(person, today)} for person in _people()]
    cfg = config()
    return render_template("index.html", people=people, app_mode=cfg.app_mode,
                           cap=DEVELOPMENT_MODE_USER_CAP, needs_reauth=NEEDS_REAUTH,
                           warning_days=ACCESS_WARNING_DAYS)


def login() -> Response | tuple[str, int]:
    """Send the browser to Spotify's consent page with a fresh, session-bound state."""
    cfg = config()
    canonical = urlsplit(cfg.settings.redirect_uri)
    if request.host != canonical.netloc and request.host.split(":")[0] in ("localhost", "[::1]"):
        # The state cookie must live on the host Spotify redirects back to.
        return redirect(f"{canonical.scheme}://{canonical.netloc}{request.full_path.rstrip('?')}")
    reconnect = request.args.get("reconnect") or None
    then = request.args.get("then") if request.args.get("then") in THEN else None
    known = reconnect is not None and _person(reconnect) is not None
    # Signing in to the dashboard adds nobody (the callback refuses strangers): no cap applies.
    if cfg.app_mode == "development" and not known and then != "dashboard":
        connected = len(_people())
        if connected >= DEVELOPMENT_MODE_USER_CAP:
            return render_template("user_cap.html", connected=connected,
                                   cap=DEVELOPMENT_MODE_USER_CAP), 409
    state = secrets.token_urlsafe(32)
    authorization = start_authorization(cfg.settings, state, show_dialog=reconnect is not None)
    previous = (session.get("oauth") or {}).get("state")
    with open_database(cfg.settings) as db:
        if previous:  # one pending login per browser: the one it replaces is used up
            consume_state(db, str(previous))
        remember_state(db, state, PENDING_LOGIN_SECONDS)
    # One pending login per browser: a new one replaces (and so invalidates) the last.
    session["oauth"] = {"state": state, "verifier": authorization.code_verifier,
                        "reconnect": reconnect if known else None, "then": then,
                        "started": time.time()}
    return redirect(authorization.url)


def callback() -> Response | tuple[str, int]:
    """Check the state, then exchange the code, read /me and store the person."""
    cfg = config()
    pending = session.pop("oauth", None)  # single use, whatever happens next
    state = request.args.get("state", "")
    first_use = False
    if pending and pending.get("state"):
        # Used up server-side too: an old copy of the session cookie cannot bring it back.
        with open_database(cfg.settings) as db:
            first_use = consume_state(db, str(pending["state"]))
    if (not well_formed(state) or not same_secret(pending and pending.get("state"), state)
            or not first_use):
        log.warning("Callback refused: missing, malformed, mismatched or used state")
        return render_template("error.html", code=400, title="This sign-in link is not valid",
                               message="The sign-in did not start in this browser, was already "
                                       "used or was tampered with. Nothing was stored. Please "
                                       "connect again from the start page."), 400
    if time.time() - pending.get("started", 0) > PENDING_LOGIN_SECONDS:
        return render_template("error.html", code=400, title="This sign-in took too long",
                               message="Nothing was stored. Please connect again."), 400
    error = request.args.get("error")
    if error == "access_denied":
        log.info("Consent declined")
        return render_template("denied.html")
    if error:
        log.warning("Spotify answered the consent with error %s", error)
        return render_template("error.html", code=400, title="Spotify refused the request",
                               message=f"Spotify answered: {error}. Nothing was stored."), 400
    code = request.args.get("code")
    if not code:
        return render_template("error.html", code=400, title="No authorization code",
                               message="Spotify sent no code. Nothing was stored."), 400
    try:
        connection = complete_authorization(cfg.settings, code, pending.get("verifier"))
    except ConnectionFailed as failure:
        log.warning("Connection failed (%s)", failure.kind)
        template, status = FAILURE_PAGES.get(failure.kind, ("error.html", 400))
        return render_template(template, code=status, title="Could not connect",
                               message=FAILURE_MESSAGES.get(failure.kind, ""),
                               cap=DEVELOPMENT_MODE_USER_CAP), status
    profile = connection.profile
    if pending.get("then") == "dashboard" and _person(profile["id"]) is None:
        log.info("Dashboard sign-in refused: not connected")
        return render_template("error.html", code=403, title="Not connected yet",
                               message="This Spotify account is not connected, so there is no "
                                       "dashboard for it. Connect it from the start page "
                                       "first. Nothing was stored."), 403
    with open_database(cfg.settings) as db:
        user_id = TokenStore(db, cfg.settings, fernet=cfg.fernet).save_user(
            {"id": profile["id"], "display_name": profile.get("display_name"),
             "account_id": profile.get("account_id")}, connection.token_info)
    verified = dict(session.get("verified", {}))
    verified[user_id] = time.time()
    session["verified"] = verified
    session["connected"] = {"user_id": user_id, "expected": pending.get("reconnect")}
    sign_in(user_id)
    log.info("Connected user %s", user_id)
    if pending.get("then") == "dashboard":
        return redirect(url_for("dashboard.home"))
    if pending.get("then") == "delete" and pending.get("reconnect") == user_id:
        return redirect(url_for("confirm_delete", user_id=user_id))
    return redirect(url_for("connected"))


def connected() -> Response | str:
    """Show who just connected (by name), and what happens next."""
    just = session.get("connected")
    if not just:
        return redirect(url_for("index"))
    person = _person(just["user_id"])
    if person is None:
        return redirect(url_for("index"))
    return render_template("connected.html", person=person, expected=just.get("expected"))


def reconnect(user_id: str) -> Response:
    """Start a fresh consent for someone already known (after expiry or revocation)."""
    if _person(user_id) is None:
        abort(404, description="No one with this id is connected.")
    then = "delete" if request.args.get("then") == "delete" else None
    return redirect(url_for("login", reconnect=user_id, then=then))


def confirm_delete(user_id: str) -> Response | str:
    """Ask for confirmation; only someone who just logged in as this person may delete them."""
    person = _person(user_id)
    if person is None:
        abort(404, description="No one with this id is connected.")
    return render_template("confirm_delete.html", person=person,
                           verified=_is_verified(user_id))


def delete(user_id: str) -> Response | str:
    """Delete the person, their tokens and all their data (same-site POST, confirmed)."""
    require_same_site_post()
    if not _is_verified(user_id):
        abort(403, description="Log in with Spotify as this person first, then delete.")
    person = _person(user_id)
    if person is None:
        abort(404, description="No one with this id is connected.")
    with open_database(config().settings) as db:
        removed = delete_user(db, user_id)
    verified = dict(session.get("verified", {}))
    verified.pop(user_id, None)
    session["verified"] = verified
    session.pop("connected", None)
    return render_template("deleted.html", name=person.get("display_name") or user_id,
                           removed=sum(removed.values()))


def api_token(user_id: str) -> Response | str:
    """Issue an API token for the person who just logged in (same-site POST); show it once."""
    require_same_site_post()
    if not _is_verified(user_id):
        abort(403, description="Log in with Spotify as this person first, then create a token.")
    with open_database(config().settings) as db:
        try:
            token = issue_token(db, user_id, label="authorization helper")
        except LookupError:
            abort(404, description="No one with this id is connected.")
    log.info("API token issued for %s", user_id)
    return render_template("api_token.html", user_id=user_id, token=token)


def healthz() -> tuple[Response, int]:
    """Report liveness and whether the store answers (JSON, no secrets)."""
    cfg = config()
    body: dict[str, Any] = {"status": "ok", "flow": "pkce" if cfg.uses_pkce else "client-secret",
                            "app_mode": cfg.app_mode or "unspecified"}
    try:
        with open_database(cfg.settings) as db:
            body["people"] = db.users.count_documents({})
        body["database"] = "ok"
    except Exception as error:  # a health check reports, it does not raise
        log.warning("Health check: database unavailable (%s)", type(error).__name__)
        body.update(status="degraded", database="unavailable")
        return jsonify(body), 503
    return jsonify(body), 200


def register_views(app: Flask, *, callback_path: str) -> None:
    """Attach every route; the callback path comes from the configured redirect URI."""
    app.add_url_rule("/", "index", index)
    app.add_url_rule("/login", "login", login)
    app.add_url_rule(callback_path, "callback", callback)
    app.add_url_rule("/connected", "connected", connected)
    app.add_url_rule("/people/<user_id>/reconnect", "reconnect", reconnect)
    app.add_url_rule("/people/<user_id>/delete", "confirm_delete", confirm_delete,
                     methods=["GET"])
    app.add_url_rule("/people/<user_id>/delete", "delete", delete, methods=["POST"])
    app.add_url_rule("/people/<user_id>/api-token", "api_token", api_token, methods=["POST"])
    app.add_url_rule("/healthz", "healthz", healthz)
