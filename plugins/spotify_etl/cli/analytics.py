"""Analytics commands: groups, diff, mix (readable tables, or `--json`)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from spotify_etl.cli import main

RANGES = click.Choice(["short_term", "medium_term", "long_term"])


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-21") from None


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def _names(entries: list[dict[str, Any]], limit: int = 8) -> str:
    shown = ", ".join(e.get("name") or e["id"] for e in entries[:limit])
    more = len(entries) - limit
    return (shown + (f" (+{more} more)" if more > 0 else "")) or "none"


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
    from spotify_etl.reports import table
    from spotify_etl.storage import open_database

    with open_database(write=False) as db:
        rows = list_groups(db)
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo("No groups yet. Create one: python -m spotify_etl groups add NAME USER USER")
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
@click.option("--date", "snapshot_date", callback=_date, metavar="YYYY-MM-DD",
              help="Snapshot date (default: the newest stored).")
@click.option("--from", "from_range", type=RANGES, help="One person: compare this range...")
@click.option("--to", "to_range", type=RANGES, help="...with this one.")
@click.option("--days", type=click.IntRange(1, 365), help="One person: compare with N days "
              "earlier.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def diff(users: tuple[str, ...], time_range: str | None, snapshot_date: str | None,
         from_range: str | None, to_range: str | None, days: int | None, as_json: bool) -> None:
    """Compare two people (USER_A USER_B), or one person across ranges or days.

    \b
    diff alice bob [--range short_term]       taste match, shared and unique, per range
    diff alice --from short_term --to long_term
    diff alice --days 7                       entered, left, climbed, fell since a week ago
    """
    from spotify_etl.analytics import jobs
    from spotify_etl.analytics.groups import list_groups, share_a_group
    from spotify_etl.storage import open_database

    if len(users) > 2:
        _fail("Give one person or two.")
    try:
        day = jobs.resolve_date(snapshot_date)
    except LookupError as error:
        _fail(str(error))
    with open_database(write=False) as db:
        if len(users) == 2:
            if not share_a_group(list_groups(db), *users):
                _fail(f"{users[0]} and {users[1]} share no group, so they have not agreed to be "
                      "compared. Add them: python -m spotify_etl groups add NAME "
                      f"{users[0]} {users[1]}")
            documents = [jobs.pair_document(db, users[0], users[1], day, r)
                         for r in ("short_term", "medium_term", "long_term")]
            result: Any = documents
        elif days:
            result = jobs.change_document(db, users[0], day, days, time_range or "short_term")
        else:
            result = jobs.ranges_document(db, users[0], day, to_range or "long_term",
                                          from_range or "short_term")
    if as_json:
        _dump(result)
    elif len(users) == 2:
        click.echo(_pair_text(result, time_range or "medium_term"))
    else:
        click.echo(_changes_text(result))


def _pair_text(documents: list[dict[str, Any]], detail_range: str) -> str:
    from spotify_etl.reports import table

    a, b = documents[0]["users"]
    rows = []
    for d in documents:
        if d["status"] != "ok":
            rows.append({"range": d["time_range"], "score": d["message"]})
            continue
        rows.append({"range": d["time_range"], "score": d["score"],
                     "artists": d["components"]["artists"], "tracks": d["components"]["tracks"],
                     "genres": d["components"]["genres"],
                     "shared": f"{len(d['artists']['shared'])} artists, "
                               f"{len(d['tracks']['shared'])} tracks",
                     "together": (d["together"] or {}).get("name") or "-"})
    lines = [f"Taste match of {a} and {b} on {documents[0]['snapshot_date']} (0-100):",
             table(rows, ["range", "score", "artists", "tracks", "genres", "shared", "together"])]
    detail = next(d for d in documents if d["time_range"] == detail_range)
    if detail["status"] == "ok":
        together = detail["together"]
        lines += [f"\n{detail_range}:",
                  f"  shared artists: {_names(detail['artists']['shared'])}",
                  f"  only {a}: {_names(detail['artists']['only_a'], 5)}",
                  f"  only {b}: {_names(detail['artists']['only_b'], 5)}",
                  f"  shared genres: {', '.join(detail['genres']['shared'][:8]) or 'none'}",
                  "  the track that brings you together: "
                  + (f"{together['name']} by {', '.join(together.get('artists') or [])} "
                     f"({together['why']})" if together else "none yet")]
    return "\n".join(lines)


def _changes_text(document: dict[str, Any], kinds: tuple[str, ...] = ("artists", "tracks"),
                  limit: int = 10) -> str:
    from spotify_etl.reports import table

    user = document["users"][0]
    if document["kind"] == "change":
        title = (f"{user}, {document['time_range']}: {document['snapshot_date']} against "
                 f"{document.get('compared_with') or str(document['days']) + ' days earlier'}")
    else:
        title = (f"{user} on {document['snapshot_date']}: {document['to_range']} (now) against "
                 f"{document['from_range']}")
    if document["status"] != "ok":
        return f"{title}\n{document['message']}"
    lines = [title]
    for kind in kinds:
        changes = document[kind]
        rows = ([{"change": "entered", "name": e["name"], "rank": e["rank"]}
                 for e in changes["entered"][:limit]]
                + [{"change": "left", "name": e["name"], "was": e["rank"]}
                   for e in changes["left"][:limit]]
                + [{"change": "climbed", "name": e["name"], "rank": e["rank"],
                    "was": e["previous_rank"], "move": f"+{e['change']}"}
                   for e in changes["climbed"][:max(1, limit // 2)]]
                + [{"change": "fell", "name": e["name"], "rank": e["rank"],
                    "was": e["previous_rank"], "move": str(e["change"])}
                   for e in changes["fell"][:max(1, limit // 2)]])
        lines += [f"\n{kind}: {len(changes['entered'])} entered, {len(changes['left'])} left, "
                  f"{len(changes['climbed'])} climbed, {len(changes['fell'])} fell, "
                  f"{changes['unchanged']} unchanged",
                  table(rows, ["change", "name", "rank", "was", "move"]) if rows else "  none"]
    return "\n".join(lines)


# ---------------------------------------------------------------- mix
@main.command()
@click.argument("group")
@click.option("--length", default=50, show_default=True, type=click.IntRange(1, 500),
              help="Tracks in the mix.")
@click.option("--date", "snapshot_date", callback=_date, metavar="YYYY-MM-DD",
              help="Snapshot date (default: the newest stored).")
@click.option("--publish", is_flag=True, help="Publish it to the group's playlist now.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def mix(group: str, length: int, snapshot_date: str | None, publish: bool, as_json: bool) -> None:
    """Compute (and store) the fair mix of GROUP; optionally publish it."""
    from spotify_etl.analytics import jobs
    from spotify_etl.analytics.groups import GroupError
    from spotify_etl.storage import document_id, open_database

    try:
        day = jobs.resolve_date(snapshot_date)
        jobs.run_mixes(day, length=length, group_names=[group])
        outcome = (jobs.run_publish(day, group_names=[group], force=True)["published"]
                   if publish else {})
    except (GroupError, LookupError) as error:
        _fail(str(error))
    with open_database(write=False) as db:
        document = db.mixes.find_one({"_id": document_id(group, day)})
    if as_json:
        _dump(document)
    else:
        click.echo(mix_text(document))
        if publish:
            state = document.get("publish") or {}
            click.echo(f"\nPublished: {outcome.get(group, state.get('status'))}"
                       + (f" (playlist {state['playlist_id']})" if state.get("playlist_id")
                          else "") + (f": {state['error']}" if state.get("error") else ""))
    if publish and (document.get("publish") or {}).get("status") == "failed":
        sys.exit(1)


def mix_text(document: dict[str, Any], limit: int | None = None) -> str:
    """Format a stored mix as a table with each track's members and ranks."""
    from spotify_etl.reports import table

    tracks = document["tracks"][:limit] if limit else document["tracks"]
    rows = [{"#": t["position"], "track": t["name"], "artists": ", ".join(t["artists"]),
             "from": ", ".join(f"{r['user_id']} #{r['rank']}" for r in t["ranks"])}
            for t in tracks]
    credits = ", ".join(f"{c['user_id']} {c['tracks']}" for c in document["credits"])
    lines = [f"Mix of {document['group']} on {document['snapshot_date']} "
             f"({document['length']} of {document['length_requested']} tracks; credits: "
             f"{credits})"]
    if document.get("short_reason"):
        lines.append(document["short_reason"])
    if rows:
        lines.append(table(rows, ["#", "track", "artists", "from"]))
    if limit and document["length"] > limit:
        lines.append(f"... {document['length'] - limit} more")
    return "\n".join(lines)
