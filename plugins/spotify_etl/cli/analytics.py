"""Analytics commands: groups, diff, mix (readable tables, or `--json`)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from spotify_etl.analytics import render
from spotify_etl.cli import date_value, main
from spotify_etl.constants import TIME_RANGES
from spotify_etl.settings import command

RANGES = click.Choice(TIME_RANGES)



def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


# ---------------------------------------------------------------- groups
@main.group()
def groups() -> None:
    """Manage groups: who agreed to be compared and mixed with whom."""


@groups.command("add")
@click.argument("name")
@click.argument("users", nargs=-1, required=True)
@click.option("--publish/--no-publish", default=False, show_default=True,
              help="Publish the daily mix as a private playlist on the owner's account.")
@click.option("--owner", metavar="USER_ID", help="Whose account holds the playlist "
              "(default: the first user).")
def groups_add(name: str, users: tuple[str, ...], publish: bool, owner: str | None) -> None:
    """Create or update the group NAME of 2 to 10 connected people."""
    from spotify_etl.analytics.groups import GroupError, add_group
    from spotify_etl.storage import open_database

    try:
        with open_database() as db:
            group = add_group(db, name, list(users), publish=publish, owner=owner)
    except GroupError as error:
        _fail(str(error))
    click.echo(f"Group {group['name']}: {', '.join(group['members'])}; owner {group['owner']}; "
               f"publishing {'on' if group['publish'] else 'off'}.")


@groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def groups_list(as_json: bool) -> None:
    """List the groups."""
    from spotify_etl.analytics.groups import list_groups
    from spotify_etl.text import table
    from spotify_etl.storage import open_database

    with open_database() as db:
        rows = list_groups(db)
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo(f"No groups yet. Create one: {command('groups', 'add', 'NAME', 'USER', 'USER')}")
        return
    click.echo(table([{**g, "members": ", ".join(g["members"]),
                       "publish": "on" if g["publish"] else "off"} for g in rows],
                     ["name", "members", "owner", "publish", "playlist_id"]))


@groups.command("remove")
@click.argument("name")
def groups_remove(name: str) -> None:
    """Remove the group NAME (its stored mixes and its Spotify playlist stay)."""
    from spotify_etl.analytics.groups import GroupError, remove_group
    from spotify_etl.storage import open_database

    try:
        with open_database() as db:
            remove_group(db, name)
    except GroupError as error:
        _fail(str(error))
    click.echo(f"Removed group {name}.")


# ---------------------------------------------------------------- diff
@main.command()
@click.argument("users", nargs=-1, required=True)
@click.option("--range", "time_range", type=RANGES,
              help="Time range (pair: the one detailed; one person with --days: the one "
                   "compared). Default: medium_term for a pair, short_term for --days.")
@click.option("--date", "snapshot_date", callback=date_value, metavar="YYYY-MM-DD",
              help="Snapshot date (default: the newest stored).")
@click.option("--from", "from_range", type=RANGES, help="One person: compare this range...")
@click.option("--to", "to_range", type=RANGES, help="...with this one.")
@click.option("--days", type=click.IntRange(1, 365), help="One person: compare with N days "
              "earlier.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def diff(users: tuple[str, ...], time_range: str | None, snapshot_date: date | None,
         from_range: str | None, to_range: str | None, days: int | None, as_json: bool) -> None:
    """Compare two people (USER_A USER_B), or one person across ranges or days.

    \b
    diff alice bob [--range short_term]       taste match, shared and unique, per range
    diff alice --from short_term --to long_term
    diff alice --days 7                       entered, left, climbed, fell since a week ago
    """
    from spotify_etl.analytics import daily
    from spotify_etl.analytics.groups import list_groups, share_a_group
    from spotify_etl.people.directory import display_names, list_users
    from spotify_etl.storage import open_database

    if len(users) > 2:
        _fail("Give one person or two.")
    with open_database() as db:
        unknown = sorted(set(users) - {u["_id"] for u in list_users(db, user_ids=list(users))})
        if unknown:
            _fail(f"Unknown person {', '.join(unknown)}: nobody with this user id is "
                  f"connected. List people with `{command('users')}`.")
        names = display_names(db, list(users))
        try:
            day = daily.resolve_date(db, snapshot_date)
        except LookupError as error:
            _fail(str(error))
        if len(users) == 2:
            if not share_a_group(list_groups(db), *users):
                _fail(f"{users[0]} and {users[1]} share no group, so they have not agreed to be "
                      f"compared. Add them: {command('groups', 'add', 'NAME', *users)}")
            documents = [daily.pair_document(db, users[0], users[1], day, r)
                         for r in TIME_RANGES]
            result: Any = documents
        elif days:
            result = daily.change_document(db, users[0], day, days, time_range or "short_term")
        else:
            result = daily.ranges_document(db, users[0], day, to_range or "long_term",
                                          from_range or "short_term")
    if as_json:
        _dump(result)
    elif len(users) == 2:
        click.echo(render.pair_text(result, time_range or "medium_term", names=names))
    else:
        click.echo(render.changes_text(result, names=names))


# ---------------------------------------------------------------- mix
@main.command()
@click.argument("group")
@click.option("--length", default=50, show_default=True, type=click.IntRange(1, 500),
              help="Tracks in the mix.")
@click.option("--date", "snapshot_date", callback=date_value, metavar="YYYY-MM-DD",
              help="Snapshot date (default: the newest stored).")
@click.option("--publish", is_flag=True, help="Publish it to the group's playlist now.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def mix(group: str, length: int, snapshot_date: date | None, publish: bool,
        as_json: bool) -> None:
    """Compute (and store) the fair mix of GROUP; optionally publish it."""
    from spotify_etl.analytics import daily
    from spotify_etl.analytics.groups import GroupError
    from spotify_etl.people.directory import display_names
    from spotify_etl.storage import document_id, open_database

    try:
        day = daily.parse_date(daily.run_mixes(snapshot_date, length=length,
                                               group_names=[group])["snapshot_date"])
        outcome = (daily.run_publish(day, group_names=[group], force=True)["published"]
                   if publish else {})
    except (GroupError, LookupError) as error:
        _fail(str(error))
    with open_database() as db:
        document = db.mixes.find_one({"_id": document_id(group, day)})
        names = display_names(db, list(document.get("members") or []))
    if as_json:
        _dump(document)
    else:
        click.echo(render.mix_text(document, names=names))
        if publish:
            state = document.get("publish") or {}
            click.echo(f"\nPublished: {outcome.get(group, state.get('status'))}"
                       + (f" (playlist {state['playlist_id']})" if state.get("playlist_id")
                          else "") + (f": {state['error']}" if state.get("error") else ""))
    if publish and (document.get("publish") or {}).get("status") == "failed":
        sys.exit(1)
