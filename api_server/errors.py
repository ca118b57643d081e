"""The API's error answers: `{"error": {"status", "message", "parameter"?}}`, one shape for all.

Bad parameters are 400 naming the parameter (never FastAPI's 422), unknown people or artists
404, a missing or unknown token 401. No answer ever carries a token or an API key.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from spotify_etl.concerts.parameters import RULES, ParameterError
from spotify_etl.concerts.provider import ProviderError
from spotify_etl.prediction.registry import RegistryError
from spotify_etl.prediction.service import SpotifyLookupFailed


def error_response(status: int, message: str, *, parameter: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """Return the API's error body."""
    body: dict[str, Any] = {"status": status, "message": message}
    if parameter:
        body["parameter"] = parameter
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure in the API's error shape."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        parameter = str(first["loc"][-1]) if first.get("loc") else "request"
        if first.get("type") == "missing":
            return error_response(400, f"{parameter} is required", parameter=parameter)
        if parameter in RULES:
            message = str(ParameterError(parameter, value=first.get("input")))
        else:
            message = f"{parameter}: {first.get('msg')}"
        return error_response(400, message, parameter=parameter)

    @app.exception_handler(ParameterError)
    async def _parameter(request: Request, error: ParameterError) -> JSONResponse:
        return error_response(400, str(error), parameter=error.parameter)

    @app.exception_handler(SpotifyLookupFailed)
    async def _spotify(request: Request, error: SpotifyLookupFailed) -> JSONResponse:
        return error_response(502, str(error))

    @app.exception_handler(RegistryError)
    async def _registry(request: Request, error: RegistryError) -> JSONResponse:
        return error_response(503, f"The model cannot be used: {error}")

    @app.exception_handler(LookupError)
    async def _unknown(request: Request, error: LookupError) -> JSONResponse:
        return error_response(404, str(error).strip("'\""))

    @app.exception_handler(ProviderError)
    async def _provider(request: Request, error: ProviderError) -> JSONResponse:
        return error_response(502, f"The concert provider failed: {error}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail),
                              headers=getattr(error, "headers", None))
