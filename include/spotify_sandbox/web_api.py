"""The sandbox's Web API under `/v1`, in the extended or the development-mode shape.

Every request passes the same gate as on Spotify (faults, Bearer token, dev-mode allowlist,
scopes) and every answer carries `X-Sandbox-Clock`, the date it is as of.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, jsonify, request

from spotify_sandbox.common import (CLOCK_HEADER, ApiError, as_of, error_response,
                                    now_header_ms, sandbox)
from spotify_sandbox.faults import SERVER_ERROR_MESSAGES
from spotify_sandbox.objects import iso_ms, paging
from spotify_sandbox.world import TIME_RANGES

if TYPE_CHECKING:
    pass

web_api = Blueprint("web_api", __name__, url_prefix="/v1")
BASE62_ID = re.compile(r"^[0-9A-Za-z]{22}$")
TRACK_URI = re.compile(r"^spotify:track:([0-9A-Za-z]+)$")
NOT_REGISTERED = ("Check settings on developer.spotify.com/dashboard, "
                  "the user may not be registered.")
INCLUDE_GROUPS = ("album", "single", "appears_on", "compilation")
MODIFY_SCOPES = ("playlist-modify-private", "playlist-modify-public")


# ------------------------------------------------------------------ the gate
def endpoint_name() -> str:
    """Return the counter name: method and URL template, e.g. `GET /v1/artists/{id}`."""
    rule = request.url_rule
    template = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule) if rule else "(unmatched)"
    return f"{request.method} {template}"


def gate() -> Response | None:
    """Apply latency, faults, authentication and the allowlist before any /v1 handler."""
    sb = sandbox()
    if sb.faults.latency_ms:
        time.sleep(sb.faults.latency_ms / 1000)
    g.as_of = sb.clock
    header = request.headers.get("Authorization", "")
    grant = sb.access(header[7:]) if header.startswith("Bearer ") else None
    user = grant.user if grant is not None and not isinstance(grant, str) else None
    sb.counters.count(endpoint_name(), sb.world.users[user].id if user is not None else None)
    g.as_of = as_of()
    limited = sb.faults.take_rate_limit(request.path)
    if limited:
        if limited["quota_exceeded"]:
            response = error_response(429, "Too many requests", reason="QUOTA_EXCEEDED")
        else:
            response = error_response(429, "API rate limit exceeded")
        response.headers["Retry-After"] = str(limited["retry_after"])
        return response
    status = sb.faults.take_server_error(request.path)
    if status:
        return error_response(status, SERVER_ERROR_MESSAGES[status])
    if not header:
        return error_response(401, "No token provided")
    if not header.startswith("Bearer "):
        return error_response(400, "Only valid bearer authentication supported")
    if isinstance(grant, str):
        return error_response(401, grant)
    g.grant = grant
    g.user = user
    if sb.mode == "development" and user is not None and user not in sb.allowlist:
        return error_response(403, NOT_REGISTERED)
    return None


def stamp(response: Response) -> Response:
    """Declare the as-of date of a Web API answer (real Spotify never sends this)."""
    day = getattr(g, "as_of", None) or sandbox().clock
    response.headers[CLOCK_HEADER] = day.isoformat()
    return response


# ------------------------------------------------------------------ helpers
def _api() -> str:
    return request.host_url.rstrip("/") + "/v1"


def _user() -> int:
    """Return the current user's index; 401 for app-only (client credentials) tokens."""
    if g.get("user") is None:
        raise ApiError(401, "Valid user authentication required")
    return g.user


def _scope(*needed: str) -> None:
    """Require one of the scopes (Spotify answers 403 "Insufficient client scope")."""
    granted = set(g.grant.scope.split())
    if not granted.intersection(needed):
        raise ApiError(403, "Insufficient client scope")


def _extended_only() -> None:
    """Answer 403 as Spotify does for endpoints removed from development mode in Feb 2026."""
    if sandbox().mode == "development":
        raise ApiError(403, "Forbidden")


