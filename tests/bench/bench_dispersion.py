"""Benchmarks of the consequence models (``dispersion``); no database needed.

- one full scenario: a 25 mm leak from a liquid-ammonia sphere of the demo park — source term,
  dispersion (a Gaussian plume) and its three AEGL zones with their envelopes, in EPSG:4326 —
  against the straightforward way of drawing the same plume's zones: the Gaussian formula evaluated
  point by point in Python on a 200 × 200 grid over the largest zone. Goal: under 50 ms.
- one scenario as the platform runs it, with who is inside (needs the demo database, run by
  ``python -m tests.bench`` after loading it): a 25 mm leak from a liquid chlorine tank of the demo park,
  its release taken from the tank and its wind from the park's weather station
  (``geo.consequences.evaluate``), then for each of its three zones the personnel, sensitive targets
  and enterprises inside (``geo.consequences.occupants``: three spatial queries per zone), against the
  same per-point Python plume. Goal: under 50 ms.
- a planner batch: every tank of the demo park (the Shanghai Chemical Industry Park, 62 tanks) under
  17 weather classes, the first 1,000 scenarios, against the same per-point Python evaluation of each
  scenario's plume on a 128 × 128 grid. Goal: at least 100 scenarios/s on one core.

``run()`` prints the figures with ``tests.bench.harness.compare``; ``python -m tests.bench.bench_dispersion``
runs it alone.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from dispersion import Release, Weather
from dispersion import run as run_scenario
from dispersion.constants import R
from dispersion.endpoints import toxic_data
from dispersion.properties import properties
from dispersion.sigmas import briggs_sigma_y, briggs_sigma_z
from tests.bench.harness import HEADER, Figure, compare

LON, LAT = 121.330, 30.806
WEATHER_CLASSES = (
    ("A", 1.5), ("B", 2.0), ("B", 3.0), ("C", 2.5), ("C", 4.0), ("C", 6.0), ("D", 1.5), ("D", 3.0), ("D", 5.0),
    ("D", 8.0), ("E", 2.0), ("E", 3.0), ("E", 4.5), ("F", 1.0), ("F", 1.5), ("F", 2.5), ("F", 3.0),
)  # fmt: skip
PRESSURISED_HOLE_M = 0.025
LIQUID_HOLE_M = 0.05


def demo_tanks() -> list[dict]:
    """Every tank of the demo park as plain values: CAS, storage, design inventory, diameter, dike area."""
    from geo.demo import shanghai, specs, stock, tanks

    substances = json.loads((Path(__file__).resolve().parents[2] / "geo/data/substances.json").read_text("utf-8"))
    cas_of = {s["name_cn"]: s["cas"] for s in substances["substances"]}
    result = []
    for company in shanghai.COMPANIES:
        for unit in company.sources:
            group = unit if isinstance(unit, specs.Tanks) else getattr(unit, "tanks", None)
            if not isinstance(group, specs.Tanks):
                continue
            kept = stock.STOCKS[group.substance]
            size = tanks.size(group.tank_type, group.capacity_m3)
            liquid = kept.storage == stock.ATMOSPHERIC
            layout = tanks.layout_group(group.tank_type, group.capacity_m3, group.count, dike_capacity=liquid)
            for _ in range(group.count):
                result.append(
                    {
                        "cas": cas_of[group.substance],
                        "storage": kept.storage,
                        "toxic": kept.poisoning and toxic_data(cas_of[group.substance]) is not None,
                        "inventory_kg": stock.design_max_kg(group.substance, group.tank_type, group.capacity_m3),
                        "diameter_m": size.diameter_m,
                        "dike_area_m2": layout.dike.area if liquid else None,
                    }
                )
    return result


def planner_batch(limit: int = 1000) -> list[tuple[Release, Weather]]:
    """Every demo tank × every weather class, the first ``limit`` of them, as (release, weather) pairs."""
    batch = []
    for (stability, speed), direction in zip(WEATHER_CLASSES, range(0, 360, 21), strict=False):
        weather = Weather(wind_speed_m_s=speed, wind_from_deg=float(direction), stability=stability)
        for tank in demo_tanks():
            liquid = tank["storage"] == "atmospheric_liquid"
            release = Release(
                tank["cas"],
                kind="toxic" if tank["toxic"] else "flammable",
                release="hole",
                storage=tank["storage"],
                inventory_kg=tank["inventory_kg"],
                hole_diameter_m=LIQUID_HOLE_M if liquid else PRESSURISED_HOLE_M,
                vessel_diameter_m=tank["diameter_m"],
                dike_area_m2=tank["dike_area_m2"],
            )
            batch.append((release, weather))
    return batch[:limit]


def per_point_zones(rate: float, wind: float, stability: str, thresholds: list[float], reach: float, cells: int):
    """The straightforward way: the Gaussian plume evaluated cell by cell in Python; cells over each threshold."""
    counts = [0] * len(thresholds)
    step = 2.0 * reach / cells
    for i in range(cells):
        x = -reach + (i + 0.5) * step
        if x <= 0:
            continue
        sy = float(briggs_sigma_y(x, stability))
        sz = float(briggs_sigma_z(x, stability))
        for j in range(cells):
            y = -reach + (j + 0.5) * step
            c = rate / (math.pi * sy * sz * wind) * math.exp(-y * y / (2.0 * sy * sy))
            for k, threshold in enumerate(thresholds):
                if c >= threshold:
                    counts[k] += 1
    return counts


def _mass_thresholds(result, cas: str) -> list[float]:
    """The zones' thresholds as mass concentrations (kg/m³) at the weather's temperature and pressure."""
    molar_mass = properties(cas).molar_mass
    return [z.endpoint.value * 101_325.0 * molar_mass / (R * 293.15) for z in result.zones]


def bench_single() -> Figure:
    weather = Weather(wind_speed_m_s=3.0, wind_from_deg=90.0, stability="D")
    ammonia = next(t for t in demo_tanks() if t["cas"] == "7664-41-7")
    release = Release(
        "7664-41-7",
        kind="toxic",
        release="hole",
        storage="pressurised_liquefied",
        inventory_kg=ammonia["inventory_kg"],
        hole_diameter_m=PRESSURISED_HOLE_M,
        vessel_diameter_m=ammonia["diameter_m"],
    )
    result = run_scenario(release, weather, LON, LAT)
    thresholds = _mass_thresholds(result, "7664-41-7")
    reach = max(z.max_distance_m for z in result.zones)
    return compare(
        "dispersion: one scenario (NH3 leak, 3 zones)",
        lambda: run_scenario(release, weather, LON, LAT),
        lambda: per_point_zones(result.source.rate_kg_s, 3.0, "D", thresholds, reach, 200),
        note=f"{result.model}; baseline: per-point Python plume, 200x200 grid; goal < 50 ms",
    )


def bench_platform() -> Figure:
    """The platform's single scenario on the loaded demo: release and weather from the database, who is inside."""
    import random

    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from geo import consequences
    from geo.models import Equipment, PersonnelTag, Quality, Sensor

    now = timezone.now()
    tank = Equipment.objects.filter(substance__cas="7782-50-5", kind="tank").order_by("pk").first()
    winds = {"wind_speed": 3.0, "wind_direction": 135.0, "air_temperature": 15.0, "relative_humidity": 70.0}
    for kind, value in winds.items():
        Sensor.objects.filter(kind=kind).update(value=value, value_time=now, quality=Quality.GOOD)
    rng = random.Random(7)  # the park's people scattered over its enterprises' sites (the demo has no positions)
    tags = PersonnelTag.objects.filter(enterprise__region=tank.hazard_source.enterprise.region).select_related(
        "enterprise"
    )
    for tag in tags:
        xmin, ymin, xmax, ymax = tag.enterprise.site.extent
        where = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        PersonnelTag.objects.filter(pk=tag.pk).update(location=where, position_time=now)
    parameters = {"release": "hole", "hole_diameter_m": PRESSURISED_HOLE_M}

    def candidate():
        evaluation = consequences.evaluate("toxic", parameters, {}, equipment=tank, now=now)
        return evaluation, [consequences.occupants(consequences.geos(z.area)) for z in evaluation.reached()]

    evaluation, inside = candidate()
    result = evaluation.result
    thresholds = _mass_thresholds(result, "7782-50-5")
    reach = max(z.max_distance_m for z in result.zones)
    people = [len(zone.people) for zone in inside]
    targets = [len(zone.targets) for zone in inside]
    return compare(
        "dispersion: one scenario on a demo tank + who is inside",
        candidate,
        lambda: per_point_zones(result.source.rate_kg_s, 3.0, result.stability, thresholds, reach, 200),
        note=f"{result.model}, class {result.stability}; people {people}, targets {targets} per zone "
        f"({len(tags)} tags placed); baseline: per-point Python plume, 200x200 grid; goal < 50 ms",
    )


