"""Assemble the sandbox's Flask app: Accounts, Web API (/v1) and control (/__sandbox/).

The app only wires blueprints to one `Sandbox` state and maps errors to Spotify's bodies.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from spotify_sandbox.accounts import accounts
from spotify_sandbox.common import ApiError, error_response
from spotify_sandbox.control import control
from spotify_sandbox.state import Sandbox
from spotify_sandbox.web_api import gate, stamp, web_api

HTTP_MESSAGES = {404: "Service not found", 405: "Method not allowed"}


def create_app(sandbox: Sandbox) -> Flask:
    """Return a Flask app serving one sandbox."""
    app = Flask("spotify_sandbox")
    app.extensions["spotify_sandbox"] = sandbox
    app.json.sort_keys = False  # keep Spotify's field order, and it is faster
    app.json.compact = True
    # spotipy asks for some paths with a trailing slash (`me/`, `artists/?ids=`); Spotify accepts
    # both forms.
    app.url_map.strict_slashes = False
    app.register_blueprint(accounts)
    app.register_blueprint(web_api)
    app.register_blueprint(control)

    @app.before_request
    def _gate() -> Response | None:
        if request.path.startswith("/v1/") or request.path == "/v1":
            return gate()
        return None

    @app.after_request
    def _stamp(response: Response) -> Response:
        if request.path.startswith("/v1/"):
            return stamp(response)
        return response

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        response = error_response(exc.status, exc.message, **exc.extra)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if request.path.startswith(("/v1", "/__sandbox")):
            status = exc.code or 500
            return error_response(status, HTTP_MESSAGES.get(status, exc.name))
        return exc

    @app.get("/")
    def _index() -> Any:
        return {"sandbox": "Spotify sandbox: a local stand-in for Spotify's Accounts service "
                           "and Web API, not Spotify", "api": request.host_url + "v1/",
                "control": request.host_url + "__sandbox/info"}

    return app
