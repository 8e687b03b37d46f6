"""Generated parks for the province and nation scales, and the order in which a scale's parks come.

A generated park has the Shanghai park's composition drawn at random: a grid of 12-24 plots, each
company one of eight archetypes (storage terminal, LPG, chlor-alkali, fertiliser, petrochemical, coal
chemical, fine chemical, pharmaceutical) with 1-4 units, villages and schools around it, a fire station,
a medical station, a material depot, a shelter and a weather station. Every name says it is a demo
("演示…"); every random draw comes from the park's own ``random.Random``, seeded with the load's seed,
the province and the park's number, so a park is the same whatever the scale it is loaded in.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from geo.demo import park as park_builder
from geo.demo import regions, shanghai
from geo.demo.frame import LocalFrame
from geo.demo.regions import Province, RegionSpec
from geo.demo.specs import Company, Layout, ParkSpec, Plant, Resource, Room, Source, Store, Tanks, Target, Unit
from geo.demo.stock import ATMOSPHERIC, COMPRESSED, PRESSURISED

RING_STEP_KM = 7.0  # between rings of parks round a capital
ALONG_RING_KM = 6.0  # between neighbouring parks on a ring (a generated park is at most 4.2 km × 2.8 km)
SCALES = ("park", "province", "nation")
SOURCE_TARGETS = {"park": 0, "province": 1000, "nation": 12000}  # load parks until this many units

LIQUIDS = ("甲醇", "苯", "甲苯", "乙醇", "丙酮", "二甲苯", "乙酸", "2-丙烯腈")
SOLVENTS = ("乙醇", "丙酮", "二甲苯")
SOLIDS = ("氯酸钠", "过氧化钠", "碳化钙")
INDUSTRY_CN = {
    "storage": "储运",
    "gas": "气体",
    "chlor_alkali": "氯碱",
    "fertilizer": "化肥",
    "petrochemical": "石化",
    "coal_chemical": "煤化工",
    "fine_chemical": "精细化工",
    "pharmaceutical": "医药化工",
}


@dataclass(frozen=True)
class ParkPlan:
    """One park of a scale: its description, its region chain (national → … → park) and its random source."""

    spec: ParkSpec
    chain: list[RegionSpec]
    rng: random.Random


def plans(scale: str, seed: int) -> Iterator[ParkPlan]:
    """The parks of a scale, in load order: the Shanghai park first, then generated parks without end
    (the loader stops when the scale's number of hazard sources is reached).

    ``province``: generated parks in Shanghai. ``nation``: generated parks across the 31 provinces, each
    next park in the province furthest below its share of the parks so far (weights in
    ``regions.PROVINCES``).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    frame = LocalFrame(shanghai.LON, shanghai.LAT)
    boundary = frame.to_degrees(park_builder.park_boundary(shanghai.LAYOUT))
    yield ParkPlan(shanghai.SPEC, regions.shanghai_chain(boundary), random.Random(f"{seed}:{shanghai.CODE}"))
    if scale == "park":
        return
    provinces = [regions.SHANGHAI] if scale == "province" else list(regions.PROVINCES)
    placed = {p.code: 0 for p in provinces}
    while True:
        province = min(provinces, key=lambda p: ((placed[p.code] + 0.5) / p.weight, p.code))
        yield generated_plan(province, placed[province.code], seed)
        placed[province.code] += 1


def generated_plan(province: Province, index: int, seed: int) -> ParkPlan:
    """The ``index``-th (0-based) generated park of a province."""
    lon, lat = park_position(province, index)
    number = index + 1
    rng = random.Random(f"{seed}:{province.code}:{number}")
    spec = generated_park(rng, regions.generated_park_name(province, index), f"{province.short}{number:02d}", lon, lat)
    frame = LocalFrame(lon, lat)
    boundary = park_builder.park_boundary(spec.layout)
    chain = regions.generated_chain(
        province,
        index,
        frame.to_degrees(boundary),
        frame.to_degrees(boundary.buffer(800.0, join_style="mitre").envelope),
    )
    return ParkPlan(spec, chain, rng)


def park_position(province: Province, index: int) -> tuple[float, float]:
    """Where the ``index``-th generated park of a province lies (degrees): on rings 7 km apart from
    ``r0_km`` round the capital, 6 km apart along a ring, within the province's sector."""
    start, end = province.sector
    width = math.radians(end - start)
    ring, slot = 0, index
    while True:
        radius = province.r0_km + ring * RING_STEP_KM
        per_ring = max(1, math.floor(radius * width / ALONG_RING_KM))
        if slot < per_ring:
            break
        slot -= per_ring
        ring += 1
    bearing = math.radians(start) + (slot + 0.5) * width / per_ring
    x_km, y_km = radius * math.sin(bearing), radius * math.cos(bearing)
    lat = province.lat + y_km / 111.32
    lon = province.lon + x_km / (111.32 * math.cos(math.radians(province.lat)))
    return round(lon, 5), round(lat, 5)


def generated_park(rng: random.Random, name: str, label: str, lon: float, lat: float) -> ParkSpec:
    """A park of 12-24 companies on 600 m × 500 m plots, with what lies around it."""
    layout = Layout(cols=rng.randint(4, 6), rows=rng.randint(3, 4), plot_w=600.0, plot_h=500.0, road=40.0, margin=200.0)
    companies = []
    for index in range(layout.cols * layout.rows):
        companies.append(random_company(rng, f"{label}-{index + 1:02d}"))
    station = (-layout.half_w - layout.margin / 2, 0.0)  # in the park's western margin
    return ParkSpec(
        name, lon, lat, layout, tuple(companies), _targets(rng, layout, label), _resources(layout, name), station
    )


ARCHETYPES = (
    ("storage", 3.0),
    ("gas", 1.5),
    ("chlor_alkali", 1.0),
    ("fertilizer", 1.0),
    ("petrochemical", 2.0),
    ("coal_chemical", 1.0),
    ("fine_chemical", 2.0),
    ("pharmaceutical", 1.0),
)


def random_company(rng: random.Random, label: str) -> Company:
    """A company of a random archetype with 1-4 units of realistic size."""
    industry = rng.choices([a for a, _ in ARCHETYPES], weights=[w for _, w in ARCHETYPES])[0]
    sources: list[Source] = []
    vehicles = 0
    if industry == "storage":
        sources = [_liquid_tanks(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            sources.append(_spheres(rng, "液化石油气", "液化石油气球罐区", (400, 1000, 2000), (2, 6)))
        vehicles = 1
    elif industry == "gas":
        sources = [_spheres(rng, "液化石油气", "液化石油气球罐区", (400, 1000, 2000), (2, 6))]
        if rng.random() < 0.5:
            sources.append(
                Plant("制氢装置", (Unit("变压吸附提氢单元", "氢", _t(rng, 2, 8), COMPRESSED, 2.5, 40.0, 2.0),))
            )
        vehicles = 1
    elif industry == "chlor_alkali":
        sources = [
            Tanks("液氯储罐区", "氯", "horizontal", rng.choice((30, 50)), rng.randint(2, 4)),
            Plant(
                "电解及氯化氢合成装置",
                (
                    Unit("氯气处理及液化单元", "氯", _t(rng, 1, 3), PRESSURISED, 0.8, 10.0, 5.0),
                    Unit("氯化氢合成炉", "氯化氢", _t(rng, 1, 12), COMPRESSED, 0.1, 150.0, 6.0),
                    Unit("氢气处理单元", "氢", 0.3, COMPRESSED, 0.05, 40.0, 0.3),
                ),
            ),
        ]
        if rng.random() < 0.4:
            sources.append(_spheres(rng, "氯乙烯", "氯乙烯球罐区", (400, 1000), (2, 4)))
    elif industry == "fertilizer":
        sources = [
            _spheres(rng, "氨", "液氨球罐区", (400, 1000, 2000), (2, 4)),
            Plant(
                "合成氨装置",
                (
                    Unit("氨合成塔", "氨", _t(rng, 10, 25), COMPRESSED, 15.0, 450.0, 50.0),
                    Unit("氢氮气压缩单元", "氢", _t(rng, 1, 3), COMPRESSED, 15.0, 40.0, 10.0),
                ),
            ),
        ]
    elif industry == "petrochemical":
        sources = [
            Plant(
                "乙烯裂解装置",
                (
                    Unit("裂解气压缩单元", "乙烯", _t(rng, 30, 80), COMPRESSED, 3.5, 40.0, 80.0),
                    Unit("乙烯精馏塔", "乙烯", _t(rng, 30, 80), PRESSURISED, 2.0, -30.0, 60.0),
                    Unit("氢气分离单元", "氢", _t(rng, 3, 6), COMPRESSED, 3.5, -160.0, 3.0),
                ),
            )
        ]
        sources += [_liquid_tanks(rng, ("苯", "甲苯")) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.3:
            sources.append(
                Plant(
                    "环氧乙烷装置",
                    (
                        Unit("环氧乙烷反应器", "乙烯", _t(rng, 20, 40), COMPRESSED, 2.0, 240.0, 20.0),
                        Unit("环氧乙烷精制塔", "环氧乙烷", _t(rng, 10, 30), PRESSURISED, 0.4, 40.0, 10.0),
                    ),
                    Tanks("环氧乙烷中间罐", "环氧乙烷", "horizontal", 100, rng.randint(1, 3)),
                )
            )
    elif industry == "coal_chemical":
        sources = [
            Plant(
                "甲醇合成装置",
                (
                    Unit("甲醇合成塔", "氢", _t(rng, 2, 5), COMPRESSED, 8.0, 250.0, 30.0),
                    Unit("甲醇精馏塔", "甲醇", _t(rng, 100, 300), ATMOSPHERIC, 0.1, 70.0, 40.0),
                ),
                Tanks("甲醇中间罐", "甲醇", "fixed_roof", rng.choice((200, 500)), rng.randint(2, 4)),
            ),
            _liquid_tanks(rng, ("甲醇",)),
        ]
    elif industry == "fine_chemical":
        for number in range(rng.randint(1, 2)):
            rooms = tuple(Room(rng.choice(SOLIDS), _t(rng, 5, 300)) for _ in range(rng.randint(1, 3)))
            sources.append(Store(f"{number + 1}号甲类仓库", rooms))
        if rng.random() < 0.6:
            sources.append(_small_tanks(rng))
    else:  # pharmaceutical
        sources = [_small_tanks(rng), Store("溶剂仓库", (Room(rng.choice(SOLVENTS), _t(rng, 5, 60)),))]
    industry_cn = INDUSTRY_CN[industry]
    return Company(
        f"演示{industry_cn}企业（{label}）",
        f"Demo {industry.replace('_', ' ')} company {label}",
        industry,
        tuple(sources[:4]),
        vehicles=vehicles,
    )


def _t(rng: random.Random, low: float, high: float) -> float:
    """A quantity in tonnes between ``low`` and ``high``, to 0.1 t."""
    return round(rng.uniform(low, high), 1)


def _liquid_tanks(rng: random.Random, substances: tuple[str, ...] = LIQUIDS) -> Tanks:
    substance = rng.choice(substances)
    capacity = rng.choice((1000, 2000, 3000, 5000, 10000))
    tank_type = "internal_floating" if capacity >= 2000 and rng.random() < 0.7 else "fixed_roof"
    return Tanks(f"{substance}罐区", substance, tank_type, capacity, rng.randint(2, 8))


def _small_tanks(rng: random.Random) -> Tanks:
    substance = rng.choice(SOLVENTS)
    return Tanks(f"{substance}罐区", substance, "fixed_roof", rng.choice((200, 500, 1000)), rng.randint(2, 4))


def _spheres(rng: random.Random, substance: str, name: str, sizes: tuple[int, ...], counts: tuple[int, int]) -> Tanks:
    return Tanks(name, substance, "sphere", rng.choice(sizes), rng.randint(*counts))


TARGET_KINDS = (
    # kind, name, weight, side (m) range, population range
    ("residential", "居民点", 6.0, (250, 700), (50, 3000)),
    ("school", "学校", 1.5, (120, 250), (300, 2000)),
    ("kindergarten", "幼儿园", 1.0, (60, 120), (80, 300)),
    ("nursing_home", "养老院", 0.7, (80, 150), (50, 200)),
    ("hospital", "医院", 0.5, (120, 250), (200, 800)),
)


def _targets(rng: random.Random, layout: Layout, label: str) -> tuple[Target, ...]:
    """3-6 sensitive targets round the park: the first one or two 100-400 m from the park boundary (within
    500 m of the edge plots), the others 0.8-4 km away; none overlapping another."""
    count = rng.randint(3, 6)
    near = rng.randint(1, 2)
    half_w, half_h = layout.half_w + layout.margin, layout.half_h + layout.margin
    placed: list[tuple[float, float, float, float]] = []
    targets = []
    for number in range(count):
        kind, name, _, sides, people = rng.choices(TARGET_KINDS, weights=[k[2] for k in TARGET_KINDS])[0]
        side = rng.uniform(*sides)
        for _ in range(50):
            bearing = rng.uniform(0, 2 * math.pi)
            dx, dy = math.sin(bearing), math.cos(bearing)
            edge = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
            gap = rng.uniform(100, 400) if number < near else rng.uniform(800, 4000)
            cx, cy = (edge + gap + side / 2) * dx, (edge + gap + side / 2) * dy
            candidate = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
            if not any(_overlap(candidate, other) for other in placed):
                break
        else:
            continue
        placed.append(candidate)
        box = tuple(round(v, 1) for v in candidate)
        targets.append(Target(f"演示{name}（{label}-{number + 1}）", kind, box, rng.randint(*people)))
    return tuple(targets)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _resources(layout: Layout, name: str) -> tuple[Resource, ...]:
    south = -layout.half_h - layout.margin / 2
    north = layout.half_h + layout.margin / 2
    west = -layout.half_w - layout.margin / 2
    return (
        Resource(f"{name}消防站", "fire_station", 0.0, south, 8, "119", "园区消防站（车辆数）"),
        Resource(f"{name}医疗急救站", "hospital", 0.0, north, 10, "120", "急救（床位数）"),
        Resource(f"{name}应急物资储备库", "material_depot", west, 0.0, description="吸附材料、堵漏器材、防化服"),
        Resource(f"{name}应急避难场所", "shelter", 0.0, north + 2000.0, 2000, description="人数", in_park=False),
    )
