"""Turn a park's plain description (``geo.demo.specs.ParkSpec``) into unsaved model objects.

Everything is drawn in metres in the park's local frame (``geo.demo.frame.LocalFrame``) and projected
to EPSG:4326 at the end, in one call per park:

* each company gets a plot of the grid (or its own site); its units are packed into the plot in
  shelves, 25 m apart, above a 50 m strip along the south edge that holds the office and the muster
  point;
* a tank area is one dike (``geo.demo.tanks.layout_group``); a warehouse one building divided into
  rooms; a production site the process units in a row, with their intermediate tanks beside them;
* sensors: two level gauges, two temperatures, inlet and outlet flow and (pressurised storage and
  fixed roofs) pressure on every tank; pressure, temperature and flow at inlet and outlet and (liquids)
  level on every process unit; temperature and humidity in every warehouse room; combustible and toxic
  gas detectors by the release sources (GB/T 50493-2019: within 10 m for combustible and 4 m for toxic
  gas): four round each tank's valves, one every 15 m along a dike's manifold, a 12 m grid over each
  production site, four round each toxic process unit, two in each room of flammable goods; the park
  weather station;
* fences: a hazardous area round each tank area and production site, a restricted area round units
  holding a named toxic gas (chlorine, ammonia, H₂S, HCl, ethylene oxide), a muster point per company;
* the population within 500 m of each site (GB 18218 Table 5's α) is counted from the sensitive targets
  in metres: each target's population is taken in proportion to the part of its area inside the 500 m
  buffer of the site (uniform density). Schools, hospitals and homes count like residential areas, which
  is conservative (a larger α).

No object gets a live value: sensors, tags and positions are left for the simulators.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

import shapely
from shapely import affinity
from shapely.geometry import box

from geo import gb18218, grading
from geo.demo import stock as stocks
from geo.demo import tanks as tank_rules
from geo.demo.frame import LocalFrame, as_multipolygon
from geo.demo.specs import Company, Layout, ParkSpec, Plant, Source, Store, Tanks, Unit
from geo.models import (
    EmergencyResource,
    Enterprise,
    Equipment,
    Fence,
    HazardSource,
    PersonnelTag,
    Region,
    SensitiveTarget,
    Sensor,
    Substance,
)
from geo.validators import credit_code_check_char

PLOT_MARGIN_M = 20.0  # between a plot's edge and its units
OFFICE_STRIP_M = 50.0  # along the south edge of a plot: office, gate, muster point
UNIT_GAP_M = 25.0  # between units in a plot (roads)
HAZARD_FENCE_M = 5.0  # hazardous-area fence outside a unit's boundary
RESTRICTED_FENCE_M = 15.0  # restricted-area fence outside a toxic unit's boundary
POPULATION_BUFFER_M = 500.0  # GB 18218-2018 Table 5: residents within 500 m of the plant boundary
COMBUSTIBLE_GRID_M = 12.0  # combustible detector grid over a production site: every point within 8.5 m
REGISTRY_FIRST_DAY = dt.date(2016, 1, 1)
REGISTRY_LAST_DAY = dt.date(2024, 12, 31)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红飞志斌宇浩凯晨晓文辉婷欣雪梅琳海波峰亮丹云龙"
JOBS = (
    ("生产部", "内操"),
    ("生产部", "外操"),
    ("生产部", "班长"),
    ("储运部", "罐区操作工"),
    ("设备部", "仪表工"),
    ("设备部", "维修钳工"),
    ("安全环保部", "安全员"),
    ("储运部", "装卸工"),
)


@dataclass
class Counters:
    """Serial numbers shared by every park of one load, so that codes stay unique across parks."""

    enterprise: int = 0
    tag: int = 0
    vehicle: int = 0


@dataclass
class ParkData:
    """The unsaved objects of one park, in insertion order (parents before children)."""

    enterprises: list[Enterprise] = field(default_factory=list)
    sources: list[HazardSource] = field(default_factory=list)
    equipment: list[Equipment] = field(default_factory=list)
    sensors: list[Sensor] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    tags: list[PersonnelTag] = field(default_factory=list)
    resources: list[EmergencyResource] = field(default_factory=list)
    targets: list[SensitiveTarget] = field(default_factory=list)

    def stages(self) -> list[tuple[str, list]]:
        """(name, objects) in the order they must be inserted."""
        return [
            ("enterprises", self.enterprises),
            ("hazard sources", self.sources),
            ("equipment", self.equipment),
            ("sensors", self.sensors),
            ("fences", self.fences),
            ("personnel tags", self.tags),
            ("emergency resources", self.resources),
            ("sensitive targets", self.targets),
        ]


def park_boundary(layout: Layout) -> shapely.Polygon:
    """The park boundary in park metres: the grid of plots plus the margin, corners cut by 150 m."""
    w, h, c = layout.half_w + layout.margin, layout.half_h + layout.margin, 150.0
    return shapely.Polygon(
        [(-w + c, -h), (w - c, -h), (w, -h + c), (w, h - c), (w - c, h), (-w + c, h), (-w, h - c), (-w, -h + c)]
    )


def build(
    spec: ParkSpec,
    park: Region,
    county: Region,
    substances: dict[str, Substance],
    rng: random.Random,
    counters: Counters,
    graded_at: dt.datetime,
) -> ParkData:
    """All objects of one park, graded, with geometries in EPSG:4326; nothing is saved."""
    return _Builder(spec, park, county, substances, rng, counters, graded_at).build()


# --- drawings of units in local metres ----------------------------------------------------------


@dataclass
class _Item:
    """One piece of equipment as drawn: its model fields and footprint (metres, unit-local)."""

    fields: dict
    shape: shapely.Polygon
    stock: stocks.Stock


@dataclass
class _Probe:
    """One sensor as drawn: model fields, position (metres, unit-local), the item it sits on (index)."""

    fields: dict
    x: float
    y: float
    item: int | None = None


@dataclass
class _Drawing:
    """A unit drawn in its own metres, lower-left corner at (0, 0)."""

    kind: str
    name: str
    footprint: shapely.Polygon
    items: list[_Item]
    probes: list[_Probe]
    substances: tuple[str, ...]


def _tank_items(
    group: Tanks, prefix: str, dx: float = 0.0, dy: float = 0.0
) -> tuple[tank_rules.TankGroupLayout, list[_Item], list[_Probe]]:
    """The layout of a tank group, its tanks, their sensors and gas detectors, shifted by (dx, dy) m."""
    stock = stocks.STOCKS[group.substance]
    layout = tank_rules.layout_group(
        group.tank_type, group.capacity_m3, group.count, dike_capacity=stock.storage == stocks.ATMOSPHERIC
    )
    tank = layout.tank
    pressurised = stock.storage == stocks.PRESSURISED
    if pressurised:
        pressure = stock.tank_pressure_pa
    else:
        pressure = stocks.ATMOSPHERIC_TANK_PRESSURE_PA[group.tank_type]
    kind_cn = {"sphere": "球罐", "horizontal": "卧式储罐"}.get(group.tank_type, "储罐")
    items, probes = [], []
    for index, shape in enumerate(layout.footprints):
        shape = affinity.translate(shape, dx, dy)
        code = f"{prefix}{101 + index}"
        items.append(
            _Item(
                fields={
                    "code": code,
                    "name": f"{group.substance}{kind_cn}",
                    "kind": Equipment.Kind.TANK,
                    "substance": group.substance,
                    "storage": stock.storage,
                    "design_max_kg": stocks.design_max_kg(group.substance, group.tank_type, group.capacity_m3),
                    "capacity_m3": float(group.capacity_m3),
                    "design_pressure_pa": pressure,
                    "design_temperature_k": stocks.DESIGN_TEMPERATURE_K,
                    "tank_type": group.tank_type,
                    "diameter_m": tank.diameter_m,
                    "height_m": tank.height_m,
                },
                shape=shape,
                stock=stock,
            )
        )
        cx, cy = shape.centroid.x, shape.centroid.y
        item = len(items) - 1
        for fields, dx_m, dy_m in _tank_sensors(code, group, tank, stock, pressure):
            probes.append(_Probe(fields, cx + dx_m, cy + dy_m, item))
        # Detectors by the tank's root valves and flanges on its south side, 2 m outside the shell:
        # combustible within 10 m of a release source, toxic within 4 m (GB/T 50493-2019 §4).
        radius = tank.diameter_m / 2
        for angle in (-150.0, -110.0, -70.0, -30.0):
            a = math.radians(angle)
            px, py = cx + (radius + 2.0) * math.cos(a), cy + (radius + 2.0) * math.sin(a)
            probes.extend(_detectors(stock, group.substance, px, py))
    return layout, items, probes


def _tank_sensors(
    code: str, group: Tanks, tank: tank_rules.TankSize, stock: stocks.Stock, pressure_pa: float
) -> list[tuple[dict, float, float]]:
    """A tank's instruments, with their offsets (m) from its centre.

    Two independent level gauges (radar and servo, % of height: low 10, high 85, high-high 90; 80/85 for
    liquefied gases), the liquid temperature at the shell and averaged over the height (°C), inlet and
    outlet flow (m³/h, range about a twentieth of the capacity per hour), and the pressure: MPa for
    pressurised storage (high 80 %, high-high 90 % of the design pressure), kPa for the nitrogen
    blanket of a fixed roof (design +2 kPa).
    """
    pressurised = stock.storage == stocks.PRESSURISED
    radius, top = tank.diameter_m / 2, tank.height_m
    level = (None, 10.0, 80.0, 85.0) if pressurised else (None, 10.0, 85.0, 90.0)
    hot = (None, None, 40.0, 45.0) if pressurised else (None, None, 40.0, 50.0)
    flow = float(max(10, math.ceil(group.capacity_m3 / 20 / 10) * 10))
    rows = [
        (_sensor(f"{code}-LT1", f"{code} 液位（雷达）", "level", "%", 0.0, 100.0, level, top), 0.0, 0.0),
        (_sensor(f"{code}-LT2", f"{code} 液位（伺服）", "level", "%", 0.0, 100.0, level, top), radius / 2, 0.0),
        (_sensor(f"{code}-TT1", f"{code} 介质温度", "temperature", "°C", -40.0, 80.0, hot, 1.0), radius, 0.0),
        (
            _sensor(f"{code}-TT2", f"{code} 平均温度（多点）", "temperature", "°C", -40.0, 80.0, hot, top / 2),
            0.0,
            -radius / 2,
        ),
        (
            _sensor(f"{code}-FT1", f"{code} 进料流量", "flow", "m³/h", 0.0, flow, (None, None, 0.9 * flow, None), 1.0),
            -radius,
            -radius / 2,
        ),
        (
            _sensor(f"{code}-FT2", f"{code} 出料流量", "flow", "m³/h", 0.0, flow, (None, None, 0.9 * flow, None), 1.0),
            radius * 0.7,
            -radius * 0.7,
        ),
    ]
    if pressurised:
        design = pressure_pa / 1e6
        band = (None, None, round(0.8 * design, 3), round(0.9 * design, 3))
        limit = math.ceil(design * 1.5 * 10) / 10
        rows.append((_sensor(f"{code}-PT1", f"{code} 压力", "pressure", "MPa", 0.0, limit, band, top), 0.0, radius / 2))
    elif group.tank_type == "fixed_roof":
        band = (-0.3, 0.2, 1.5, 1.8)
        rows.append(
            (_sensor(f"{code}-PT1", f"{code} 氮封压力", "pressure", "kPa", -1.0, 5.0, band, top), 0.0, radius / 2)
        )
    return rows


def _detectors(stock: stocks.Stock, substance: str, x: float, y: float, combustible: bool = True) -> list[_Probe]:
    """The gas detectors one release point needs: combustible (unless ``combustible`` is false) and/or
    toxic, by the stock's rules; 0.5 m above the ground, 2.5 m for gases lighter than air."""
    height = 2.5 if stock.lighter_than_air else 0.5
    probes = []
    if combustible and stock.combustible:
        probes.append(_Probe(_detector_fields("combustible", None, height), x, y))
    if stock.oel_mg_m3 is not None:
        probes.append(_Probe(_detector_fields("toxic", substance, height), x, y))
    return probes


