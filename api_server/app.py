"""The application factory: settings, the shared state, error shapes, routers, `/healthz`.

OpenAPI at /openapi.json, interactive docs at /docs. Each capability adds its own router here
(concerts, prediction). Every request is logged as method, route template, status and time:
never the query, the token or who asked.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import logging
import time

from api_server import concerts, prediction
from api_server.errors import install_error_handlers
from api_server.state import ApiState
from spotify_etl.concerts import service
from spotify_etl.settings import Settings, load_settings
from spotify_etl.storage import open_database


request_log = logging.getLogger("api_server.requests")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for these settings (default: the environment's)."""
    settings = settings or load_settings()
    app = FastAPI(title="spotify_etl API",
                  description="Your listening, for your own programs: concert bins near a "
                              "place for your artists and artists like them, and how often "
                              "you will play a song (your own model). Authenticate "
                              "with an API token: `Authorization: Bearer <token>`.",
                  version=__import__("spotify_etl").__version__)
    app.state.settings = settings
    app.state.api = ApiState(settings=settings,
                             provider=service.provider_from_settings(settings))
    install_error_handlers(app)
    app.include_router(concerts.router)
    app.include_router(prediction.router)

    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        # The route's template only: no query (song names say what someone listens to),
        # no token, no user id.
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        request_log.info("%s %s %s %.1f ms", request.method,
                         getattr(route, "path", "(unmatched)"), response.status_code,
                         (time.perf_counter() - started) * 1000)
        return response

    @app.get("/healthz", tags=["service"], summary="Liveness and the store")
    def healthz(request: Request) -> Any:
        """Say whether the service and its store answer (no secrets)."""
        body: dict[str, Any] = {"status": "ok",
                                "concert_provider": "configured" if app.state.api.provider
                                else "not configured (TICKETMASTER_API_KEY)"}
        try:
            with open_database(settings) as db:
                body["people"] = db.users.count_documents({})
        except Exception as error:  # a health check reports, it does not raise
            body.update(status="degraded", database=type(error).__name__)
            return JSONResponse(body, status_code=503)
        return body

    return app