def bench_batch() -> Figure:
    batch = planner_batch()
    warm = [run_scenario(release, weather, LON, LAT) for release, weather in batch[:5]]
    del warm
    plans = []
    for release, weather in batch:
        result = run_scenario(release, weather, LON, LAT)
        thresholds = _mass_thresholds(result, release.cas)
        reach = max([z.max_distance_m for z in result.zones] + [50.0])
        rate = result.source.rate_kg_s or result.source.mass_kg / 60.0
        plans.append((rate, weather.wind_speed_m_s, weather.stability_class, thresholds, reach))

    def candidate() -> None:
        for release, weather in batch:
            run_scenario(release, weather, LON, LAT)

    def baseline() -> None:
        for rate, wind, stability, thresholds, reach in plans:
            per_point_zones(rate, wind, stability, thresholds, reach, 128)

    started = time.perf_counter()
    candidate()
    throughput = len(batch) / (time.perf_counter() - started)
    return compare(
        f"dispersion: planner batch ({len(batch)} scenarios)",
        candidate,
        baseline,
        repeat=3,
        note=f"{throughput:.0f} scenarios/s (goal >= 100); baseline: per-point Python plume, 128x128 grid each",
    )


def run() -> list[Figure]:
    """Run the dispersion benchmarks, printing one line per figure."""
    return [bench_single(), bench_batch()]


if __name__ == "__main__":
    print(HEADER)
    run()