def _detector_fields(kind: str, substance: str | None, height: float) -> dict:
    if kind == "combustible":
        # GB/T 50493-2019 §5.5.2: first-level alarm 25 %LEL, second-level 50 %LEL
        return _sensor("GD", "可燃气体探测器", "combustible_gas", "%LEL", 0.0, 100.0, (None, None, 25.0, 50.0), height)
    stock = stocks.STOCKS[substance]
    # GB/T 50493-2019 §5.5.2-3: first level 100 % OEL, second level 200 % OEL (OEL basis: stock.oel_basis)
    fields = _sensor(
        "GT",
        f"有毒气体探测器（{substance}）",
        "toxic_gas",
        "mg/m³",
        0.0,
        stock.toxic_range_mg_m3,
        (None, None, stock.oel_mg_m3, 2 * stock.oel_mg_m3),
        height,
    )
    fields["substance"] = substance
    return fields


def _sensor(
    tag: str,
    name: str,
    kind: str,
    unit: str,
    low: float,
    high: float,
    thresholds: tuple[float | None, float | None, float | None, float | None],
    height: float | None,
) -> dict:
    lolo, lo, hi, hihi = thresholds
    return {
        "tag": tag,
        "name": name,
        "kind": kind,
        "unit": unit,
        "range_min": low,
        "range_max": high,
        "lolo": lolo,
        "lo": lo,
        "hi": hi,
        "hihi": hihi,
        "height_m": height,
    }