def _int(name: str, default: int, low: int, high: int, message: str | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, message or f"Invalid {name}") from None
    if not low <= value <= high:
        raise ApiError(400, message or f"Invalid {name}")
    return value


def _id(value: str) -> str:
    if not BASE62_ID.match(value):
        raise ApiError(400, "Invalid base62 id")
    return value


def _ids(limit: int) -> list[str]:
    raw = request.args.get("ids")
    if not raw:
        raise ApiError(400, "invalid id")
    ids = raw.split(",")
    if len(ids) > limit:
        raise ApiError(400, "Too many ids requested")
    return [_id(i) for i in ids]


def _malform(items: list[Any]) -> list[Any]:
    """Spoil one item if a malformed-items fault is armed (a client must survive it)."""
    n = sandbox().faults.take_malformed()
    if n is None or not items:
        return items
    items = list(items)
    pos = len(items) // 2
    original = items[pos]
    if n % 2 == 1 or not isinstance(original, dict):
        items[pos] = "malformed item"
        return items
    spoiled = dict(original)
    for key in ("track", "item"):
        if isinstance(spoiled.get(key), dict):
            spoiled[key] = {k: v for k, v in spoiled[key].items() if k not in ("id", "name")}
            break
    else:
        spoiled.pop("id", None)
        spoiled.pop("name", None)
    items[pos] = spoiled
    return items


def _offset_page(path: str, items: list[Any], limit: int, offset: int, total: int,
                 params: dict[str, Any]) -> dict[str, Any]:
    api = _api() + path
    href = f"{api}?{urllib.parse.urlencode({**params, 'offset': offset, 'limit': limit})}"
    return paging(href, _malform(items), limit, offset, total, api=api, params=params)


def _day() -> int:
    return g.as_of.toordinal()


# ------------------------------------------------------------------ me, top, recently played
@web_api.get("/me")
def me() -> Any:
    """Return the current user's private profile."""
    sb = sandbox()
    return jsonify(sb.objects.private_user(sb.world.users[_user()], _api()))


def _top(kind: str) -> Any:
    sb = sandbox()
    user = _user()
    _scope("user-top-read")
    time_range = request.args.get("time_range") or "medium_term"
    if time_range not in TIME_RANGES:
        raise ApiError(400, "Invalid time range")
    limit = _int("limit", 20, 1, 50)
    offset = _int("offset", 0, 0, 100_000)
    if kind == "artists":
        ranked = sb.world.top_artists(user, _day(), time_range)
        build = sb.objects.artist
    else:
        ranked = sb.world.top_tracks(user, _day(), time_range)
        build = sb.objects.track
    api = _api()
    items = [build(i, api) for i in ranked[offset:offset + limit]]
    return jsonify(_offset_page(f"/me/top/{kind}", items, limit, offset, len(ranked),
                                {"time_range": time_range}))


@web_api.get("/me/top/artists")
def top_artists() -> Any:
    """Return the current user's top artists for one time range."""
    return _top("artists")


@web_api.get("/me/top/tracks")
def top_tracks() -> Any:
    """Return the current user's top tracks for one time range."""
    return _top("tracks")


