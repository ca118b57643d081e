"""Performance figures of the sandbox for `make bench`: world build time and requests/second.

Builds the 10,000-user world in a fresh interpreter (for a clean peak RSS), then drives a real
sandbox subprocess over loopback with several `requests.Session` client threads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

import requests

from spotify_sandbox.state import CLIENT_ID, CLIENT_SECRET

BUILD_SCRIPT = """
import json, resource, time
start = time.perf_counter()
from spotify_sandbox.world import World
world = World(seed=42, users=10000)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mb":
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _world_build() -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", BUILD_SCRIPT], capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(seconds: float = 5.0, clients: int = 4, users: int = 10000) -> dict[str, Any]:
    """Measure the world build and sustained `GET /v1/me/top/tracks` requests per second."""
    build = _world_build()
    process = subprocess.Popen(
        [sys.executable, "-m", "spotify_etl", "sandbox", "--port", "0", "--users", str(users),
         "--date", "2026-11-20"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        url = first.rsplit(" ", 1)[-1]
        seeded = requests.post(f"{url}/__sandbox/authorize", json={"count": 20},
                               timeout=30).json()["users"]
        tokens = []
        for user in seeded:
            answer = requests.post(f"{url}/api/token", timeout=30,
                                   auth=(CLIENT_ID, CLIENT_SECRET),
                                   data={"grant_type": "refresh_token",
                                         "refresh_token": user["refresh_token"]})
            tokens.append(answer.json()["access_token"])
        ranges = ("short_term", "medium_term", "long_term")
        counts = [0] * clients
        errors = [0] * clients
        stop = threading.Event()

        def client(n: int) -> None:
            session = requests.Session()
            i = n
            while not stop.is_set():
                response = session.get(
                    f"{url}/v1/me/top/tracks", params={"time_range": ranges[i % 3], "limit": 50},
                    headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"}, timeout=30)
                if response.status_code == 200:
                    counts[n] += 1
                else:
                    errors[n] += 1
                i += 1

        # Warm the per-user caches first: the figure is for sustained, not cold, traffic.
        warm = requests.Session()
        for i, token in enumerate(tokens):
            for time_range in ranges:
                warm.get(f"{url}/v1/me/top/tracks", params={"time_range": time_range},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {"world_build_seconds_10000_users": round(build["seconds"], 3),
            "world_build_peak_rss_mb": round(build["peak_rss_mb"], 1),
            "sandbox_top_tracks_requests_per_second": round(sum(counts) / elapsed, 1),
            "sandbox_bench_clients": clients, "sandbox_bench_seconds": round(elapsed, 2),
            "sandbox_bench_errors": sum(errors), "sandbox_bench_limit": 50}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
