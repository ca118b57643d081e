"""The sandbox's Flask app: Discovery v2 (`/discovery/v2/`) behind the gateway, and `/__sandbox/`.

Requests pass the gateway first (API key, spike arrest, daily quota, armed faults), as on
Ticketmaster; the Discovery handlers then search the deterministic world.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ticketmaster_sandbox import shapes
from ticketmaster_sandbox.cities import CITIES, VENUES
from ticketmaster_sandbox.limits import SERVER_ERRORS, Gateway
from ticketmaster_sandbox.world import ConcertWorld

MAX_SIZE = 200
MAX_DEPTH = 1000  # Ticketmaster: (page * size) must be less than 1,000
DEFAULT_WINDOW_DAYS = 730  # without endDateTime: concerts up to two years ahead
MILES_TO_KM = 1.609344
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class DiscoveryError(Exception):
    """A Discovery API error answered with its `errors` body."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _int(name: str, default: int) -> int:
    raw = request.args.get(name) or str(default)
    if not raw.isdigit():  # also refuses negative numbers
        raise DiscoveryError(400, "DIS1015", f"Request failed: Wrong value for parameter "
                                             f"'{name}': '{raw}'")
    return int(raw)


def _paging() -> tuple[int, int]:
    size = min(MAX_SIZE, _int("size", 20)) or 20
    number = _int("page", 0)
    if number * size >= MAX_DEPTH:
        raise DiscoveryError(400, "DIS1035", "API Limits Exceeded: Max paging depth exceeded. "
                                             "(page * size) must be less than 1,000")
    return size, number