@web_api.get("/me/player/recently-played")
def recently_played() -> Any:
    """Return the user's recently played tracks with cursor paging (newest first)."""
    sb = sandbox()
    user = _user()
    _scope("user-read-recently-played")
    limit = _int("limit", 20, 1, 50)
    after = _int("after", -1, 0, 2**62) if request.args.get("after") else None
    before = _int("before", -1, 0, 2**62) if request.args.get("before") else None
    if after is not None and before is not None:
        raise ApiError(400, "Only one of before or after may be specified")
    now = now_header_ms()
    reachable = sb.world.recent_plays(user, sb.now_ms(g.as_of) if now is None else now)
    if after is not None:
        newer = [p for p in reachable if p.played_at_ms > after]
        chosen = newer[-limit:]  # the plays right after the cursor, still newest first
    elif before is not None:
        chosen = [p for p in reachable if p.played_at_ms < before][:limit]
    else:
        chosen = reachable[:limit]
    api = _api()
    endpoint = f"{api}/me/player/recently-played"
    items = _malform([sb.objects.play_history(user, p, api) for p in chosen])
    cursors = None
    next_url = None
    if chosen:
        cursors = {"after": str(chosen[0].played_at_ms), "before": str(chosen[-1].played_at_ms)}
        if after is not None:
            if any(p.played_at_ms > chosen[0].played_at_ms for p in reachable):
                next_url = f"{endpoint}?after={cursors['after']}&limit={limit}"
        elif any(p.played_at_ms < chosen[-1].played_at_ms for p in reachable):
            next_url = f"{endpoint}?before={cursors['before']}&limit={limit}"
    query = {"limit": limit, **({"after": after} if after is not None else {}),
             **({"before": before} if before is not None else {})}
    return jsonify({"href": f"{endpoint}?{urllib.parse.urlencode(query)}", "items": items,
                    "limit": limit, "next": next_url, "cursors": cursors,
                    "total": len(reachable)})


# ------------------------------------------------------------------ catalogue
def _artist_index(artist_id: str) -> int:
    index = sandbox().world.artist_index.get(_id(artist_id))
    if index is None:
        raise ApiError(404, "Resource not found")
    return index


@web_api.get("/artists/<id>")
def artist(id: str) -> Any:  # noqa: A002 - the template name shows in counters
    """Return one full artist."""
    sb = sandbox()
    return jsonify(sb.objects.artist(_artist_index(id), _api()))


@web_api.get("/artists", strict_slashes=False)
def several_artists() -> Any:
    """Return several artists (removed from development mode in Feb 2026)."""
    _extended_only()
    sb = sandbox()
    api = _api()
    found = [sb.world.artist_index.get(i) for i in _ids(50)]
    return jsonify({"artists": [sb.objects.artist(a, api) if a is not None else None
                                for a in found]})


@web_api.get("/artists/<id>/albums")
def artist_albums(id: str) -> Any:  # noqa: A002
    """Return an artist's albums, newest first; dev mode caps `limit` at 10 (default 5)."""
    sb = sandbox()
    w = sb.world
    a = _artist_index(id)
    dev = sb.mode == "development"
    limit = _int("limit", 5 if dev else 20, 1, 10 if dev else 50)
    offset = _int("offset", 0, 0, 10_000)
    raw_groups = request.args.get("include_groups")
    groups = [x.strip() for x in raw_groups.split(",")] if raw_groups else list(INCLUDE_GROUPS)
    if any(x not in INCLUDE_GROUPS for x in groups):
        raise ApiError(400, "Invalid include_groups")
    albums = [m for m in range(int(w.artist_album_start[a]), int(w.artist_album_start[a + 1]))
              if ("album", "single", "compilation")[w.album_type[m]] in groups]
    albums.sort(key=lambda m: (-w.album_year[m], -w.album_month[m], -w.album_day[m], m))
    api = _api()
    items = [sb.objects.album_simple(m, api, True) for m in albums[offset:offset + limit]]
    params = {"include_groups": raw_groups} if raw_groups else {}
    return jsonify(_offset_page(f"/artists/{id}/albums", items, limit, offset, len(albums),
                                params))


@web_api.get("/artists/<id>/top-tracks")
def artist_top_tracks(id: str) -> Any:  # noqa: A002
    """Return an artist's ten most popular tracks (removed from development mode)."""
    _extended_only()
    sb = sandbox()
    w = sb.world
    a = _artist_index(id)
    tracks = list(range(int(w.artist_track_start[a]), int(w.artist_track_start[a + 1])))
    tracks.sort(key=lambda t: (-w.track_popularity[t], t))
    api = _api()
    return jsonify({"tracks": [sb.objects.track(t, api) for t in tracks[:10]]})


def _removed_nov_2024(**_: str) -> Response:
    """Answer 404 as Spotify does for endpoints removed for new apps in November 2024."""
    return error_response(404, "Resource not found")


