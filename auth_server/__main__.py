"""Command line: `python -m auth_server [--host 127.0.0.1] [--port 8888] [--sandbox]`
(`make auth`, and `make dashboard` for the dashboard at /dashboard/).

Checks the configuration first and exits with a message naming what is missing; serves the
helper with werkzeug (one local user at a time, so no production WSGI server is needed).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import signal
import sys
from urllib.parse import urlsplit

import click

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8888


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on. Keep it loopback unless a proxy with HTTPS is in front.")
@click.option("--port", type=int, default=None,
              help="Port to listen on  [default: the port of SPOTIFY_REDIRECT_URI, else 8888]")
@click.option("--sandbox", "sandbox_mode", type=click.Choice(["extended", "development"]),
              default=None, help="Start the offline Spotify sandbox and connect to it instead of "
                                 "Spotify (no internet, Spotify app or keys needed).")
def main(host: str, port: int | None, sandbox_mode: str | None) -> None:
    """Run the one-time Spotify authorization helper.

    People open the printed address, click "Connect Spotify", approve on Spotify's consent page
    and are stored with an encrypted refresh token for the daily snapshot. It reads
    SPOTIFY_CLIENT_ID (and SPOTIFY_CLIENT_SECRET, else PKCE), SPOTIFY_REDIRECT_URI (default
    http://127.0.0.1:8888/callback), SPOTIFY_ETL_FERNET_KEY, AUTH_SERVER_SECRET_KEY and
    SPOTIFY_APP_MODE (development|extended). See docs/authorization.md.
    """
    from werkzeug.serving import make_server

    from auth_server import ConfigError, create_app
    from auth_server.config import SECRET_KEY_VARIABLE

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sandbox = None
    if sandbox_mode:
        from spotify_etl.local.sandbox import SandboxProcess, ensure_local_key, point_at_sandbox

        # An offline try-out needs no secrets of its own: sandbox tokens are encrypted with the
        # demo's key, and a session secret made up now lasts until the helper stops.
        if ensure_local_key():
            from spotify_etl.settings import load_settings

            click.echo("Sandbox tokens are encrypted with the demo key "
                       f"({load_settings().data_dir / 'demo-fernet.key'}).")
        if not os.environ.get(SECRET_KEY_VARIABLE):
            os.environ[SECRET_KEY_VARIABLE] = secrets.token_urlsafe(32)
            click.echo(f"{SECRET_KEY_VARIABLE} is not set: using a random one until this stops.")
        sandbox = SandboxProcess("--mode", sandbox_mode).__enter__()
        point_at_sandbox(sandbox.url)
        # The sandbox accepts any loopback redirect URI, so it follows --port.
        os.environ["SPOTIFY_REDIRECT_URI"] = f"http://127.0.0.1:{port or DEFAULT_PORT}/callback"
        click.echo(f"Spotify sandbox ({sandbox_mode} mode, a local stand-in) at {sandbox.url}")
    try:
        app = create_app()
    except ConfigError as error:
        click.echo(f"auth_server cannot start: {error}", err=True)
        if sandbox is not None:
            sandbox.__exit__()
        sys.exit(2)
    redirect = urlsplit(app.extensions["auth_server"].settings.redirect_uri)
    port = port if port is not None else (redirect.port or DEFAULT_PORT)
    if redirect.hostname in ("127.0.0.1", "::1") and redirect.port not in (None, port):
        click.echo(f"warning: SPOTIFY_REDIRECT_URI points at port {redirect.port}, not {port}; "
                   "Spotify will send people back to the wrong place.", err=True)
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}, not a loopback address. Put HTTPS in front.",
                   err=True)
    server = make_server(host, port, app, threaded=True)
    # SIGTERM (docker stop, kill) shuts down as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Authorization helper on http://{shown}:{server.server_port}/ — Ctrl-C to stop")
    click.echo(f"Dashboard on http://{shown}:{server.server_port}/dashboard/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if sandbox is not None:
            sandbox.__exit__()


if __name__ == "__main__":
    main()
