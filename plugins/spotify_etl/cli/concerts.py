"""Concert commands: concerts (bins near a place), similar, concerts-home, api-token."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from spotify_etl.cli import main
from spotify_etl.constants import (DEFAULT_RADIUS_KM, DEFAULT_RELATED_ARTISTS,
                                   DEFAULT_TOP_ARTISTS, TIME_RANGES)

# Which option carries each checked parameter (for "Invalid value for '--to'" messages).
OPTION_OF = {"latitude": "--near", "longitude": "--near", "date_begin": "--from",
             "date_end": "--to", "radius": "--radius", "top_artists": "--top-artists",
             "related_artists": "--related-artists", "time_range": "--range"}


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def _point(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from spotify_etl.concerts.geo import parse_point

    if value is None:
        return None
    try:
        return parse_point(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@main.command()
@click.argument("user")
@click.option("--near", callback=_point, metavar="LAT,LON",
              help="Where (degrees) [default: the person's saved home].")
@click.option("--from", "date_begin", metavar="YYYY-MM-DD", help="First day  [default: today]")
@click.option("--to", "date_end", metavar="YYYY-MM-DD",
              help="Last day, inclusive  [default: 30 days after --from]")
@click.option("--radius", type=float, default=None, help=f"Kilometres around the place  "
              f"[default: the home's, else {DEFAULT_RADIUS_KM}]")
@click.option("--top-artists", default=DEFAULT_TOP_ARTISTS, show_default=True, type=int,
              help="How many of the person's top artists.")
@click.option("--related-artists", default=DEFAULT_RELATED_ARTISTS, show_default=True, type=int,
              help="How many similar artists per top artist.")
@click.option("--range", "time_range", type=click.Choice(TIME_RANGES), default="medium_term",
              show_default=True, help="Which top artists.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def concerts(user: str, near: Any, date_begin: str | None, date_end: str | None,
             radius: float | None, top_artists: int, related_artists: int, time_range: str,
             as_json: bool) -> None:
    """Show USER's concert bins: their artists and artists like them, near a place.

    Looks up today's concerts of artists not yet looked up today (TICKETMASTER_API_KEY);
    without a key, shows what the daily refresh stored.
    """
    from spotify_etl.concerts import places, render, service
    from spotify_etl.concerts.geo import Point
    from spotify_etl.concerts.parameters import ParameterError, bins_query
    from spotify_etl.concerts.provider import ProviderError
    from spotify_etl.people.directory import display_names
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import open_database

    settings = load_settings()
    provider = service.provider_from_settings(settings)
    if provider is None:
        click.echo("TICKETMASTER_API_KEY is not set: showing the concerts already stored.",
                   err=True)
    today = service.today_utc()
    try:
        with open_database(settings) as db:
            home = places.home_of(db, user) or {}
            point = near or (home and Point(home["latitude"], home["longitude"]))
            if not point:
                _fail(f"Where? Give --near LAT,LON, or save {user}'s home: python -m "
                      f"spotify_etl concerts-home {user} LAT,LON")
            query = bins_query(latitude=point.latitude, longitude=point.longitude,
                               date_begin=date_begin, date_end=date_end,
                               radius=radius if radius is not None
                               else home.get("radius_km") or DEFAULT_RADIUS_KM,
                               top_artists=top_artists, related_artists=related_artists,
                               time_range=time_range, today=today,
                               horizon_days=settings.concerts_horizon_days)
            answer = service.person_bins(db, user, query, settings=settings, provider=provider,
                                         today=today)
            name = display_names(db, [user])[user]
    except ParameterError as error:
        raise click.BadParameter(str(error), param_hint=f"'{OPTION_OF[error.parameter]}'")
    except (LookupError, ProviderError) as error:
        _fail(str(error))
    if as_json:
        _dump(answer)
    else:
        click.echo(render.bins_text(answer, name))


@main.command()
@click.argument("artist_id")
@click.option("--limit", default=DEFAULT_RELATED_ARTISTS, show_default=True,
              type=click.IntRange(1, 50), help="How many similar artists.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def similar(artist_id: str, limit: int, as_json: bool) -> None:
    """Show the artists most like ARTIST_ID (a Spotify artist id), from everyone's listening."""
    from spotify_etl.concerts import render, service
    from spotify_etl.storage import open_database

    try:
        with open_database() as db:
            answer = service.similar_artists(db, artist_id, limit)
    except LookupError as error:
        _fail(str(error))
    if as_json:
        _dump(answer)
    else:
        click.echo(render.similar_text(answer))


@main.command("concerts-home")
@click.argument("user")
@click.argument("near", required=False, callback=_point, metavar="[LAT,LON]")
@click.option("--radius", type=float, default=DEFAULT_RADIUS_KM, show_default=True,
              help="Kilometres around home.")
@click.option("--label", help="A name for the place (shown to the person only).")
@click.option("--remove", is_flag=True, help="Forget the home: no more daily concert bins.")
def concerts_home(user: str, near: Any, radius: float, label: str | None, remove: bool) -> None:
    """Save USER's home (opting in to daily concert bins), show it, or --remove it."""
    from spotify_etl.concerts import places
    from spotify_etl.concerts.parameters import ParameterError
    from spotify_etl.storage import open_database

    with open_database() as db:
        if remove:
            click.echo(f"Removed {user}'s home." if places.remove_home(db, user)
                       else f"{user} had no saved home.")
            return
        if near is None:
            home = places.home_of(db, user)
            click.echo(f"{user}: no saved home." if home is None else
                       f"{user}: home {home['latitude']:g},{home['longitude']:g}, "
                       f"{home['radius_km']:g} km ({home.get('label') or 'no label'}).")
            return
        try:
            home = places.save_home(db, user, near, radius_km=radius, label=label)
        except ParameterError as error:
            raise click.BadParameter(str(error), param_hint="'--radius'")
        except LookupError as error:
            _fail(str(error))
    click.echo(f"Saved {user}'s home {home['latitude']:g},{home['longitude']:g} "
               f"({home['radius_km']:g} km): daily concert bins are on.")


@main.command("api-token")
@click.argument("user")
@click.option("--label", default="cli", show_default=True, help="What the token is for.")
def api_token(user: str, label: str) -> None:
    """Issue an API token for USER (shown once; GET /bins with `Authorization: Bearer ...`)."""
    from spotify_etl.people.api_tokens import issue_token
    from spotify_etl.storage import open_database

    try:
        with open_database() as db:
            token = issue_token(db, user, label=label)
    except LookupError as error:
        _fail(str(error))
    click.echo(token)