def _audio_refused(**_: str) -> Response:
    """Answer audio features and analysis as Spotify does for new apps: 403, no message."""
    response = jsonify({"error": {"status": 403}})
    response.status_code = 403
    return response


for _rule in ("/artists/<id>/related-artists", "/recommendations", "/browse/featured-playlists",
              "/browse/categories/<id>/playlists"):
    web_api.add_url_rule(_rule, f"removed_{_rule}", _removed_nov_2024)
for _rule in ("/audio-features", "/audio-features/<id>", "/audio-analysis/<id>"):
    web_api.add_url_rule(_rule, f"refused_{_rule}", _audio_refused)


@web_api.get("/tracks/<id>")
def track(id: str) -> Any:  # noqa: A002
    """Return one full track."""
    sb = sandbox()
    t = sb.world.track_index.get(_id(id))
    if t is None:
        raise ApiError(404, "Resource not found")
    return jsonify(sb.objects.track(t, _api()))


@web_api.get("/tracks", strict_slashes=False)
def several_tracks() -> Any:
    """Return several tracks (removed from development mode in Feb 2026)."""
    _extended_only()
    sb = sandbox()
    api = _api()
    found = [sb.world.track_index.get(i) for i in _ids(50)]
    return jsonify({"tracks": [sb.objects.track(t, api) if t is not None else None
                               for t in found]})


@web_api.get("/albums/<id>")
def album(id: str) -> Any:  # noqa: A002
    """Return one full album."""
    sb = sandbox()
    m = sb.world.album_index.get(_id(id))
    if m is None:
        raise ApiError(404, "Resource not found")
    return jsonify(sb.objects.album(m, _api()))


@web_api.get("/albums", strict_slashes=False)
def several_albums() -> Any:
    """Return several albums (removed from development mode in Feb 2026)."""
    _extended_only()
    sb = sandbox()
    api = _api()
    found = [sb.world.album_index.get(i) for i in _ids(20)]
    return jsonify({"albums": [sb.objects.album(m, api) if m is not None else None
                               for m in found]})


SEARCH_TYPES = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
SEARCH_FILTER = re.compile(r'(\w+):(?:"([^"]*)"|(\S+))')


def parse_query(q: str) -> tuple[dict[str, str], str]:
    """Split a search query into field filters (`track:"..."`, `artist:x`) and free text."""
    filters: dict[str, str] = {}
    for match in SEARCH_FILTER.finditer(q):
        filters[match.group(1).lower()] = match.group(2) if match.group(2) is not None \
            else match.group(3)
    return filters, " ".join(SEARCH_FILTER.sub(" ", q).replace('"', " ").split())


@web_api.get("/search")
def search() -> Any:
    """Search the catalogue: tracks and artists (other types answer empty pages).

    Development mode caps `limit` at 10 (default 5), as Spotify has since February 2026;
    the extended shape keeps 50 (default 20). An empty `q` or `type` is a 400, as on Spotify.
    """
    sb = sandbox()
    q = (request.args.get("q") or "").strip()
    if not q:
        raise ApiError(400, "No search query")
    raw_types = request.args.get("type")
    if not raw_types:
        raise ApiError(400, "Missing parameter type")
    types = [t.strip() for t in raw_types.split(",")]
    if any(t not in SEARCH_TYPES for t in types):
        raise ApiError(400, "Bad search type field")
    dev = sb.mode == "development"
    limit = _int("limit", 5 if dev else 20, 1, 10 if dev else 50)
    offset = _int("offset", 0, 0, 1000)
    filters, text = parse_query(q)
    api = _api()
    params = {"q": q, "type": raw_types}
    answer: dict[str, Any] = {}
    for kind in types:
        if kind == "track":
            found = sb.world.search_tracks(track=filters.get("track"),
                                           artist=filters.get("artist"), text=text or None)
            items = [sb.objects.track(t, api) for t in found[offset:offset + limit]]
        elif kind == "artist":
            name = filters.get("artist") or text
            found = sb.world.search_artists(name) if name else []
            items = [sb.objects.artist(a, api) for a in found[offset:offset + limit]]
        else:
            found, items = [], []
        answer[f"{kind}s"] = _offset_page("/search", items, limit, offset, len(found), params)
    return jsonify(answer)


