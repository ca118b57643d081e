"""The demo's concerts section: one demo person's bins near a sandbox city, the next 30 days.

Called by `spotify_etl.local.demo` at the end. Starts the Ticketmaster sandbox in-process (a
local stand-in for Ticketmaster), looks the person's artists and artists like them up once,
picks the sandbox city where they have the most concerts, saves it as their home (opting
them in to the daily refresh) and returns the text to print.
"""

from __future__ import annotations

import os
from typing import Any

from spotify_etl.local.concert_sandbox import sandbox_environment
from spotify_etl.local.sandbox import SANDBOX_SEED


def concerts_report(user_ids: list[str]) -> str:
    """Return the demo person's concert bins near the best sandbox city."""
    from ticketmaster_sandbox import TicketmasterSandboxServer
    from ticketmaster_sandbox.cities import CITIES

    from spotify_etl.concerts import places, render, service
    from spotify_etl.concerts.geo import Point
    from spotify_etl.concerts.parameters import bins_query
    from spotify_etl.people.directory import display_names
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import open_database

    person = user_ids[0]
    saved = {name: os.environ.get(name) for name in
             ("TICKETMASTER_API_BASE_URL", "TICKETMASTER_API_KEY",
              "TICKETMASTER_REQUESTS_PER_SECOND")}
    # The stand-in has no per-second limit here, so the demo does not wait between requests.
    with TicketmasterSandboxServer(port=0, seed=SANDBOX_SEED, rate_per_second=0) as sandbox:
        try:
            os.environ.update({**sandbox_environment(sandbox.url),
                               "TICKETMASTER_REQUESTS_PER_SECOND": "0"})
            settings = load_settings()
            provider = service.provider_from_settings(settings)
            today = service.today_utc()
            with open_database(settings) as db:
                model = service.similarity_model(db)
                answers: list[tuple[Any, dict[str, Any]]] = []
                for city in CITIES:
                    query = bins_query(latitude=city.latitude, longitude=city.longitude,
                                       today=today, horizon_days=settings.concerts_horizon_days)
                    answers.append((city, service.person_bins(
                        db, person, query, settings=settings, provider=provider, model=model,
                        today=today)))
                city, answer = max(answers, key=lambda pair: pair[1]["summary"]["concerts"])
                places.save_home(db, person, Point(city.latitude, city.longitude),
                                 label=f"{city.name} (demo)")
                name = display_names(db, [person])[person]
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})
    requests_made = sum(a["fetch"]["requests"] for _, a in answers)
    artists = answer["summary"]["artists"]
    lines = [f"Concerts near {city.name} for the next 30 days (Ticketmaster sandbox, a local "
             f"stand-in; {artists} artists, {requests_made} requests now: each artist is looked "
             "up at most once a day; docs/concerts.md):",
             render.bins_text(answer, name),
             f"{name}'s home is now {city.name}: the daily spotify_concert_bins DAG keeps these "
             "bins fresh.",
             f"Try: python -m spotify_etl concerts {person} --near {city.latitude},"
             f"{city.longitude} --radius 40   |   python -m spotify_etl similar "
             f"{answer['artists'][0]['artist_id']}   |   python -m api_server --sandbox"]
    return "\n".join(lines)
