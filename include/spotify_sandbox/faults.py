"""Injected faults and request counters of a running sandbox.

Faults are armed through the control endpoints and consumed by Web API requests; this module
only keeps the books (thread-safe), the Web API layer turns them into responses.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

SERVER_ERROR_MESSAGES = {500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable",
                         504: "Gateway timeout"}


class Faults:
    """The armed faults; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Disarm every fault."""
        with getattr(self, "_lock", threading.Lock()):
            self.rate_limit: dict[str, Any] | None = None
            self.server_errors: dict[str, Any] | None = None
            self.latency_ms = 0.0
            self.malformed = 0
            # Spotify stopped rotating refresh tokens in June 2026; rotation is a fault now.
            self.rotate_every = 0

    def arm(self, body: dict[str, Any]) -> None:
        """Arm the faults named in a control request body (raise ValueError on bad input)."""
        with self._lock:
            if "rate_limit" in body:
                spec = body["rate_limit"] or {}
                count = int(spec.get("count", 1))
                retry_after = int(spec.get("retry_after", 30))
                if count < 0 or retry_after < 0:
                    raise ValueError("rate_limit count and retry_after must be >= 0")
                self.rate_limit = {"count": count, "retry_after": retry_after,
                                   "quota_exceeded": bool(spec.get("quota_exceeded", False)),
                                   "paths": spec.get("paths") or "/v1/"}
            if "server_errors" in body:
                spec = body["server_errors"] or {}
                status = int(spec.get("status", 503))
                if status not in SERVER_ERROR_MESSAGES:
                    raise ValueError(f"server_errors status must be one of "
                                     f"{sorted(SERVER_ERROR_MESSAGES)}")
                self.server_errors = {"count": int(spec.get("count", 1)), "status": status,
                                      "paths": spec.get("paths") or "/v1/"}
            if "latency_ms" in body:
                latency = float(body["latency_ms"] or 0)
                if latency < 0:
                    raise ValueError("latency_ms must be >= 0")
                self.latency_ms = latency
            if "malformed_items" in body:
                self.malformed = int((body["malformed_items"] or {}).get("count", 1))
            if "rotate_refresh_tokens" in body:
                every = int((body["rotate_refresh_tokens"] or {}).get("every", 3))
                if every < 0:
                    raise ValueError("rotate_refresh_tokens every must be >= 0 (0: never)")
                self.rotate_every = every

    def take_rate_limit(self, path: str) -> dict[str, Any] | None:
        """Consume one armed 429 if it applies to this path."""
        with self._lock:
            spec = self.rate_limit
            if spec and spec["count"] > 0 and path.startswith(spec["paths"]):
                spec["count"] -= 1
                return dict(spec)
            return None

    def take_server_error(self, path: str) -> int | None:
        """Consume one armed 5xx if it applies to this path; return its status."""
        with self._lock:
            spec = self.server_errors
            if spec and spec["count"] > 0 and path.startswith(spec["paths"]):
                spec["count"] -= 1
                return int(spec["status"])
            return None

    def take_malformed(self) -> int | None:
        """Consume one malformed-item fault; return its sequence number (picks the kind)."""
        with self._lock:
            if self.malformed > 0:
                self.malformed -= 1
                return self.malformed
            return None

    def rotates(self, refreshes: int) -> bool:
        """Tell whether a token's `refreshes`-th refresh hands out a new refresh token."""
        with self._lock:
            return bool(self.rotate_every) and refreshes % self.rotate_every == 0

    def describe(self) -> dict[str, Any]:
        """Return the armed faults as JSON."""
        with self._lock:
            return {"rate_limit": self.rate_limit, "server_errors": self.server_errors,
                    "latency_ms": self.latency_ms, "malformed_items": {"count": self.malformed},
                    "rotate_refresh_tokens": {"every": self.rotate_every}}


class Counters:
    """Request counts per endpoint template and per user (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with getattr(self, "_lock", threading.Lock()):
            self.total = 0
            self.token = 0
            self.by_endpoint: Counter[str] = Counter()
            self.by_user: Counter[str] = Counter()

    def count(self, endpoint: str, user_id: str | None = None) -> None:
        """Count one Web API request."""
        with self._lock:
            self.total += 1
            self.by_endpoint[endpoint] += 1
            if user_id:
                self.by_user[user_id] += 1

    def count_token(self) -> None:
        """Count one request to the token endpoint."""
        with self._lock:
            self.token += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as JSON."""
        with self._lock:
            return {"total": self.total, "by_endpoint": dict(self.by_endpoint),
                    "by_user": dict(self.by_user), "token": self.token}