def _draw_tanks(group: Tanks) -> _Drawing:
    layout, items, probes = _tank_items(group, "T")
    stock = stocks.STOCKS[group.substance]
    dike = layout.dike
    # detectors along the manifold and pumps on the dike's south side, 1.5 m inside it, every 15 m
    width = dike.bounds[2]
    count = max(2, math.ceil(width / 15.0))
    for number in range(count):
        probes.extend(_detectors(stock, group.substance, width * (number + 0.5) / count, 1.5))
    return _Drawing(HazardSource.Kind.TANK_AREA, group.name, dike, items, probes, (group.substance,))


def _draw_store(store: Store) -> _Drawing:
    """A warehouse 24 m deep, one room per substance lot at 0.8 t/m², rooms at least 12 m wide."""
    depth, x, wall = 24.0, 0.0, 0.3
    items, probes = [], []
    for index, room in enumerate(store.rooms):
        stock = stocks.STOCKS[room.substance]
        width = max(12.0, math.ceil(room.tonnes / 0.8 / depth))
        shape = box(x + wall, wall, x + width - wall, depth - wall)
        code = f"K{101 + index}"
        items.append(
            _Item(
                fields={
                    "code": code,
                    "name": f"{room.substance}库房",
                    "kind": Equipment.Kind.WAREHOUSE,
                    "substance": room.substance,
                    "storage": stock.storage,
                    "design_max_kg": room.tonnes * 1000.0,
                    "design_temperature_k": stocks.DESIGN_TEMPERATURE_K,
                },
                shape=shape,
                stock=stock,
            )
        )
        cx, cy = x + width / 2, depth / 2
        # room temperature and humidity (oxidisers and calcium carbide must be kept cool and dry)
        climate = (
            _sensor(f"{code}-TT1", f"{code} 库温", "temperature", "°C", -20.0, 80.0, (None, None, 35.0, 40.0), 3.0),
            _sensor(
                f"{code}-RH1", f"{code} 库内湿度", "relative_humidity", "%", 0.0, 100.0, (None, None, 75.0, 85.0), 3.0
            ),
        )
        for number, fields in enumerate(climate):
            probes.append(_Probe(fields, cx, cy + 2.0 * number, len(items) - 1))
        for fx in (0.25, 0.75):
            probes.extend(_detectors(stock, room.substance, x + width * fx, depth / 2))
        x += width
    footprint = box(0.0, 0.0, x, depth)
    return _Drawing(
        HazardSource.Kind.WAREHOUSE, store.name, footprint, items, probes, tuple(r.substance for r in store.rooms)
    )


