"""Ticketmaster Discovery v2 JSON: events, venues, attractions, pages and error bodies.

Field names, nesting and types follow Ticketmaster's answers (coordinates are strings, empty
results have no `_embedded`, links never carry the API key). Nothing here decides what matches.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ticketmaster_sandbox.world import FAMILY_GENRE, MUSIC_SEGMENT

if TYPE_CHECKING:
    from ticketmaster_sandbox.cities import Venue
    from ticketmaster_sandbox.world import Attraction, ConcertWorld, Event

API_PREFIX = "/discovery/v2"
LOCALE = "en-us"
GROUP_TYPE = {"id": "KZAyXgnZfZ7v7nI", "name": "Group"}
BAND_SUBTYPE = {"id": "KZFzBErXgnZfZ7v7lJ", "name": "Band"}
IMAGE_SIZES = (("16_9", "RETINA_PORTRAIT_16_9", 640, 360), ("3_2", "ARTIST_PAGE_3_2", 305, 203),
               ("16_9", "TABLET_LANDSCAPE_LARGE_16_9", 2048, 1152))


def _images(key: str) -> list[dict[str, Any]]:
    digest = hashlib.sha1(key.encode()).hexdigest()
    return [{"ratio": ratio, "url": f"https://s1.ticketm.net/dam/a/{digest[:3]}/{digest}_{name}.jpg",
             "width": width, "height": height, "fallback": False}
            for ratio, name, width, height in IMAGE_SIZES]


def _classification(family: str) -> dict[str, Any]:
    genre_id, genre_name = FAMILY_GENRE[family]
    return {"primary": True, "segment": dict(MUSIC_SEGMENT),
            "genre": {"id": genre_id, "name": genre_name},
            "subGenre": {"id": genre_id.replace("KnvZfZ7v", "KZazBEonSMnZfZ7v"), "name": genre_name},
            "type": dict(GROUP_TYPE), "subType": dict(BAND_SUBTYPE), "family": False}


def attraction(a: Attraction, upcoming: int | None = None) -> dict[str, Any]:
    """Return an attraction as Ticketmaster shows it."""
    slug = "".join(c if c.isalnum() else "-" for c in a.name.lower()).strip("-") or "artist"
    body: dict[str, Any] = {
        "name": a.name, "type": "attraction", "id": a.id, "test": False,
        "url": f"https://www.ticketmaster.com/{slug}-tickets/artist/{1000000 + a.index}",
        "locale": LOCALE,
    }
    links: dict[str, list[dict[str, str]]] = {}
    if a.spotify_id:
        links["spotify"] = [{"url": f"https://open.spotify.com/artist/{a.spotify_id}"}]
    if not a.namesake:
        links["homepage"] = [{"url": f"https://{slug}.example.com/"}]
    if links:
        body["externalLinks"] = links
    body["aliases"] = [a.name.lower()]
    body["images"] = _images(a.id)
    body["classifications"] = [_classification(a.family)]
    if upcoming is not None:
        body["upcomingEvents"] = {"_total": upcoming, "ticketmaster": upcoming, "_filtered": 0}
    body["_links"] = {"self": {"href": f"{API_PREFIX}/attractions/{a.id}?locale={LOCALE}"}}
    return body


def venue(v: Venue, distance_km: float | None = None) -> dict[str, Any]:
    """Return a venue as Ticketmaster embeds it in an event."""
    body: dict[str, Any] = {
        "name": v.name, "type": "venue", "id": v.id, "test": False, "locale": LOCALE,
        "postalCode": v.postal_code, "timezone": v.city.timezone,
        "city": {"name": v.locality or v.city.name},
    }
    if v.city.state:
        body["state"] = {"name": v.city.state, "stateCode": v.city.state_code}
    body["country"] = {"name": v.city.country, "countryCode": v.city.country_code}
    body["address"] = {"line1": v.address}
    # Ticketmaster sends coordinates as strings.
    body["location"] = {"longitude": f"{v.longitude:.6f}", "latitude": f"{v.latitude:.6f}"}
    if distance_km is not None:
        body["distance"] = round(distance_km, 2)
        body["units"] = "KILOMETERS"
    body["_links"] = {"self": {"href": f"{API_PREFIX}/venues/{v.id}?locale={LOCALE}"}}
    return body


def event(world: ConcertWorld, e: Event, distance_km: float | None = None) -> dict[str, Any]:
    """Return an event with its venue and attractions embedded."""
    headliner = world.attractions[e.headliner]
    performers = [headliner] + ([world.attractions[e.support]] if e.support >= 0 else [])
    start: dict[str, Any] = {"localDate": e.local_date.isoformat()}
    starts_at = e.starts_at
    if e.local_time is not None and starts_at is not None:
        start["localTime"] = e.local_time
        start["dateTime"] = starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    start.update(dateTBD=False, dateTBA=False, timeTBA=e.local_time is None,
                 noSpecificTime=False)
    name = f"{headliner.name}: The {e.tour}" if e.tour else headliner.name
    body: dict[str, Any] = {
        "name": name, "type": "event", "id": e.id, "test": False,
        "url": f"https://www.ticketmaster.com/event/{e.id}", "locale": LOCALE,
        "images": _images(e.id),
        "sales": {"public": {"startDateTime": "1900-01-01T18:00:00Z", "startTBD": False,
                             "startTBA": False}},
        "dates": {"start": start, "timezone": e.venue.city.timezone,
                  "status": {"code": e.status}, "spanMultipleDays": False},
        "classifications": [_classification(headliner.family)],
    }
    if distance_km is not None:
        body["distance"] = round(distance_km, 2)
        body["units"] = "KILOMETERS"
    body["_links"] = {
        "self": {"href": f"{API_PREFIX}/events/{e.id}?locale={LOCALE}"},
        "attractions": [{"href": f"{API_PREFIX}/attractions/{a.id}?locale={LOCALE}"}
                        for a in performers],
        "venues": [{"href": f"{API_PREFIX}/venues/{e.venue.id}?locale={LOCALE}"}]}
    body["_embedded"] = {"venues": [venue(e.venue, distance_km)],
                         "attractions": [attraction(a) for a in performers]}
    return body


def page(kind: str, items: list[dict[str, Any]], total: int, size: int, number: int,
         path: str, query: dict[str, str]) -> dict[str, Any]:
    """Wrap one page of results; `_embedded` is left out when the page is empty."""
    pages = math.ceil(total / size) if size else 0
    shown = {k: v for k, v in query.items() if k != "apikey"}  # never echo the key

    def href(number_: int | None = None) -> dict[str, str]:
        params = dict(shown)
        if number_ is not None:
            params.update(page=str(number_), size=str(size))
        return {"href": f"{path}?{urlencode(params)}" if params else path}

    body: dict[str, Any] = {}
    if items:
        body["_embedded"] = {kind: items}
    links = {"self": href()}
    if pages > 1:
        links["first"] = href(0)
        if number > 0:
            links["prev"] = href(number - 1)
        if number + 1 < pages:
            links["next"] = href(number + 1)
        links["last"] = href(pages - 1)
    body["_links"] = links
    body["page"] = {"size": size, "totalElements": total, "totalPages": pages, "number": number}
    return body


def discovery_error(status: int, code: str, detail: str) -> dict[str, Any]:
    """Return the Discovery API's error body (bad parameters, unknown ids)."""
    return {"errors": [{"code": code, "detail": detail, "status": str(status),
                        "_links": {"about": {"href": f"{API_PREFIX}/errors.html#{code}"}}}]}


def fault(faultstring: str, errorcode: str) -> dict[str, Any]:
    """Return the gateway's error body (keys, quota, spike arrest, outages)."""
    return {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}
