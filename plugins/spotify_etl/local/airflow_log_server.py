"""Airflow's task log server for `make airflow`, listening on 127.0.0.1 only.

The scheduler and the triggerer each start Airflow's log server on every interface (its host is
not configurable); `make airflow` runs them with `--skip-serve-logs` and serves the same logs
here, on loopback, for the UI on this machine. Run as `python -m
spotify_etl.local.airflow_log_server PORT`; imports Airflow.
"""

from __future__ import annotations

import sys

HOST = "127.0.0.1"


def loopback_hostname() -> str:
    """The host name tasks record, so that the UI fetches their logs over loopback."""
    return HOST


def serve(port: int) -> None:
    """Serve Airflow's log server app on 127.0.0.1:port until stopped."""
    import uvicorn

    uvicorn.run("airflow.utils.serve_logs.log_server:get_app", factory=True, host=HOST,
                port=port, log_level="warning", log_config=None, access_log=False)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
