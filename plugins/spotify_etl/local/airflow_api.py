"""Airflow's REST API v2 as local tooling uses it: log in, trigger a DAG for one day, read a
run, its task instances and their tries.

For Airflow started on this machine with the simple login (`deployment.this_machine`): the
password is the one Airflow generated into AIRFLOW_HOME. Nothing here is printed or logged.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import requests

from spotify_etl.local.deployment import USERNAME

HEALTHY_PARTS = ("metadatabase", "scheduler", "dag_processor")


class AirflowNotReady(RuntimeError):
    """Airflow did not come up, or not in time (the logs' tails are in the message)."""


class AirflowApi:
    """A logged-in client of one Airflow API server."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.home = home
        self._token: str | None = None

    def password(self) -> str | None:
        """The generated admin password (Airflow writes it under AIRFLOW_HOME)."""
        path = self.home / "simple_auth_manager_passwords.json.generated"
        try:
            return json.loads(path.read_text()).get(USERNAME)
        except (OSError, ValueError):
            return None

    def token(self) -> str:
        """A JWT for the REST API, obtained with the admin login."""
        answer = requests.post(f"{self.url}/auth/token", timeout=10,
                               json={"username": USERNAME, "password": self.password()})
        answer.raise_for_status()
        return answer.json()["access_token"]

    def health(self) -> dict[str, Any] | None:
        """Airflow's own health report, or None while the API server does not answer."""
        try:
            answer = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5)
            return answer.json() if answer.ok else None
        except (requests.RequestException, ValueError):
            return None

    def healthy(self, parts: tuple[str, ...] = HEALTHY_PARTS) -> bool:
        """Tell whether the metadata database, the scheduler and the DAG processor are healthy."""
        report = self.health() or {}
        return all(report.get(part, {}).get("status") == "healthy" for part in parts)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call `/api/v2/<path>` logged in; return the JSON answer, raising on an error status."""
        if self._token is None:
            self._token = self.token()
        answer = requests.request(method, f"{self.url}/api/v2/{path}", timeout=30,
                                  headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
        if answer.status_code == 401:  # expired: log in again once
            self._token = None
            return self.call(method, path, **kwargs)
        if not answer.ok:
            raise requests.HTTPError(f"{method} {path}: {answer.status_code} {answer.text[:500]}",
                                     response=answer)
        return answer.json() if answer.content else None

    def dag_is_parsed(self, dag_id: str) -> bool:
        """Tell whether the DAG processor has stored the DAG (it can be triggered then)."""
        try:
            self.call("GET", f"dags/{dag_id}")
        except requests.HTTPError as error:
            if error.response is not None and error.response.status_code == 404:
                return False
            raise
        return True

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"dags/{dag_id}", json={"is_paused": False})

    def trigger_day(self, dag_id: str, day: date, conf: dict[str, Any] | None = None,
                    run_id: str | None = None) -> dict[str, Any]:
        """Trigger a manual run for the day `day`, as the scheduler's daily run after it would.

        The run is due at midnight after the day (`run_after`) and has no logical date, so the
        same day can be run again; the DAG derives the snapshot date from `run_after`.
        """
        run_after = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        body = {"logical_date": None, "run_after": run_after.isoformat(), "conf": conf or {},
                "dag_run_id": run_id or f"manual__{day.isoformat()}__{secrets.token_hex(4)}"}
        return self.call("POST", f"dags/{dag_id}/dagRuns", json=body)

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"dags/{dag_id}/dagRuns/{run_id}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of a run (mapped ones one by one)."""
        return self.call("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                         params={"limit": 1000})["task_instances"]

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[dict[str, Any]]:
        """Every try of one task instance, oldest first (hostname, state, try_number...)."""
        answer = self.call("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/"
                           f"{map_index}/tries")
        return sorted(answer["task_instances"], key=lambda attempt: attempt["try_number"])

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """A task's XCom value (deserialized)."""
        entry = self.call("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/"
                          f"xcomEntries/{key}", params={"deserialize": "true"})
        return entry["value"]
