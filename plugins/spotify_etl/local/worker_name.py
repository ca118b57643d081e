"""The hostname a Celery worker's task instances report, for several workers on one machine.

Airflow records each try's hostname (`[core] hostname_callable`); workers on one machine share
the machine's name, so the scale-out setup points that setting here and names each worker in
SPOTIFY_ETL_WORKER_NAME. Imported by Airflow's task runner: nothing but the standard library.
"""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    """The worker's own name, else the machine's."""
    return os.environ.get("SPOTIFY_ETL_WORKER_NAME") or socket.getfqdn()