def _draw_plant(plant: Plant) -> _Drawing:
    """Process units in a row 12 m apart, 10 m inside the site's boundary; intermediate tanks to the east."""
    margin, gap = 10.0, 12.0
    items, probes = [], []
    x = margin
    tallest = 0.0
    for index, unit in enumerate(plant.units):
        side = min(40.0, 10.0 + 2.0 * math.sqrt(unit.holdup_t))
        shape = box(x, margin, x + side, margin + side)
        code = f"U{101 + index}"
        stock = stocks.STOCKS[unit.substance]
        items.append(_Item(fields=_unit_fields(unit, code), shape=shape, stock=stock))
        item = len(items) - 1
        cy = margin + side / 2
        for number, fields in enumerate(_unit_sensors(unit, code)):  # spread along the unit's centre line
            probes.append(_Probe(fields, x + side * (number + 1) / 8, cy, item))
        if stock.oel_mg_m3 is not None:  # toxic detectors 2 m outside each corner (≤ 4 m from the unit)
            for px in (x - 2, x + side + 2):
                for py in (margin - 2, margin + side + 2):
                    probes.extend(_detectors(stock, unit.substance, px, py, combustible=False))
        x += side + gap
        tallest = max(tallest, side)
    width, height = x - gap + margin, tallest + 2 * margin
    substances = [u.substance for u in plant.units]
    if plant.tanks is not None:
        _, tank_items, tank_probes = _tank_items(plant.tanks, "V", dx=width, dy=margin)
        items.extend(tank_items)
        offset = len(items) - len(tank_items)
        probes.extend(_Probe(p.fields, p.x, p.y, None if p.item is None else p.item + offset) for p in tank_probes)
        east = max(shape.bounds[2] for shape in (i.shape for i in tank_items))
        north = max(shape.bounds[3] for shape in (i.shape for i in tank_items))
        width, height = east + margin, max(height, north + margin)
        substances.append(plant.tanks.substance)
    footprint = box(0.0, 0.0, width, height)
    if any(stocks.STOCKS[s].combustible for s in substances):
        probes.extend(_combustible_grid(footprint, substances))
    return _Drawing(HazardSource.Kind.PRODUCTION, plant.name, footprint, items, probes, tuple(substances))


