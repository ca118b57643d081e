"""Render the questions and views for `docs/queries.md`, from the registry itself.

The docs hold this text between two markers; a test compares them, so the documented queries
are always the ones the code runs. Rewrite the section with
`python -m spotify_etl.queries.reference docs/queries.md`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spotify_etl.queries.questions import QUERIES, build, index_text, mongosh, pymongo_code
from spotify_etl.storage.views import VIEWS, view_pipeline

BEGIN = "<!-- BEGIN generated from spotify_etl/queries (do not edit by hand) -->"
END = "<!-- END generated -->"


def _example_call(name: str) -> str:
    query = QUERIES[name]
    shown = [f"-p {p.name}={p.example}" for p in query.params if callable(p.default)][:2]
    return " ".join([f"python -m spotify_etl query {name}", *shown])


def queries_markdown() -> str:
    """Return the generated section: every question, then every view."""
    lines = ["## Questions", ""]
    for number, query in enumerate(QUERIES.values(), start=1):
        spec = build(None, query.name, example=True)
        collection, keys = query.index
        lines += [f"### {number}. {query.question}", "",
                  f"`{query.name}` · index `{collection}` `{index_text(keys)}`", ""]
        if query.params:
            lines += ["| parameter | meaning | default |", "| --- | --- | --- |"]
            for param in query.params:
                default = param.default_text if callable(param.default) else f"`{param.default}`"
                lines.append(f"| `{param.name}` | {param.meaning} | {default} |")
            lines.append("")
        if query.notes:
            lines += [query.notes, ""]
        lines += ["```js", mongosh(spec), "```", "", "```python", pymongo_code(spec), "```", "",
                  "```sh", _example_call(query.name), "```", ""]
    lines += ["## Views", "",
              "Read-only views (MongoDB only; created by `create_views`). Query them like "
              "collections, e.g. `db.artist_leaderboard.find().limit(10)`.", ""]
    for view in VIEWS.values():
        lines += [f"### `{view.name}` (on `{view.source}`)", "", view.description, "",
                  "```js", f'db.createView("{view.name}", "{view.source}", '
                  + mongosh_pipeline(view.name) + ")", "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def mongosh_pipeline(name: str) -> str:
    """Render a view's pipeline in mongosh syntax, one stage a line."""
    from spotify_etl.queries.questions import Spec

    text = mongosh(Spec(VIEWS[name].source, pipeline=view_pipeline(name)))
    return text[len(f"db.{VIEWS[name].source}.aggregate("):-1]


def generated_section(text: str) -> str:
    """Return what sits between the markers of a document (empty when they are missing)."""
    if BEGIN not in text or END not in text:
        return ""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def rewrite(path: Path) -> None:
    """Replace the generated section of the document at `path`."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n\n{queries_markdown()}\n{END}{tail}")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/queries.md"))
