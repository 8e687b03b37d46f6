"""Timing helpers: medians of repeated runs, printed beside a baseline as a ratio.

Machines here are noisy, so no figure is compared with a fixed wall-clock limit: each benchmark
times its candidate and a baseline doing comparable work in the same process, interleaved, and
reports candidate/baseline.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    candidate_s: float
    baseline_s: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.candidate_s / self.baseline_s if self.baseline_s else float("inf")

    def line(self) -> str:
        return (
            f"{self.name:<46} {self.candidate_s * 1e3:>10.2f} ms {self.baseline_s * 1e3:>10.2f} ms "
            f"{self.ratio:>7.2f}  {self.note}"
        )


# hazmap's uvicorn launcher (TCP_NODELAY with several workers), run by path with another application's python too
ASGI_SERVER = Path(__file__).resolve().parents[2] / "hazmap" / "asgi_server.py"
HEADER = f"{'benchmark':<46} {'candidate':>13} {'baseline':>13} {'ratio':>7}"


def compare(
    name: str, candidate: Callable[[], object], baseline: Callable[[], object], repeat: int = 7, note: str = ""
) -> Figure:
    """Time ``candidate`` and ``baseline`` alternately ``repeat`` times (after one warm-up each)."""
    candidate()
    baseline()
    c_times, b_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        candidate()
        c_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline()
        b_times.append(time.perf_counter() - start)
    figure = Figure(name, statistics.median(c_times), statistics.median(b_times), note)
    print(figure.line(), flush=True)
    return figure