def _unit_fields(unit: Unit, code: str) -> dict:
    return {
        "code": code,
        "name": unit.name,
        "kind": Equipment.Kind.PROCESS_UNIT,
        "substance": unit.substance,
        "storage": unit.storage,
        "design_max_kg": unit.holdup_t * 1000.0,
        "design_pressure_pa": round(unit.pressure_mpa * 1.1 * 1e6, 1),
        "design_temperature_k": round(unit.temperature_c + 273.15 + 30.0, 2),
    }


def _unit_sensors(unit: Unit, code: str) -> list[dict]:
    """A process unit's instruments: pressure at two points (MPa: low 50 %, high 110 %, high-high 120 % of
    the operating pressure), inlet and outlet temperature (°C: operating -20/+10/+20), feed and product
    flow (t/h: low 30 %, high 120 % of the feed rate) and, for liquids, level (%)."""
    p, t, f = unit.pressure_mpa, unit.temperature_c, unit.flow_t_h
    pressure = (None, round(0.5 * p, 3), round(1.1 * p, 3), round(1.2 * p, 3))
    p_max = math.ceil(p * 1.6 * 10) / 10
    temperature = (None, t - 20.0, t + 10.0, t + 20.0)
    t_min, t_max = min(-40.0, t - 50.0), t + 150.0
    flow = (None, round(0.3 * f, 2), round(1.2 * f, 2), None)
    f_max = float(math.ceil(f * 1.5))
    sensors = [
        _sensor(f"{code}-PT1", f"{unit.name} 入口压力", "pressure", "MPa", 0.0, p_max, pressure, None),
        _sensor(f"{code}-PT2", f"{unit.name} 出口压力", "pressure", "MPa", 0.0, p_max, pressure, None),
        _sensor(f"{code}-TT1", f"{unit.name} 入口温度", "temperature", "°C", t_min, t_max, temperature, None),
        _sensor(f"{code}-TT2", f"{unit.name} 出口温度", "temperature", "°C", t_min, t_max, temperature, None),
        _sensor(f"{code}-FT1", f"{unit.name} 进料流量", "flow", "t/h", 0.0, f_max, flow, None),
        _sensor(f"{code}-FT2", f"{unit.name} 出料流量", "flow", "t/h", 0.0, f_max, flow, None),
    ]
    if unit.storage in (stocks.ATMOSPHERIC, stocks.PRESSURISED):
        band = (None, 20.0, 80.0, 90.0)
        sensors.append(_sensor(f"{code}-LT1", f"{unit.name} 液位", "level", "%", 0.0, 100.0, band, None))
    return sensors


def _combustible_grid(footprint: shapely.Polygon, substances: list[str]) -> list[_Probe]:
    """Combustible detectors on a 12 m grid over a production site: every point, so every release source,
    lies within 8.5 m of one (GB/T 50493-2019: within 10 m)."""
    x0, y0, x1, y1 = footprint.bounds
    light = all(stocks.STOCKS[s].lighter_than_air for s in substances if stocks.STOCKS[s].combustible)
    height = 2.5 if light else 0.5
    nx = max(1, math.ceil((x1 - x0) / COMBUSTIBLE_GRID_M))
    ny = max(1, math.ceil((y1 - y0) / COMBUSTIBLE_GRID_M))
    return [
        _Probe(
            _detector_fields("combustible", None, height),
            x0 + (i + 0.5) * (x1 - x0) / nx,
            y0 + (j + 0.5) * (y1 - y0) / ny,
        )
        for j in range(ny)
        for i in range(nx)
    ]


