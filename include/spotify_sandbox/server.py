"""Run a sandbox over real HTTP on a background thread (tests, demos, the CLI).

Wraps werkzeug's threaded server (`BackgroundServer`, which the Ticketmaster sandbox uses too);
the sandbox is in-process, so tests can reach `srv.world`.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from types import TracebackType
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, make_server

from spotify_sandbox.app import create_app
from spotify_sandbox.state import CLIENT_ID, CLIENT_SECRET, Sandbox
from spotify_sandbox.world import World


class BackgroundServer:
    """A WSGI app on werkzeug's threaded server, on a daemon thread (port 0 picks a free port).

    The sandboxes' common runner: in tests and demos in the background, on the command line in
    the foreground until a signal.
    """

    thread_name = "sandbox"

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the base URL, e.g. `http://127.0.0.1:8900` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> Self:
        """Start serving on a daemon thread; return self."""
        # werkzeug logs every request at INFO; that would drown test and demo output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def run_until_signal(self) -> None:
        """Serve until Ctrl-C or SIGTERM (the command lines), then stop."""
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class SandboxServer(BackgroundServer):
    """A Spotify sandbox listening on host:port (port 0 picks a free port)."""

    thread_name = "spotify-sandbox"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mode: str = "extended",
                 seed: int = 42, users: int = 50, client_id: str = CLIENT_ID,
                 client_secret: str = CLIENT_SECRET, today: dt.date | None = None,
                 genres: bool = True) -> None:
        self.sandbox = Sandbox(mode=mode, seed=seed, users=users, client_id=client_id,
                               client_secret=client_secret, today=today, genres=genres)
        super().__init__(create_app(self.sandbox), host, port)

    @property
    def world(self) -> World:
        """Return the world the sandbox serves."""
        return self.sandbox.world

    @property
    def mode(self) -> str:
        """Return the API shape: `extended` or `development`."""
        return self.sandbox.mode

    @property
    def api_url(self) -> str:
        """Return the Web API prefix spotipy needs (`sp.prefix`)."""
        return self.url + "/v1/"

    @property
    def accounts_url(self) -> str:
        """Return the Accounts base (`/authorize`, `/api/token` hang off it)."""
        return self.url
