"""Timing figures the benchmarks share: one percentile (nearest rank), the "p50 / p99 / max"
cell (p50 is the median), requests paced at a fixed rate, and the bare `GET /healthz` round trip
of the server under test (the baseline measured in the same run).

>>> percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.99), spread([5.0, 1.0, 3.0, 2.0, 4.0])
(5.0, '3.0 / 5.0 / 5.0')
"""

from __future__ import annotations

import concurrent.futures
import statistics
import time
import urllib.request
from collections.abc import Callable


def percentile(values: list[float], q: float) -> float:
    """The value at rank `q` of the sorted values (NaN for none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(values: list[float], digits: int = 1, scale: float = 1.0, maximum: bool = True) -> str:
    """'p50 / p99 / max' (or 'p50 / p99') of `values` times `scale` (1000: seconds shown as ms)."""
    figures = [statistics.median(values), percentile(values, 0.99)] + ([max(values)] if maximum else [])
    return " / ".join(f"{x * scale:.{digits}f}" for x in figures)


def paced(count: int, rate: float, send: Callable[[int], None]) -> tuple[list[float], float]:
    """Call send(i) for i in range(count), started at `rate` per second; return latencies (ms)
    and the seconds it all took."""
    latencies: list[float] = [0.0] * count
    start = time.perf_counter()

    def one(i: int) -> None:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        began = time.perf_counter()
        send(i)
        latencies[i] = (time.perf_counter() - began) * 1000

    with concurrent.futures.ThreadPoolExecutor(max_workers=128) as pool:
        list(pool.map(one, range(count)))
    return latencies, time.perf_counter() - start


def healthz_round_trips(port: int, count: int, rate: float) -> list[float]:
    """Latencies (ms) of `GET /healthz` on loopback at `rate`: the server's bare round trip."""
    url = f"http://127.0.0.1:{port}/healthz"

    def health(_: int) -> None:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()

    return paced(count, rate, health)[0]
