"""Ticketmaster Discovery v2 payloads for tests, in the shapes Ticketmaster sends.

Follow real answers: coordinates as strings, `dates.start` with localDate/localTime/dateTime
(dateTime and localTime absent while the time is to be announced), `dates.timezone`,
embedded venues and attractions with `externalLinks` lists, `page`, no `_embedded` when empty.
"""

from __future__ import annotations

from typing import Any

RADIOHEAD = "4Z8W4fKeB5YxbusRsdQVPb"  # Spotify artist ids
BJORK = "7w29UYBi0qsHi5RTcv3lmA"
SEGMENT = {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"}
ROCK = {"id": "KnvZfZ7vAeA", "name": "Rock"}

VENUES = {
    "Hollywood Bowl": {"postalCode": "90068", "timezone": "America/Los_Angeles",
                       "city": {"name": "Los Angeles"},
                       "state": {"name": "California", "stateCode": "CA"},
                       "country": {"name": "United States Of America", "countryCode": "US"},
                       "address": {"line1": "2301 N Highland Ave"},
                       "location": {"longitude": "-118.339100", "latitude": "34.112200"}},
    "Spark Arena": {"postalCode": "1010", "timezone": "Pacific/Auckland",
                    "city": {"name": "Auckland"},
                    "country": {"name": "New Zealand", "countryCode": "NZ"},
                    "address": {"line1": "42-80 Mahuhu Crescent"},
                    "location": {"longitude": "174.779300", "latitude": "-36.847600"}},
    "Roundhouse": {"postalCode": "NW1 8EH", "timezone": "Europe/London",
                   "city": {"name": "London"},
                   "country": {"name": "Great Britain", "countryCode": "GB"},
                   "address": {"line1": "Chalk Farm Road"},
                   "location": {"longitude": "-0.151700", "latitude": "51.543400"}},
}


def attraction(attraction_id: str, name: str, spotify_id: str | None = None) -> dict[str, Any]:
    """An attraction, with a Spotify link when `spotify_id` is given."""
    body: dict[str, Any] = {"name": name, "type": "attraction", "id": attraction_id,
                            "test": False,
                            "url": f"https://www.ticketmaster.com/{name.lower()}-tickets/"
                                   "artist/806431", "locale": "en-us"}
    links: dict[str, Any] = {"homepage": [{"url": "https://www.example.com/"}]}
    if spotify_id:
        links["spotify"] = [{"url": f"https://open.spotify.com/artist/{spotify_id}"}]
        links["musicbrainz"] = [{"id": "a74b1b7f-71a5-4011-9441-d0b5e4122711"}]
    body["externalLinks"] = links
    body["aliases"] = [name.lower()]
    body["images"] = [{"ratio": "16_9", "url": "https://s1.ticketm.net/dam/a/e0b/x_RETINA_PORTRAIT_16_9.jpg",
                       "width": 640, "height": 360, "fallback": False}]
    body["classifications"] = [{"primary": True, "segment": SEGMENT, "genre": ROCK,
                                "subGenre": {"id": "KZazBEonSMnZfZ7v6F1", "name": "Pop"},
                                "type": {"id": "KZAyXgnZfZ7v7nI", "name": "Undefined"},
                                "subType": {"id": "KZFzBErXgnZfZ7v7lJ", "name": "Undefined"},
                                "family": False}]
    body["upcomingEvents"] = {"_total": 12, "ticketmaster": 12, "_filtered": 0}
    body["_links"] = {"self": {"href": f"/discovery/v2/attractions/{attraction_id}?locale=en-us"}}
    return body


def event(event_id: str, *, venue: str, local_date: str, local_time: str | None,
          date_time: str | None, performers: list[dict[str, Any]], status: str = "onsale",
          name: str | None = None) -> dict[str, Any]:
    """An event at one of VENUES; give date_time (UTC) together with local_time."""
    start: dict[str, Any] = {"localDate": local_date}
    if local_time:
        start.update(localTime=local_time, dateTime=date_time)
    start.update(dateTBD=False, dateTBA=False, timeTBA=local_time is None, noSpecificTime=False)
    place = VENUES[venue]
    return {
        "name": name or performers[0]["name"], "type": "event", "id": event_id, "test": False,
        "url": f"https://www.ticketmaster.com/event/{event_id}", "locale": "en-us",
        "images": [], "sales": {"public": {"startDateTime": "2026-06-01T17:00:00Z",
                                           "startTBD": False, "startTBA": False,
                                           "endDateTime": date_time or f"{local_date}T23:00:00Z"}},
        "dates": {"start": start, "timezone": place["timezone"], "status": {"code": status},
                  "spanMultipleDays": False},
        "classifications": [{"primary": True, "segment": SEGMENT, "genre": ROCK,
                             "family": False}],
        "_links": {"self": {"href": f"/discovery/v2/events/{event_id}?locale=en-us"}},
        "_embedded": {"venues": [{"name": venue, "type": "venue", "id": "KovZpZA7AAEA",
                                  "test": False, "locale": "en-us", **place,
                                  "_links": {"self": {"href": "/discovery/v2/venues/KovZpZA7AAEA"}}}],
                      "attractions": performers},
    }


def page(kind: str, items: list[dict[str, Any]], *, size: int = 20, number: int = 0,
         total: int | None = None) -> dict[str, Any]:
    """A page of results; `_embedded` only when there are items, as Ticketmaster does."""
    total = len(items) if total is None else total
    body: dict[str, Any] = {}
    if items:
        body["_embedded"] = {kind: items}
    body["_links"] = {"self": {"href": f"/discovery/v2/{kind}.json?size={size}&page={number}"}}
    body["page"] = {"size": size, "totalElements": total,
                    "totalPages": -(-total // size) if size else 0, "number": number}
    return body
