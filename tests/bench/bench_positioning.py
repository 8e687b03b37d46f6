"""Benchmarks of personnel positioning, each against a baseline measured in the same run.

- rules: position updates per second evaluated against 1,000 fences on one core (``rules.Site.observe``
  with its STRtree, plus one ``tick`` a second: head-counts, dwell times, 15 m crowds), against the same
  rules with every fence checked for every position (brute force); the issue's target is ≥ 20,000/s.
- latency: from a message's arrival to its alarms committed (``Positioning.ingest``: checks, track,
  last positions, rules, alarm rows, events, one transaction) for messages of 500 positions against
  1,000 fences, p50 and p99, against storing the same positions alone (``track.store``); target p99
  under 100 ms. As in ``hazmap serve``, what is alive once the process is set up is frozen out of the
  garbage collector's full passes (``gc.freeze``), which would otherwise add ~100 ms to a message now
  and then.

Usage: ``python -m tests.bench.bench_positioning`` (PostGIS: DATABASE_URL=postgis://…), or ``run()``
from ``tests.bench.__main__``. Nothing is asserted; every figure is printed with its ratio.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time

import numpy as np
import shapely

from acquisition.positioning.rules import HAZARDOUS, PERSON, RESTRICTED, WORK_AREA, Area, AreaRule, Settings, Site
from tests.bench.harness import Figure

FENCES = 1000
TAGS = 2000
SECONDS = 20
HALF_SIDE_M = 1500.0
KINDS = (RESTRICTED, HAZARDOUS, WORK_AREA)


def _areas(rng: np.random.Generator, n: int = FENCES) -> list[Area]:
    centres = rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, (n, 2))
    sizes = rng.uniform(10.0, 60.0, (n, 2))
    areas = []
    for i, ((x, y), (w, h)) in enumerate(zip(centres.tolist(), sizes.tolist(), strict=True)):
        kind = KINDS[i % 3]
        rule = AreaRule(
            entry_alarm=kind == RESTRICTED,
            max_people=6 if kind == HAZARDOUS else None,
            linger_s=600.0 if kind == HAZARDOUS else None,
            static_s=300.0 if kind == HAZARDOUS else None,
            off_post_s=600.0 if kind == WORK_AREA else None,
            assigned=frozenset(range(i, TAGS, FENCES)) if kind == WORK_AREA else frozenset(),
        )
        areas.append(Area(i + 1, kind, f"F{i}", shapely.box(x, y, x + w, y + h), rule))
    return areas


def _walks(rng: np.random.Generator, tags: int = TAGS, seconds: int = SECONDS) -> tuple[np.ndarray, np.ndarray]:
    """Positions (seconds × tags) of people walking at 1.2 m/s, turning now and then."""
    x = np.empty((seconds, tags))
    y = np.empty((seconds, tags))
    x[0], y[0] = rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, (2, tags))
    heading = rng.uniform(0, 2 * np.pi, tags)
    for s in range(1, seconds):
        heading += rng.normal(0, 0.3, tags)
        x[s], y[s] = x[s - 1] + 1.2 * np.cos(heading), y[s - 1] + 1.2 * np.sin(heading)
    return x, y


class BruteForceSite(Site):
    """The same rules, every fence checked for every position (no spatial index)."""

    def _candidates(self, x: np.ndarray, y: np.ndarray) -> dict[int, list[tuple[int, bool]]]:
        found: dict[int, list[tuple[int, bool]]] = {}
        for i in range(len(x)):
            band = np.flatnonzero(shapely.intersects_xy(self.bands, x[i], y[i]))
            if len(band):
                inside = shapely.contains_xy(self.shapes[band], x[i], y[i])
                found[i] = [
                    (self.areas[a].id, bool(yes)) for a, yes in zip(band.tolist(), inside.tolist(), strict=True)
                ]
        return found


def _evaluate(kind: type[Site], areas: list[Area], x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Seconds spent evaluating every position (and one tick a second) on a fresh site; alarm changes."""
    site = kind((121.33, 30.81), Settings())
    site.set_areas(areas)
    ids = list(range(x.shape[1]))
    kinds = [PERSON] * len(ids)
    t0 = 1_750_000_000.0
    changes = 0
    started = time.perf_counter()
    for s in range(x.shape[0]):
        found, _verdicts = site.observe(ids, kinds, np.full(len(ids), t0 + s), x[s], y[s])
        changes += len(found) + len(site.tick(t0 + s))
    return time.perf_counter() - started, changes


