"""Command line: `python -m api_server [--host 127.0.0.1] [--port 8000] [--sandbox]`.

Serves the API with uvicorn. `--sandbox` starts the Ticketmaster sandbox and looks concerts up
there (with its key) instead of Ticketmaster.
"""

from __future__ import annotations

import click


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep it loopback unless HTTPS is in front.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--sandbox", is_flag=True,
              help="Look concerts up in the offline Ticketmaster sandbox (a local stand-in).")
def main(host: str, port: int, sandbox: bool) -> None:
    """Run the spotify_etl API: GET /bins, /artists, /similar, /prediction, /features; docs at
    /docs."""
    import logging

    import uvicorn

    from api_server import create_app

    # One line per request (method, route template, status, time; see api_server.app).
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("api_server.requests").setLevel(logging.INFO)

    stand_in = None
    if sandbox:
        from spotify_etl.local.concert_sandbox import TicketmasterSandboxProcess, use_sandbox

        stand_in = TicketmasterSandboxProcess().__enter__()
        use_sandbox(stand_in.url)
        click.echo(f"Ticketmaster sandbox (a local stand-in) at {stand_in.url}")
    try:
        click.echo(f"spotify_etl API on http://{host}:{port}/ (docs at /docs) — Ctrl-C to stop")
        uvicorn.run(create_app(), host=host, port=port, log_level="warning")
    finally:
        if stand_in is not None:
            stand_in.__exit__()


if __name__ == "__main__":
    main()
