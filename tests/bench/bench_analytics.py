"""Benchmarks of the analytics (web/stats.py) and the risk list (web/risk.py) on the nation-scale demo
(≈12,000 hazard sources, a year of alarms from geo/demo/history.py); the issue's goal is under 1 s each.

Each figure is compared with a baseline that reads the same rows once in the same run: the count of the
scoped rows the figure groups (hazard sources, the year's alarms, the accidents), and for the risk list
the same sources' columns without the counts. Every SQL statement of a figure is timed too
(``connection.execute_wrapper``); the slowest of each is printed, as the goal is per query.

Run alone: ``python -m tests.bench.bench_analytics [--keepdb]`` (``--keepdb`` keeps the test database and
its demo between runs; the demo is loaded when the database holds none), or ``python -m tests.bench
--scale nation --only analytics``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from tests.bench.harness import Figure, compare

DAYS = 365


class Statements:
    """Times every SQL statement run inside ``with``: ``slowest`` is (seconds, first words of the SQL)."""

    def __init__(self) -> None:
        self.times: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((time.perf_counter() - start, " ".join(sql.split())[:90]))

    def __enter__(self) -> Statements:
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapper.__exit__(*exc)

    @property
    def slowest(self) -> tuple[float, str]:
        return max(self.times)


def per_statement(name: str, work: Callable[[], object]) -> None:
    """Run ``work`` once more and print its number of statements and the slowest."""
    with Statements() as seen:
        work()
    seconds, sql = seen.slowest
    print(f"  {name}: {len(seen.times)} statements, slowest {seconds * 1e3:.1f} ms: {sql}", flush=True)


def _users() -> list[tuple[str, object]]:
    """The national administrator (every row), the Shanghai regulator and the park commander of the demo."""
    from geo.models import User

    return [(name, User.objects.get(username=name)) for name in ("admin", "shanghai", "park")]


def run() -> list[Figure]:
    from django.test import Client
    from django.utils import timezone

    from geo import risk
    from geo.models import Accident, User
    from geo.scope import scoped
    from layers.registry import COLLECTIONS
    from web import stats
    from web.risk import FIELDS

    figures = []
    now = timezone.now()
    since = now - dt.timedelta(days=DAYS)
    for who, user in _users():
        sources = COLLECTIONS["hazard-sources"].queryset(user)
        alarms = COLLECTIONS["alarms"].queryset(user).filter(started_at__gte=since, started_at__lt=now)
        accidents = scoped(Accident.objects.all(), user).filter(occurred_at__gte=since, occurred_at__lt=now)
        note = f"{sources.count():,} sources, {alarms.count():,} alarms, {accidents.count()} accidents in a year"
        work = {
            f"stats: hazard sources ({who})": (
                lambda user=user: stats.hazard_source_figures(user),
                lambda sources=sources: sources.count(),
            ),
            f"stats: alarms of {DAYS} days ({who})": (
                lambda user=user: stats.alarm_figures(user, since, now),
                lambda alarms=alarms: alarms.count(),
            ),
            f"stats: accidents, alarms 72 h before ({who})": (
                lambda user=user: stats.accident_figures(user, since, 72, now),
                lambda accidents=accidents: accidents.count(),
            ),
            f"risk list, every source ({who})": (
                lambda sources=sources: [risk.assess(row) for row in risk.annotate(sources).values(*FIELDS)],
                lambda sources=sources: list(sources.values(*FIELDS[:6])),
            ),
        }
        for name, (candidate, baseline) in work.items():
            figures.append(compare(name, candidate, baseline, repeat=3, note=note if "hazard" in name else ""))
            per_statement(name, candidate)
    admin = Client(HTTP_HOST="127.0.0.1")  # a host hazmap answers to (ALLOWED_HOSTS)
    admin.force_login(User.objects.get(username="admin"))
    for name, query in (
        ("GET /app/stats?days=365 (admin)", {"days": DAYS}),
        ("GET /app/stats?format=xlsx&days=365 (admin)", {"days": DAYS, "format": "xlsx"}),
        ("GET /app/risk?level=red (admin)", None),
    ):
        path = "/app/risk" if query is None else "/app/stats"
        params = {"level": "red"} if query is None else query
        figures.append(
            compare(
                name,
                lambda path=path, params=params: _ok(admin.get(path, params)),
                lambda: _ok(admin.get("/healthz")),
                repeat=3,
                note="baseline: GET /healthz",
            )
        )
    return figures


def _ok(answer) -> None:
    assert answer.status_code == 200, answer.content[:300]


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keepdb", action="store_true", help="keep the test database (and its demo) for next time")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from geo.models import HazardSource
    from tests.bench.harness import HEADER

    state = setup_databases(verbosity=0, interactive=False, keepdb=args.keepdb)
    try:
        if not HazardSource.objects.exists():
            started = time.perf_counter()
            call_command("load-demo", scale="nation", verbosity=1)
            print(f"demo scale nation loaded in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"database: {connection.vendor}")
        print(HEADER)
        run()
    finally:
        if not args.keepdb:
            teardown_databases(state, verbosity=0)
