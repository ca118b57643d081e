"""Control endpoints under `/__sandbox/`: seed users, inject faults, read counters, set the clock.

A path real Spotify does not have; no authentication, JSON in and out. Tests, demos and the
benchmark drive the sandbox through here instead of a browser.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, jsonify, request

from spotify_sandbox.common import ApiError, parse_date, sandbox
from spotify_sandbox.state import DEFAULT_SCOPE, DEV_MODE_MAX_USERS

control = Blueprint("control", __name__, url_prefix="/__sandbox")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object")
    return body


def _user_index(user_id: str) -> int:
    index = sandbox().world.user_index.get(user_id)
    if index is None:
        raise ApiError(404, f"Unknown sandbox user {user_id!r}")
    return index


@control.post("/authorize")
def authorize_users() -> Any:
    """Pre-authorise users without a browser; return their refresh tokens."""
    sb = sandbox()
    body = _body()
    if body.get("client_id", sb.client_id) != sb.client_id:
        raise ApiError(400, "Unknown client_id")
    if "user_ids" in body:
        users = [_user_index(u) for u in body["user_ids"]]
    else:
        count = int(body.get("count", 1))
        if not 0 < count <= sb.world.n_users:
            raise ApiError(400, f"count must be between 1 and {sb.world.n_users}")
        users = list(range(count))
    scope = " ".join(str(body.get("scope", DEFAULT_SCOPE)).split())
    out = []
    for u in users:
        _, refresh = sb.issue_tokens(u, sb.client_id, scope, public_client=bool(body.get("pkce")),
                                     today=sb.clock)
        user = sb.world.users[u]
        out.append({"id": user.id, "display_name": user.display_name, "refresh_token": refresh,
                    "scope": scope})
    return jsonify({"users": out})


@control.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Any:
    """Arm (POST), list (GET) or clear (DELETE) injected faults."""
    sb = sandbox()
    if request.method == "DELETE":
        sb.faults.clear()
    elif request.method == "POST":
        body = _body()
        unknown = set(body) - {"rate_limit", "server_errors", "latency_ms", "malformed_items",
                               "expire_access_tokens", "rotate_refresh_tokens"}
        if unknown:
            raise ApiError(400, f"Unknown faults: {sorted(unknown)}")
        try:
            sb.faults.arm(body)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, str(exc)) from None
        if body.get("expire_access_tokens"):
            sb.expire_access_tokens()
    return jsonify(sb.faults.describe())


@control.post("/users/<user_id>/<action>")
def end_grants(user_id: str, action: str) -> Any:
    """Revoke a user's refresh tokens, or expire them as if six months had passed since consent.

    Either way they then answer invalid_grant ("Refresh token revoked" / "... expired").
    """
    flags = {"revoke": "revoked", "expire": "expired"}
    if action not in flags:
        raise ApiError(404, f"Unknown action {action!r}; use revoke or expire")
    grants = sandbox().user_refresh_tokens(_user_index(user_id))
    for grant in grants:
        setattr(grant, flags[action], True)
    return jsonify({"user_id": user_id, flags[action]: len(grants)})


@control.get("/users/<user_id>/export")
def export(user_id: str) -> Any:
    """Return the user's `my_spotify_data.zip`: account data and extended streaming history.

    `?until=YYYY-MM-DD` (default: the day before the clock), `days` (account data, default
    365), `extended_days` (default: `days`), `formats=account,extended` (default both).
    """
    import io

    from spotify_sandbox.exports import write_export

    sb = sandbox()
    u = _user_index(user_id)
    try:
        until = parse_date(request.args["until"]) if request.args.get("until") else None
    except ValueError:
        raise ApiError(400, "until must be YYYY-MM-DD") from None
    until = until or sb.clock - dt.timedelta(days=1)
    days = request.args.get("days", 365, type=int)
    extended_days = request.args.get("extended_days", None, type=int)
    formats = tuple(request.args.get("formats", "account,extended").split(","))
    if not 0 < days <= 20 * 366 or (extended_days is not None
                                    and not 0 < extended_days <= 20 * 366):
        raise ApiError(400, "days and extended_days must be between 1 and 7320")
    if not set(formats) <= {"account", "extended"}:
        raise ApiError(400, "formats must name account and/or extended")
    buffer = io.BytesIO()
    write_export(sb.world, u, buffer, until=until, days=days, extended_days=extended_days,
                 formats=formats)
    return Response(buffer.getvalue(), mimetype="application/zip", headers={
        "Content-Disposition": "attachment; filename=my_spotify_data.zip"})


@control.route("/counters", methods=["GET", "DELETE"])
def counters() -> Any:
    """Read (GET) or reset (DELETE) the request counters."""
    sb = sandbox()
    if request.method == "DELETE":
        sb.counters.reset()
    return jsonify(sb.counters.snapshot())


@control.route("/clock", methods=["GET", "POST"])
def clock() -> Any:
    """Read or set the runtime clock (`{"date": "YYYY-MM-DD"}`; null follows real time)."""
    sb = sandbox()
    if request.method == "POST":
        value = _body().get("date")
        try:
            sb.set_clock(parse_date(value) if value else None)
        except (TypeError, ValueError):
            raise ApiError(400, "date must be YYYY-MM-DD or null") from None
    return jsonify({"date": sb.clock.isoformat()})


@control.get("/info")
def info() -> Any:
    """Describe the sandbox (never tokens or the client secret)."""
    return jsonify(sandbox().info())


@control.post("/allowlist")
def allowlist() -> Any:
    """Set the development-mode allowlist (at most 5 users, as on Spotify)."""
    sb = sandbox()
    ids = _body().get("user_ids")
    if not isinstance(ids, list) or len(ids) > DEV_MODE_MAX_USERS:
        raise ApiError(400, f"user_ids must be a list of at most {DEV_MODE_MAX_USERS} users")
    sb.allowlist = [_user_index(u) for u in ids]
    return jsonify({"user_ids": [sb.world.users[u].id for u in sb.allowlist]})


@control.get("/users")
def users() -> Any:
    """List sandbox users (`?limit=`, default all)."""
    sb = sandbox()
    limit = request.args.get("limit", type=int) or sb.world.n_users
    return jsonify({"users": [{"id": u.id, "display_name": u.display_name}
                              for u in sb.world.users[:limit]]})


@control.get("/playlists")
def playlists() -> Any:
    """List every playlist created in the sandbox, with track URIs."""
    sb = sandbox()
    with sb.lock:
        out = [{"id": p["id"], "owner": sb.world.users[p["owner"]].id, "name": p["name"],
                "public": p["public"], "description": p["description"],
                "snapshot_id": p["snapshot_id"],
                "uris": [f"spotify:track:{sb.world.track_ids[e['track']]}"
                         for e in p["entries"]]}
               for p in sb.playlists.values()]
    return jsonify({"playlists": out})