def draw(source: Source) -> _Drawing:
    """A unit drawn in its own metres."""
    if isinstance(source, Tanks):
        return _draw_tanks(source)
    if isinstance(source, Store):
        return _draw_store(source)
    return _draw_plant(source)


def pack(drawings: list[_Drawing], plot: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """Offsets (m) that place each drawing in the plot: shelves from the south-west, tallest first.

    Raises ValueError when the units do not fit: the park's description asks for too much.
    """
    x0, y0, x1, y1 = plot
    left, right, top = x0 + PLOT_MARGIN_M, x1 - PLOT_MARGIN_M, y1 - PLOT_MARGIN_M
    order = sorted(range(len(drawings)), key=lambda i: (-drawings[i].footprint.bounds[3], i))
    offsets: list[tuple[float, float] | None] = [None] * len(drawings)
    x, y, shelf = left, y0 + OFFICE_STRIP_M, 0.0
    for index in order:
        w, h = drawings[index].footprint.bounds[2], drawings[index].footprint.bounds[3]
        if x + w > right and x > left:
            x, y, shelf = left, y + shelf + UNIT_GAP_M, 0.0
        if x + w > right or y + h > top:
            raise ValueError(f"the units do not fit in a {x1 - x0:.0f} m × {y1 - y0:.0f} m plot")
        offsets[index] = (x, y)
        x, shelf = x + w + UNIT_GAP_M, max(shelf, h)
    return [offset for offset in offsets if offset is not None]


# --- the builder ---------------------------------------------------------------------------------


class _Builder:
    def __init__(
        self,
        spec: ParkSpec,
        park: Region,
        county: Region,
        substances: dict[str, Substance],
        rng: random.Random,
        counters: Counters,
        graded_at: dt.datetime,
    ) -> None:
        self.spec = spec
        self.park = park
        self.county = county
        self.substances = substances
        self.rng = rng
        self.counters = counters
        self.graded_at = graded_at
        self.frame = LocalFrame(spec.lon, spec.lat)
        self.data = ParkData()
        self.shapes: list[tuple[object, str, shapely.Geometry, bool]] = []  # (object, field, shape, multi)
        self.points: list[tuple[object, str, float, float]] = []
        self.target_shapes = [box(*t.box) for t in spec.targets]
        self.equipment_of: dict[int, list[Equipment]] = {}

    def build(self) -> ParkData:
        plots = 0
        for company in self.spec.companies:
            if company.site is None:
                site = self.spec.layout.plot(plots)
                plots += 1
            else:
                site = company.site
            self._company(company, site)
        self._weather_station(self.spec.weather_station)
        for target, shape in zip(self.spec.targets, self.target_shapes, strict=True):
            obj = SensitiveTarget(name=target.name, kind=target.kind, region=self.county, population=target.population)
            self.shapes.append((obj, "area", shape, True))
            self.data.targets.append(obj)
        for resource in self.spec.resources:
            obj = EmergencyResource(
                name=resource.name,
                kind=resource.kind,
                region=self.park if resource.in_park else self.county,
                contact_phone=resource.phone,
                capacity=resource.capacity,
                description=resource.description,
            )
            self.points.append((obj, "location", resource.x, resource.y))
            self.data.resources.append(obj)
        self._project()
        self._grade()
        return self.data

    def _company(self, company: Company, site: tuple[float, float, float, float]) -> None:
        self.counters.enterprise += 1
        serial = self.counters.enterprise
        first17 = f"91{self.county.code}MA{serial:07d}"
        site_shape = box(*site)
        enterprise = Enterprise(
            name=company.name,
            name_en=company.name_en,
            credit_code=first17 + credit_code_check_char(first17),
            industry=company.industry,
            region=self.park,
            address=f"{self.spec.name} {_plot_label(site, self.spec.layout)}",
            contact_name=self._person(),
            population_500m=self._population(site_shape),
        )
        self.shapes.append((enterprise, "site", site_shape, True))
        self.data.enterprises.append(enterprise)
        drawings = [draw(source) for source in company.sources]
        offsets = pack(drawings, site)
        counts: dict[str, int] = {}
        for drawing, (dx, dy) in zip(drawings, offsets, strict=True):
            prefix = {"tank_area": "TA", "warehouse": "WH", "production": "PS"}[drawing.kind]
            counts[prefix] = counts.get(prefix, 0) + 1
            self._source(enterprise, drawing, f"{prefix}{counts[prefix]:02d}", dx, dy)
        x0, y0 = site[0], site[1]
        muster = box(x0 + 10, y0 + 10, x0 + 40, y0 + 40)
        fence = Fence(enterprise=enterprise, name=f"{company.name} 紧急集合点", kind=Fence.Kind.MUSTER)
        self.shapes.append((fence, "area", muster, False))
        self.data.fences.append(fence)
        self._people(enterprise, company)

    def _source(self, enterprise: Enterprise, drawing: _Drawing, code: str, dx: float, dy: float) -> None:
        footprint = affinity.translate(drawing.footprint, dx, dy)
        involved = [stocks.STOCKS[s] for s in drawing.substances]
        source = HazardSource(
            enterprise=enterprise,
            code=code,
            name=drawing.name,
            kind=drawing.kind,
            principal_name=self._person(),
            technical_name=self._person(),
            operational_name=self._person(),
            accident_fire=any(s.fire for s in involved),
            accident_explosion=any(s.explosion for s in involved),
            accident_poisoning=any(s.poisoning for s in involved),
        )
        self.shapes.append((source, "footprint", footprint, True))
        self.data.sources.append(source)
        items = []
        for item in drawing.items:
            fields = dict(item.fields)
            fields["substance"] = self.substances[fields["substance"]]
            equipment = Equipment(hazard_source=source, **fields)
            self.shapes.append((equipment, "footprint", affinity.translate(item.shape, dx, dy), False))
            self.data.equipment.append(equipment)
            items.append(equipment)
        self.equipment_of[id(source)] = items  # for grading, before anything is saved
        detectors: dict[str, int] = {}
        for probe in drawing.probes:
            fields = dict(probe.fields)
            equipment = items[probe.item] if probe.item is not None else None
            if fields["tag"] in ("GD", "GT"):
                detectors[fields["tag"]] = detectors.get(fields["tag"], 0) + 1
                fields["tag"] = f"{code}-{fields['tag']}{detectors[fields['tag']]:02d}"
                fields["name"] = f"{fields['name']} {fields['tag']}"
            else:
                fields["tag"] = f"{code}-{fields['tag']}"
            if fields.get("substance"):
                fields["substance"] = self.substances[fields["substance"]]
            sensor = Sensor(
                region=self.park, enterprise=enterprise, hazard_source=source, equipment=equipment, **fields
            )
            self.points.append((sensor, "location", probe.x + dx, probe.y + dy))
            self.data.sensors.append(sensor)
        if drawing.kind != HazardSource.Kind.WAREHOUSE:
            # at most 6 people in a tank area, 2 to 30 on a production site (over- and under-staffing alarms)
            production = drawing.kind == HazardSource.Kind.PRODUCTION
            fence = Fence(
                enterprise=enterprise,
                hazard_source=source,
                name=f"{drawing.name} 危险区域",
                kind=Fence.Kind.HAZARDOUS,
                max_people=30 if production else 6,
                min_people=2 if production else None,
            )
            self.shapes.append((fence, "area", footprint.buffer(HAZARD_FENCE_M, join_style="mitre"), False))
            self.data.fences.append(fence)
        if any(s in stocks.RESTRICTED for s in drawing.substances):
            restricted = Fence(
                enterprise=enterprise,
                hazard_source=source,
                name=f"{drawing.name} 有毒气体限制区",
                kind=Fence.Kind.RESTRICTED,
            )
            area = footprint.buffer(RESTRICTED_FENCE_M, join_style="mitre")
            self.shapes.append((restricted, "area", area, False))
            self.data.fences.append(restricted)

    def _weather_station(self, at: tuple[float, float]) -> None:
        """The park weather station: a 10 m mast for wind, a screen at 1.5 m for air temperature and humidity.

        It belongs to the park (region), not to an enterprise, so every user of the park sees it.
        """
        device = "WS-01"
        rows = (
            ("WS", "风速", "wind_speed", "m/s", 0.0, 60.0, 10.0),
            ("WD", "风向", "wind_direction", "°", 0.0, 360.0, 10.0),
            ("TA", "气温", "air_temperature", "°C", -40.0, 60.0, 1.5),
            ("RH", "相对湿度", "relative_humidity", "%", 0.0, 100.0, 1.5),
        )
        for suffix, name, kind, unit, low, high, height in rows:
            fields = _sensor(f"{device}-{suffix}", f"园区气象站 {name}", kind, unit, low, high, (None,) * 4, height)
            sensor = Sensor(region=self.park, device_code=device, **fields)
            self.points.append((sensor, "location", *at))
            self.data.sensors.append(sensor)

    def _people(self, enterprise: Enterprise, company: Company) -> None:
        for index in range(company.staff):
            self.counters.tag += 1
            department, job = JOBS[index % len(JOBS)]
            self.data.tags.append(
                PersonnelTag(
                    enterprise=enterprise,
                    code=f"TAG-{self.counters.tag:06d}",
                    kind=PersonnelTag.Kind.PERSON,
                    holder=self._person(),
                    department=department,
                    job=job,
                )
            )
        for _ in range(company.vehicles):
            self.counters.vehicle += 1
            self.data.tags.append(
                PersonnelTag(
                    enterprise=enterprise,
                    code=f"VEH-{self.counters.vehicle:06d}",
                    kind=PersonnelTag.Kind.VEHICLE,
                    holder=f"沪A·D{self.counters.vehicle:04d}",
                    department="储运部",
                    job="危化品运输车",
                )
            )

    def _person(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))

    def _population(self, site: shapely.Polygon) -> int:
        """Persons within 500 m of the site: each target's population in proportion to its area inside."""
        zone = site.buffer(POPULATION_BUFFER_M)
        total = 0.0
        for target, shape in zip(self.spec.targets, self.target_shapes, strict=True):
            inside = shape.intersection(zone).area
            if inside > 0:
                total += target.population * inside / shape.area
        return round(total)

    def _project(self) -> None:
        """Project every drawn shape and point to EPSG:4326 in one call each and set them on the objects."""
        geometries = self.frame.geometries([shape for _, _, shape, _ in self.shapes])
        for (obj, name, _, multi), geometry in zip(self.shapes, geometries, strict=True):
            setattr(obj, name, as_multipolygon(geometry) if multi else geometry)
        points = self.frame.points([(x, y) for _, _, x, y in self.points])
        for (obj, name, _, _), point in zip(self.points, points, strict=True):
            setattr(obj, name, point)

    def _grade(self) -> None:
        """Identify and grade every unit from its in-memory equipment (``grade_in_memory``), then set
        its registry status: major hazard sources mostly registered, on a date drawn from the seed."""
        span = (REGISTRY_LAST_DAY - REGISTRY_FIRST_DAY).days
        for source in self.data.sources:
            equipment = self.equipment_of[id(source)]
            grade_in_memory(source, equipment, source.enterprise.population_500m, self.graded_at)
            if source.is_major:
                if self.rng.random() < 0.9:
                    source.registry_status = HazardSource.RegistryStatus.REGISTERED
                    source.registered_on = REGISTRY_FIRST_DAY + dt.timedelta(days=self.rng.randrange(span + 1))
                else:
                    source.registry_status = HazardSource.RegistryStatus.APPLIED
            else:
                source.registry_status = HazardSource.RegistryStatus.DRAFT


def grade_in_memory(
    source: HazardSource, equipment: list[Equipment], population: int, graded_at: dt.datetime
) -> gb18218.Identification:
    """Set a unit's GB 18218 fields from equipment held in memory, exactly as ``geo.grading.regrade`` does."""
    result = grading.identify(equipment, population)
    for name, value in grading.graded_fields(result, graded_at).items():
        setattr(source, name, value)
    return result


def _plot_label(site: tuple[float, float, float, float], layout: Layout) -> str:
    """A plot's name in the park, e.g. "C2 地块" (column letter from the west, row number from the south)."""
    x0, y0 = site[0], site[1]
    col = round((x0 + layout.half_w) / (layout.plot_w + layout.road))
    row = round((y0 + layout.half_h) / (layout.plot_h + layout.road))
    if 0 <= col < layout.cols and 0 <= row < layout.rows:
        return f"{chr(ord('A') + col)}{row + 1} 地块"
    return "园区服务地块"
