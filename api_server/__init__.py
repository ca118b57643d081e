"""The project's HTTP API for programs (FastAPI): concert bins and stream-count predictions.

`create_app()` builds it; `python -m api_server` serves it (uvicorn). Every endpoint except
`/healthz` and `/health` answers for the person whose API token comes with the request.
"""

from __future__ import annotations

from api_server.app import create_app

__all__ = ["create_app"]
