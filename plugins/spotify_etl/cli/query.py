"""The `query` command: answer one of the analysts' named questions as a table or JSON."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from spotify_etl.cli import main
from spotify_etl.settings import command


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join("" if v is None else str(v) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        params[name.strip()] = value
    return params


@main.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the question (repeatable); see --list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--list", "list_only", is_flag=True, help="List the questions and their parameters.")
@click.option("--show", is_flag=True,
              help="Print the query (mongosh and pymongo) and its index instead of running it.")
def query(name: str | None, pairs: tuple[str, ...], as_json: bool, list_only: bool,
          show: bool) -> None:
    """Answer the analysts' question NAME from the database (read-only).

    Example: query top_list -p kind=tracks -p time_range=long_term
    """
    from spotify_etl.queries.caveats import caveat
    from spotify_etl.queries.questions import (QUERIES, QueryError, execute, get_query,
                                             index_text, mongosh, pymongo_code,
                                             resolve_params)
    from spotify_etl.text import table
    from spotify_etl.storage import open_database

    if list_only or not name:
        for entry in QUERIES.values():
            click.echo(f"{entry.name}\n    {entry.question}")
            for param in entry.params:
                click.echo(f"    -p {param.name}=...  {param.meaning} (default: "
                           f"{param.default_text})")
        if not name and not list_only:
            click.echo(f"\nRun one: {command('query', 'NAME', '[-p NAME=VALUE ...] [--json]')}")
        return
    try:
        entry = get_query(name)
        with open_database() as db:
            params = resolve_params(db, entry, _params(pairs))
            spec = entry.build(params)
            rows = [] if show else execute(db, spec)
            warning = None if show else caveat(db, name, params)
    except QueryError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    if warning:
        click.echo(warning, err=True)
    if show:
        collection, keys = entry.index
        click.echo(f"// mongosh\n{mongosh(spec)}\n\n# pymongo\n{pymongo_code(spec)}\n\n"
                   f"index: {collection} {index_text(keys)}")
        return
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    click.echo(entry.question)
    if not rows:
        click.echo("(no rows)")
        return
    columns = [c for c in entry.columns if any(c in row for row in rows)]
    click.echo(table([{c: _cell(row.get(c)) for c in columns} for row in rows], columns))
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