def _instant(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return dt.datetime.strptime(raw, DATETIME_FORMAT).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise DiscoveryError(400, "DIS1015", f"Request failed: Wrong format for parameter "
                                             f"'{name}': '{raw}' (expected "
                                             "YYYY-MM-DDTHH:mm:ssZ)") from None


def _latlong() -> tuple[float, float] | None:
    raw = request.args.get("latlong")
    if not raw:
        return None
    try:
        latitude, longitude = (float(part) for part in raw.split(","))
    except ValueError:
        raise DiscoveryError(400, "DIS1015", f"Request failed: Wrong value for parameter "
                                             f"'latlong': '{raw}'") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DiscoveryError(400, "DIS1015", f"Request failed: 'latlong' out of range: '{raw}'")
    return latitude, longitude


def _radius_km() -> float:
    raw = request.args.get("radius", "")
    unit = request.args.get("unit", "miles").lower()
    if unit not in ("miles", "km"):
        raise DiscoveryError(400, "DIS1015", f"Request failed: 'unit' must be miles or km, "
                                             f"not '{unit}'")
    try:
        radius = float(raw) if raw else 25.0
    except ValueError:
        raise DiscoveryError(400, "DIS1015", f"Request failed: Wrong value for parameter "
                                             f"'radius': '{raw}'") from None
    return radius * (MILES_TO_KM if unit == "miles" else 1.0)


def _music_only() -> bool | None:
    """Return True for classificationName=music, False for another segment, None if unset."""
    names = [n.strip().lower() for n in request.args.get("classificationName", "").split(",")
             if n.strip()]
    if not names:
        return None
    return "music" in names


def _event_text(world: ConcertWorld, e: Any) -> str:
    """Return what a keyword search looks at: the performers' names and the tour."""
    names = [world.attractions[e.headliner].name]
    if e.support >= 0:
        names.append(world.attractions[e.support].name)
    return " ".join(names + [e.tour or ""]).lower()


def create_app(world: ConcertWorld, gateway: Gateway) -> Flask:
    """Return the Flask app of one sandbox."""
    app = Flask("ticketmaster_sandbox")
    app.json.sort_keys = False
    app.json.compact = True
    app.url_map.strict_slashes = False

    @app.before_request
    def _gate() -> Response | None:
        if not request.path.startswith(shapes.API_PREFIX):
            return None
        if gateway.latency():
            time.sleep(gateway.latency())
        endpoint = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
        attractions = [a for a in request.args.get("attractionId", "").split(",") if a]
        key = request.args.get("apikey")
        if not key:
            gateway.count(endpoint, refused="401")
            return _json(shapes.fault("Failed to resolve API Key variable request.queryparam."
                                      "apikey", "steps.oauth.v2.FailedToResolveAPIKey"), 401)
        if key != gateway.api_key:
            gateway.count(endpoint, refused="401")
            return _json(shapes.fault("Invalid ApiKey", "oauth.v2.InvalidApiKey"), 401)
        refusal, headers = gateway.take()
        g.rate_headers = headers
        if refusal == "spike":
            gateway.count(endpoint, refused="429 spike")
            return _json(shapes.fault(
                f"Spike arrest violation. Allowed rate : MessageRate{{messagesPerPeriod="
                f"{gateway.rate_per_second:g}, periodInMicroseconds=1000000, "
                "maxBurstMessageCount=1.0}", "policies.ratelimit.SpikeArrestViolation"), 429)
        if refusal == "quota":
            gateway.count(endpoint, refused="429 quota")
            return _json(shapes.fault("Rate limit quota violation. Quota limit  exceeded. "
                                      "Identifier : " + key,  # the key, as Ticketmaster does
                                      "policies.ratelimit.QuotaViolation"), 429)
        status = gateway.take_server_error()
        if status:
            gateway.count(endpoint, refused=str(status))
            return _json(shapes.fault(*SERVER_ERRORS[status]), status)
        gateway.count(endpoint, attractions)
        return None

    @app.after_request
    def _rate_headers(response: Response) -> Response:
        for name, value in getattr(g, "rate_headers", {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(DiscoveryError)
    def _discovery_error(error: DiscoveryError) -> Response:
        return _json(shapes.discovery_error(error.status, error.code, error.detail), error.status)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if request.path.startswith((shapes.API_PREFIX, "/__sandbox")):
            status = error.code or 500
            return _json(shapes.discovery_error(status, "DIS1004" if status == 404 else "DIS1000",
                                                error.description or error.name), status)
        return error

    # ---------------------------------------------------------------- Discovery v2
    @app.get(f"{shapes.API_PREFIX}/events.json")
    @app.get(f"{shapes.API_PREFIX}/events")
    def events() -> Response:
        """Search events: attractionId, latlong+radius+unit, start/endDateTime, paging."""
        size, number = _paging()
        start = _instant("startDateTime") or dt.datetime.now(dt.timezone.utc)
        end = _instant("endDateTime") or start + dt.timedelta(days=DEFAULT_WINDOW_DAYS)
        point = _latlong()
        radius_km = _radius_km()
        music = _music_only()
        keyword = request.args.get("keyword", "").strip().lower()
        wanted: set[int] | None = None
        if request.args.get("attractionId"):
            wanted = {world.attraction_by_id[a].index
                      for a in request.args["attractionId"].split(",")
                      if a in world.attraction_by_id}
        distances = world.distances_km(*point) if point else None
        found = [] if music is False or wanted == set() else world.events(
            (start - dt.timedelta(days=1)).date(), (end + dt.timedelta(days=1)).date(), wanted,
            None if distances is None else distances <= radius_km)
        venue_index = {v.id: i for i, v in enumerate(VENUES)}
        matched = []
        for e in found:
            begins, _ = e.sort_key()
            if not start <= begins <= end:
                continue
            if keyword and keyword not in _event_text(world, e):
                continue
            distance = None
            if distances is not None:
                distance = float(distances[venue_index[e.venue.id]])
                if distance > radius_km:
                    continue
            matched.append((e, distance))
        if request.args.get("sort", "").lower().startswith("date,desc"):
            matched.reverse()
        shown = matched[number * size:(number + 1) * size]
        return _json(shapes.page("events", [shapes.event(world, e, d) for e, d in shown],
                                 len(matched), size, number, request.path, dict(request.args)))

    @app.get(f"{shapes.API_PREFIX}/attractions.json")
    @app.get(f"{shapes.API_PREFIX}/attractions")
    def attractions() -> Response:
        """Search attractions by keyword (name or alias, case-insensitive)."""
        size, number = _paging()
        keyword = request.args.get("keyword", "").strip().lower()
        music = _music_only()
        found = [] if music is False else [
            a for a in world.attractions if not keyword or keyword in a.name.lower()]
        shown = found[number * size:(number + 1) * size]
        return _json(shapes.page("attractions", [shapes.attraction(a) for a in shown],
                                 len(found), size, number, request.path, dict(request.args)))

    @app.get(f"{shapes.API_PREFIX}/attractions/<attraction_id>.json")
    @app.get(f"{shapes.API_PREFIX}/attractions/<attraction_id>")
    def attraction(attraction_id: str) -> Response:
        """Return one attraction."""
        found = world.attraction_by_id.get(attraction_id)
        if found is None:
            raise DiscoveryError(404, "DIS1004", f"Resource not found with provided criteria "
                                                 f"(locale=en-us, id={attraction_id})")
        return _json(shapes.attraction(found))

    # ---------------------------------------------------------------- control
    def _body() -> dict[str, Any]:
        body = request.get_json(silent=True)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise DiscoveryError(400, "SANDBOX", "Expected a JSON object")
        return body

    @app.route("/__sandbox/faults", methods=["GET", "POST", "DELETE"])
    def faults() -> Response:
        """Arm (POST), list (GET) or clear (DELETE) faults: rate_limit, server_errors, latency_ms."""
        if request.method == "DELETE":
            gateway.clear_faults()
        elif request.method == "POST":
            try:
                gateway.arm(_body())
            except (TypeError, ValueError) as error:
                raise DiscoveryError(400, "SANDBOX", str(error)) from None
        return _json(gateway.describe_faults())

    @app.route("/__sandbox/quota", methods=["GET", "POST"])
    def quota() -> Response:
        """Read or set the daily quota: {"limit": N, "used": M} (used 0 starts a new day)."""
        if request.method == "POST":
            body = _body()
            try:
                return _json(gateway.set_quota(body.get("limit"), body.get("used")))
            except (TypeError, ValueError) as error:
                raise DiscoveryError(400, "SANDBOX", str(error)) from None
        return _json(gateway.quota_state())

    @app.route("/__sandbox/counters", methods=["GET", "DELETE"])
    def counters() -> Response:
        """Read (GET) or reset (DELETE) the request counters."""
        if request.method == "DELETE":
            gateway.reset_counters()
        return _json(gateway.counters())

    @app.get("/__sandbox/cities")
    def cities() -> Response:
        """List the cities and their venues (name, coordinates, time zone)."""
        return _json({"cities": [
            {"name": c.name, "country_code": c.country_code, "latitude": c.latitude,
             "longitude": c.longitude, "timezone": c.timezone,
             "venues": [{"id": v.id, "name": v.name, "latitude": v.latitude,
                         "longitude": v.longitude} for v in VENUES if v.city is c]}
            for c in CITIES]})

    @app.get("/__sandbox/info")
    def info() -> Response:
        """Describe the sandbox (never the API key)."""
        return _json({"sandbox": True, "seed": world.seed, "attractions": len(world.attractions),
                      "artists": world.spotify.n_artists, "cities": [c.name for c in CITIES],
                      "quota": gateway.quota_state(), "rate_per_second": gateway.rate_per_second})

    @app.get("/")
    def index() -> Response:
        return _json({"sandbox": "Ticketmaster sandbox: a local stand-in for the Ticketmaster "
                                 "Discovery API v2, not Ticketmaster",
                      "api": request.host_url.rstrip("/") + shapes.API_PREFIX + "/",
                      "control": request.host_url + "__sandbox/info"})

    return app
