"""The application factory: checked configuration, session cookie policy, headers, blueprints.

`create_app()` refuses to build an app that could not work safely (see `config.load_config`).
Routes live in `views.py` and the dashboard blueprint (`dashboard.py`); protections in
`security.py`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, render_template
from werkzeug.exceptions import HTTPException, SecurityError

from auth_server.config import AuthConfig, load_config
from auth_server.dashboard import dashboard
from auth_server.security import add_security_headers, csrf_token, install_log_redaction
from auth_server.views import register_views
from spotify_etl.settings import load_settings

if TYPE_CHECKING:
    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
EXTENSION = "auth_server"


def _format_date(value: object) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)[:10]


def create_app(settings: Settings | None = None) -> Flask:
    """Build the authorization helper; raise ConfigError naming a missing setting."""
    install_log_redaction()
    config = load_config(settings or load_settings())
    app = Flask(__name__)
    redirect = urlsplit(config.settings.redirect_uri)
    app.config.update(
        SECRET_KEY=config.secret_key,
        # Distinct name: other apps on 127.0.0.1 (any port) share the cookie jar.
        SESSION_COOKIE_NAME="spotify_auth_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=redirect.scheme == "https",
        # A page for other host names would be a DNS-rebinding foothold.
        TRUSTED_HOSTS=sorted({config.redirect_host, "127.0.0.1", "localhost", "::1"}),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions[EXTENSION] = config
    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.globals["csrf_token"] = csrf_token

    app.register_blueprint(dashboard)  # /dashboard/ (dashboard.py)
    register_views(app, callback_path=config.redirect_path)
    from auth_server.history_upload import history_upload

    app.register_blueprint(history_upload)
    app.after_request(add_security_headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # noqa: ANN202 - Flask accepts (body, status)
        if isinstance(error, SecurityError):
            # An untrusted Host header: no URLs can be built, and none should be.
            return Response(f"{error.code} {error.name}", error.code, mimetype="text/plain")
        return render_template("error.html", code=error.code, title=error.name,
                               message=error.description), error.code

    log.info("Authorization helper ready: redirect URI %s, %s flow", config.settings.redirect_uri,
             "PKCE" if config.uses_pkce else "client-secret")
    return app


def auth_config(app: Flask) -> AuthConfig:
    """Return the checked configuration of this app."""
    return app.extensions[EXTENSION]
