"""The gateway in front of the sandbox: API key, daily quota, spike arrest, armed faults, counters.

Ticketmaster's gateway answers before the Discovery API does: an unknown key, a spent daily
quota or too many requests in one second never reach it. Thread-safe; nothing here knows Flask.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, deque
from typing import Any

API_KEY = "sandbox-ticketmaster-key"  # the sandbox's own key: a public constant, not a secret
DEFAULT_QUOTA = 5000  # Ticketmaster's default: 5,000 calls a day per key
DEFAULT_RATE = 5  # and 5 requests a second
SERVER_ERRORS = {
    500: ("Internal Server Error", "messaging.adaptors.http.flow.InternalServerError"),
    502: ("Bad Gateway", "messaging.adaptors.http.flow.BadGateway"),
    503: ("The Service is temporarily unavailable",
          "messaging.adaptors.http.flow.ServiceUnavailable"),
    504: ("Gateway Timeout", "messaging.adaptors.http.flow.GatewayTimeout"),
}


def next_reset_ms(now: float) -> int:
    """Return the next UTC midnight after `now`, in epoch milliseconds (Rate-Limit-Reset)."""
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), dt.timezone.utc)
    return int(midnight.timestamp() * 1000)


class Gateway:
    """Quota, spike arrest, injected faults and request counters of one sandbox."""

    def __init__(self, api_key: str = API_KEY, quota: int = DEFAULT_QUOTA,
                 rate_per_second: float = DEFAULT_RATE) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self.quota = quota
        self.rate_per_second = rate_per_second
        self.used = 0
        self.over = 0
        self._day = self._today()
        self._recent: deque[float] = deque()
        self.clear_faults()
        self.reset_counters()

    @staticmethod
    def _today() -> dt.date:
        return dt.datetime.now(dt.timezone.utc).date()

    # ---------------------------------------------------------------- quota
    def set_quota(self, limit: int | None = None, used: int | None = None) -> dict[str, Any]:
        """Change the daily quota or how much of it is used (`used=0`: a new day)."""
        with self._lock:
            if limit is not None:
                if limit < 0:
                    raise ValueError("limit must be >= 0")
                self.quota = int(limit)
            if used is not None:
                if used < 0:
                    raise ValueError("used must be >= 0")
                self.used, self.over = int(used), 0
            return self._quota_state()

    def _quota_state(self) -> dict[str, Any]:
        return {"limit": self.quota, "used": self.used, "available": max(0, self.quota - self.used),
                "over": self.over, "day": self._day.isoformat()}

    def quota_state(self) -> dict[str, Any]:
        """Return the quota as JSON."""
        with self._lock:
            return self._quota_state()

    def take(self, now: float | None = None) -> tuple[str | None, dict[str, str]]:
        """Admit one request with a valid key: return (refusal or None, Rate-Limit headers).

        The refusal is "spike" (more than the per-second rate), "quota" (the day's quota is
        spent) or None. Spike-arrested requests do not use quota.
        """
        now = time.time() if now is None else now
        with self._lock:
            today = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
            if today != self._day:  # the quota resets at UTC midnight
                self._day, self.used, self.over = today, 0, 0
            if self.rate_per_second:
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) >= self.rate_per_second:
                    return "spike", {}
                self._recent.append(now)
            armed = self._take_fault("rate_limit")
            if armed and armed.get("kind") == "spike":
                return "spike", {}
            refusal = None
            if self.used >= self.quota or armed:
                self.over += 1
                refusal = "quota"
            else:
                self.used += 1
            headers = {"Rate-Limit": str(self.quota),
                       "Rate-Limit-Available": str(max(0, self.quota - self.used)),
                       "Rate-Limit-Over": str(self.over),
                       "Rate-Limit-Reset": str(next_reset_ms(now))}
            return refusal, headers

    # ---------------------------------------------------------------- faults
    def clear_faults(self) -> None:
        """Disarm every fault."""
        with getattr(self, "_lock", threading.Lock()):
            self.faults: dict[str, Any] = {"rate_limit": None, "server_errors": None,
                                           "latency_ms": 0.0}

    def arm(self, body: dict[str, Any]) -> None:
        """Arm faults from a control request (raise ValueError naming a bad value)."""
        unknown = set(body) - {"rate_limit", "server_errors", "latency_ms"}
        if unknown:
            raise ValueError(f"Unknown faults: {sorted(unknown)}")
        with self._lock:
            if "rate_limit" in body:
                spec = body["rate_limit"] or {}
                kind = spec.get("kind", "quota")
                if kind not in ("quota", "spike"):
                    raise ValueError("rate_limit kind must be 'quota' or 'spike'")
                self.faults["rate_limit"] = {"count": int(spec.get("count", 1)), "kind": kind}
            if "server_errors" in body:
                spec = body["server_errors"] or {}
                status = int(spec.get("status", 503))
                if status not in SERVER_ERRORS:
                    raise ValueError(f"server_errors status must be one of {sorted(SERVER_ERRORS)}")
                self.faults["server_errors"] = {"count": int(spec.get("count", 1)),
                                                "status": status}
            if "latency_ms" in body:
                latency = float(body["latency_ms"] or 0)
                if latency < 0:
                    raise ValueError("latency_ms must be >= 0")
                self.faults["latency_ms"] = latency

    def _take_fault(self, name: str) -> dict[str, Any] | None:
        spec = self.faults.get(name)
        if spec and spec["count"] > 0:
            spec["count"] -= 1
            return dict(spec)
        return None

    def take_server_error(self) -> int | None:
        """Consume one armed 5xx; return its status."""
        with self._lock:
            spec = self._take_fault("server_errors")
            return int(spec["status"]) if spec else None

    def latency(self) -> float:
        """Return the armed latency in seconds."""
        return float(self.faults["latency_ms"]) / 1000

    def describe_faults(self) -> dict[str, Any]:
        """Return the armed faults as JSON."""
        with self._lock:
            return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.faults.items()}

    # ---------------------------------------------------------------- counters
    def reset_counters(self) -> None:
        """Zero the request counters."""
        with getattr(self, "_lock", threading.Lock()):
            self.total = 0
            self.by_endpoint: Counter[str] = Counter()
            self.by_attraction: Counter[str] = Counter()
            self.refused: Counter[str] = Counter()

    def count(self, endpoint: str, attraction_ids: list[str] | None = None,
              refused: str | None = None) -> None:
        """Count one request (and the attractions an events query asked for)."""
        with self._lock:
            self.total += 1
            self.by_endpoint[endpoint] += 1
            for attraction_id in attraction_ids or ():
                self.by_attraction[attraction_id] += 1
            if refused:
                self.refused[refused] += 1

    def counters(self) -> dict[str, Any]:
        """Return the counters as JSON."""
        with self._lock:
            return {"total": self.total, "by_endpoint": dict(self.by_endpoint),
                    "by_attraction": dict(self.by_attraction), "refused": dict(self.refused)}