def bench_rules() -> list[Figure]:
    rng = np.random.default_rng(6)
    areas = _areas(rng)
    x, y = _walks(rng)
    updates = x.size
    indexed, changes = min(_evaluate(Site, areas, x, y) for _ in range(3))
    brute, _changes = _evaluate(BruteForceSite, areas, x[:4], y[:4])
    brute *= x.shape[0] / 4  # the brute force is slow: four seconds of the walk, scaled
    per_s = updates / indexed
    figure = Figure(
        f"positioning: {updates:,} updates, {FENCES:,} fences",
        indexed,
        brute,
        f"{per_s:,.0f} updates/s (target ≥ 20,000) vs brute force {updates / brute:,.0f}/s; {changes} alarm changes",
    )
    print(figure.line(), flush=True)
    return [figure]


def bench_latency(messages: int = 60, per_message: int = 500) -> list[Figure]:
    """Arrival → alarms committed, per message of ``per_message`` positions, on the bench database."""
    from django.utils import timezone

    from acquisition.positioning import sites, track
    from acquisition.positioning.ingest import Positioning
    from acquisition.positioning.messages import Fix
    from geo.demo.frame import LocalFrame
    from geo.models import Fence, PersonnelTag
    from tests import factories

    rng = np.random.default_rng(7)
    region = factories.region_chain(province="650000", prefix="基准")["park"]
    enterprise = factories.enterprise(region, serial=987_654, lon=87.6, lat=43.8)
    frame = LocalFrame(87.6, 43.8)
    shapes = [a.shape for a in _areas(rng)]
    half = 190.0 / HALF_SIDE_M  # the 400 m site of the factories, fences scaled into it
    scaled = [shapely.affinity.scale(s, half, half, origin=(0, 0)) for s in shapes]
    polygons = frame.geometries(scaled)
    Fence.objects.bulk_create(
        Fence(
            enterprise=enterprise,
            name=f"F{i}",
            kind=KINDS[i % 3],
            area=p,
            max_people=6 if KINDS[i % 3] == HAZARDOUS else None,
        )
        for i, p in enumerate(polygons)
    )
    PersonnelTag.objects.bulk_create(
        PersonnelTag(enterprise=enterprise, code=f"BENCH-{i:05d}", holder="基准", kind=PERSON)
        for i in range(per_message * 2)
    )
    codes = [f"BENCH-{i:05d}" for i in range(per_message)]
    x, y = _walks(rng, per_message, messages)
    x, y = x * half, y * half
    start = timezone.now() - dt.timedelta(seconds=messages + 5)
    lonlat = [frame.points(list(zip(x[s].tolist(), y[s].tolist(), strict=True))) for s in range(messages)]
    positioning = Positioning()
    gc.collect()
    gc.freeze()  # as hazmap serve does once it is set up
    began = time.perf_counter()
    positioning.sites[enterprise.pk] = sites.build(enterprise.pk, positioning.settings)  # as on the first message
    print(
        f"positioning: site of {FENCES:,} fences, {per_message * 2:,} tags read in {time.perf_counter() - began:.2f} s"
    )
    arrival, storage = [], []
    tags = list(PersonnelTag.objects.filter(code__startswith="BENCH-").order_by("code"))
    spare = tags[per_message:]
    for s in range(messages):
        at = start + dt.timedelta(seconds=s)
        fixes = [Fix(code, at, p.x, p.y) for code, p in zip(codes, lonlat[s], strict=True)]
        began = time.perf_counter()
        positioning.ingest(fixes, now=at)
        arrival.append(time.perf_counter() - began)
        rows = [track.Row(t.pk, at, p.x, p.y, None, None, False, True) for t, p in zip(spare, lonlat[s], strict=True)]
        began = time.perf_counter()
        track.store(rows)
        storage.append(time.perf_counter() - began)

    gc.unfreeze()

    def p99(values: list[float]) -> float:
        return float(np.percentile(values, 99))

    figures = [
        Figure(
            f"positioning latency p50, {per_message} positions",
            statistics.median(arrival),
            statistics.median(storage),
            "ingest vs storing the track alone",
        ),
        Figure(
            f"positioning latency p99, {per_message} positions",
            p99(arrival),
            p99(storage),
            f"target < 100 ms; {per_message / statistics.median(arrival):,.0f} positions/s through ingest",
        ),
    ]
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


def run() -> list[Figure]:
    return bench_rules() + bench_latency()


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench.harness import HEADER

    print(HEADER)
    bench_rules()
    state = setup_databases(verbosity=0, interactive=False)
    try:
        bench_latency()
    finally:
        teardown_databases(state, verbosity=0)