@web_api.get("/markets")
def markets() -> Any:
    """Return the markets (removed from development mode in Feb 2026)."""
    _extended_only()
    from spotify_sandbox.world import MARKETS

    return jsonify({"markets": MARKETS})


@web_api.get("/users/<user_id>")
def user_profile(user_id: str) -> Any:
    """Return a user's public profile (removed from development mode in Feb 2026)."""
    _extended_only()
    sb = sandbox()
    u = sb.world.user_index.get(user_id)
    if u is None:
        raise ApiError(404, "Resource not found")
    return jsonify(sb.objects.public_user(sb.world.users[u], _api()))


# ------------------------------------------------------------------ playlists
def _snapshot(playlist: dict[str, Any]) -> None:
    playlist["version"] += 1
    raw = f"{playlist['version']}:{secrets.token_hex(8)}".encode()
    playlist["snapshot_id"] = base64.b64encode(raw).decode()


def _create_playlist(owner: int) -> Response:
    sb = sandbox()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise ApiError(400, "Missing required field: name")
    public = bool(body.get("public", True))
    _scope(*(("playlist-modify-public",) if public else MODIFY_SCOPES))
    playlist = {"id": "".join(secrets.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
                                             "mnopqrstuvwxyz") for _ in range(22)),
                "owner": owner, "name": body["name"], "public": public,
                "collaborative": bool(body.get("collaborative", False)),
                "description": str(body.get("description") or ""),
                "entries": [], "version": 0, "snapshot_id": "",
                "created": time.time()}
    _snapshot(playlist)
    with sb.lock:
        sb.playlists[playlist["id"]] = playlist
    response = jsonify(_full_playlist(playlist))
    response.status_code = 201
    return response


def _full_playlist(playlist: dict[str, Any]) -> dict[str, Any]:
    sb = sandbox()
    api = _api()
    obj = sb.objects.playlist_simple(playlist, sb.world.users[playlist["owner"]], api)
    obj["followers"] = {"href": None, "total": 0}
    obj[sb.objects.items_key] = _playlist_items_page(playlist, 100, 0, "items")
    return obj


def _playlist_items_page(playlist: dict[str, Any], limit: int, offset: int, path: str
                         ) -> dict[str, Any]:
    sb = sandbox()
    api = _api()
    entries = playlist["entries"]
    items = [sb.objects.playlist_track(e, sb.world.users[e["added_by"]], api)
             for e in entries[offset:offset + limit]]
    return _offset_page(f"/playlists/{playlist['id']}/{path}", items, limit, offset,
                        len(entries), {})


def _playlist(playlist_id: str) -> dict[str, Any]:
    playlist = sandbox().playlists.get(_id(playlist_id))
    if playlist is None:
        raise ApiError(404, "Resource not found")
    return playlist


@web_api.post("/me/playlists")
def create_my_playlist() -> Any:
    """Create a playlist on the current user's account."""
    return _create_playlist(_user())


@web_api.get("/me/playlists")
def my_playlists() -> Any:
    """Return the current user's playlists, newest first."""
    return _list_playlists(_user(), include_private=True, path="/me/playlists")


def _list_playlists(owner: int, *, include_private: bool, path: str) -> Any:
    sb = sandbox()
    limit = _int("limit", 20, 1, 50)
    offset = _int("offset", 0, 0, 100_000)
    with sb.lock:
        owned = [p for p in sb.playlists.values()
                 if p["owner"] == owner and (include_private or p["public"])]
    owned.sort(key=lambda p: -p["created"])
    api = _api()
    items = [sb.objects.playlist_simple(p, sb.world.users[owner], api)
             for p in owned[offset:offset + limit]]
    return jsonify(_offset_page(path, items, limit, offset, len(owned), {}))


@web_api.route("/users/<user_id>/playlists", methods=["GET", "POST"])
def user_playlists(user_id: str) -> Any:
    """List a user's public playlists or create one (removed from development mode)."""
    _extended_only()
    sb = sandbox()
    u = sb.world.user_index.get(user_id)
    if u is None:
        raise ApiError(404, "Resource not found")
    if request.method == "POST":
        if u != _user():
            raise ApiError(403, "You cannot create a playlist for another user.")
        return _create_playlist(u)
    return _list_playlists(u, include_private=u == g.get("user"),
                           path=f"/users/{user_id}/playlists")


@web_api.get("/playlists/<id>")
def playlist(id: str) -> Any:  # noqa: A002
    """Return a full playlist with its first 100 items."""
    return jsonify(_full_playlist(_playlist(id)))


def _uris_from_request() -> tuple[list[str], int | None]:
    body = request.get_json(silent=True)
    position: Any = request.args.get("position")
    if isinstance(body, list):  # spotipy's playlist_add_items posts a bare list
        uris = body
    elif isinstance(body, dict) and "uris" in body:
        uris = body["uris"]
        position = body.get("position", position)
    elif request.args.get("uris"):
        uris = request.args["uris"].split(",")
    else:
        uris = []
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise ApiError(400, "Invalid request")
    if len(uris) > 100:
        raise ApiError(400, "Too many ids requested")
    try:
        pos = int(position) if position is not None else None
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid position") from None
    return uris, pos


def _tracks_of(uris: list[str]) -> list[int]:
    world = sandbox().world
    tracks = []
    for uri in uris:
        match = TRACK_URI.match(uri)
        if not match:
            raise ApiError(400, "Unsupported URL / URI.")
        t = world.track_index.get(_id(match.group(1)))
        if t is None:
            raise ApiError(400, "Payload contains a non-existing ID")
        tracks.append(t)
    return tracks


def _modify_items(playlist_id: str, replace: bool) -> Response:
    sb = sandbox()
    user = _user()
    playlist = _playlist(playlist_id)
    if playlist["owner"] != user:
        raise ApiError(403, "You cannot modify a playlist you don't own.")
    _scope(*MODIFY_SCOPES)
    if replace and isinstance(request.get_json(silent=True), dict) \
            and "range_start" in request.get_json(silent=True):
        raise ApiError(400, "Reordering is not supported by the sandbox")
    uris, position = _uris_from_request()
    tracks = _tracks_of(uris)
    added_at = iso_ms(min(sb.now_ms(g.as_of), int(time.time() * 1000)))[:19] + "Z"
    entries = [{"track": t, "added_at": added_at, "added_by": user} for t in tracks]
    with sb.lock:
        if replace:
            playlist["entries"] = entries
        else:
            if position is not None and not 0 <= position <= len(playlist["entries"]):
                raise ApiError(400, "Index out of bounds")
            at = len(playlist["entries"]) if position is None else position
            playlist["entries"][at:at] = entries
        _snapshot(playlist)
        snapshot_id = playlist["snapshot_id"]
    response = jsonify({"snapshot_id": snapshot_id})
    response.status_code = 200 if replace else 201
    return response


def _items(id: str, path: str) -> Any:  # noqa: A002
    if request.method == "GET":
        limit = _int("limit", 100, 1, 100)
        offset = _int("offset", 0, 0, 100_000)
        return jsonify(_playlist_items_page(_playlist(id), limit, offset, path))
    return _modify_items(id, replace=request.method == "PUT")


@web_api.route("/playlists/<id>/items", methods=["GET", "PUT", "POST"])
def playlist_items(id: str) -> Any:  # noqa: A002
    """Read, replace (PUT) or append to (POST) a playlist's items, ≤ 100 URIs a call."""
    return _items(id, "items")


@web_api.route("/playlists/<id>/tracks", methods=["GET", "PUT", "POST"])
def playlist_tracks(id: str) -> Any:  # noqa: A002
    """The pre-2026 name of `/items` (removed from development mode)."""
    _extended_only()
    return _items(id, "tracks")
