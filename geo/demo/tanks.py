"""Storage tanks of the demo: sizes by type, spacing in a tank group and the dike around it.

Plain Python and shapely, in metres (no Django). The rules are those of
GB 50160-2008 (2018 年版)《石油化工企业设计防火标准》 and GB 50351-2014《储罐区防火堤设计规范》,
as far as the demo needs them:

* Spacing between adjacent tanks of one group, shell to shell, as a fraction of the diameter D of
  the larger of the two (GB 50160 §6.2, table "罐组内相邻可燃液体地上储罐的防火间距", Table 6.2.8 of the
  2008 edition, for class 甲B/乙 liquids; §6.3, table of spacing in liquefied-hydrocarbon tank groups):

  ============================================  ========
  tank                                          spacing
  ============================================  ========
  fixed roof, ≤ 1000 m³                          0.75 D
  fixed roof, > 1000 m³                          0.6 D
  internal or external floating roof             0.4 D
  sphere, pressurised (no relief to flare)       1.0 D
  horizontal, pressurised liquefied gas          1.0 D
  ============================================  ========

  Liquefied ammonia and chlorine are not hydrocarbons; the demo spaces their spheres and horizontal
  tanks like liquefied hydrocarbons (1.0 D), the larger of the values that table offers.
* Clearance from a tank shell to the inner toe of its dike (防火堤): at least half the shell height
  for a vertical tank and at least 3 m for a horizontal one (GB 50160 §6.2); the demo uses
  max(H/2, 3 m) for every tank, a sphere's H being its diameter.
* Effective capacity of a dike round atmospheric liquid tanks: at least the largest tank for fixed-roof
  tanks, half of it for floating-roof tanks (GB 50351-2014, 防火堤的有效容量); the demo assumes a 2.0 m dike wall
  and widens the clearance, metre by metre, until the dike holds that much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely
from shapely.geometry import Point, box

VERTICAL = ("fixed_roof", "internal_floating", "external_floating")
CIRCLE_SEGMENTS = 16  # per quarter circle: a tank footprint has 64 vertices
DIKE_WALL_M = 2.0


@dataclass(frozen=True)
class TankSize:
    """A tank's nominal capacity (m³), diameter (m), height (m) and, for a horizontal tank, length (m).

    A vertical tank's ``height_m`` is its shell height, a sphere's its diameter, a horizontal tank's
    its diameter (it lies on its side).
    """

    tank_type: str
    capacity_m3: float
    diameter_m: float
    height_m: float
    length_m: float | None = None

    @property
    def geometric_volume_m3(self) -> float:
        """The volume the dimensions enclose (m³): πD²H/4, πD³/6 or πD²L/4."""
        if self.tank_type == "sphere":
            return math.pi * self.diameter_m**3 / 6
        if self.tank_type == "horizontal":
            return math.pi * self.diameter_m**2 * (self.length_m or 0.0) / 4
        return math.pi * self.diameter_m**2 * self.height_m / 4


def size(tank_type: str, capacity_m3: float) -> TankSize:
    """Dimensions of a tank of ``capacity_m3`` m³.

    Vertical tanks: shell height from 12 m (1,000 m³) rising to 19 m (10,000 m³), capped at 20 m,
    and D from V = πD²H/4. Spheres: D = (6V/π)^(1/3). Horizontal tanks: D = 2.6 m up to 40 m³,
    3.0 m above, L from V = πD²L/4.
    """
    if capacity_m3 <= 0:
        raise ValueError(f"capacity must be positive, got {capacity_m3} m³")
    if tank_type in VERTICAL:
        height = round(min(20.0, max(12.0, 12.0 + 7.0 * (capacity_m3 - 1000.0) / 9000.0)), 1)
        diameter = round(math.sqrt(4 * capacity_m3 / (math.pi * height)), 2)
        return TankSize(tank_type, capacity_m3, diameter, height)
    if tank_type == "sphere":
        diameter = round((6 * capacity_m3 / math.pi) ** (1 / 3), 2)
        return TankSize(tank_type, capacity_m3, diameter, diameter)
    if tank_type == "horizontal":
        diameter = 2.6 if capacity_m3 <= 40 else 3.0
        length = round(4 * capacity_m3 / (math.pi * diameter**2), 2)
        return TankSize(tank_type, capacity_m3, diameter, diameter, length)
    raise ValueError(f"no sizing rule for tank type {tank_type!r}")


def spacing_fraction(tank_type: str, capacity_m3: float) -> float:
    """Shell-to-shell spacing in a tank group as a fraction of the larger diameter (GB 50160, above)."""
    if tank_type == "fixed_roof":
        return 0.75 if capacity_m3 <= 1000 else 0.6
    if tank_type in ("internal_floating", "external_floating"):
        return 0.4
    if tank_type in ("sphere", "horizontal"):
        return 1.0
    raise ValueError(f"no spacing rule for tank type {tank_type!r}")


def dike_clearance_m(tank: TankSize) -> float:
    """Minimum distance (m) from the tank shell to the inner toe of the dike: max(H/2, 3 m)."""
    return max(tank.height_m / 2, 3.0)


@dataclass(frozen=True)
class TankGroupLayout:
    """Tank footprints and the dike around them, in metres, with the dike's lower-left corner at (0, 0)."""

    tank: TankSize
    footprints: tuple[shapely.Polygon, ...]
    dike: shapely.Polygon
    spacing_m: float

    @property
    def width_m(self) -> float:
        return self.dike.bounds[2]

    @property
    def height_m(self) -> float:
        return self.dike.bounds[3]


def layout_group(tank_type: str, capacity_m3: float, count: int, dike_capacity: bool = True) -> TankGroupLayout:
    """Lay ``count`` equal tanks out in at most two rows with GB 50160 spacing, inside one dike.

    The shell-to-shell spacing is the required fraction of D rounded up to the next 0.5 m. With
    ``dike_capacity`` (atmospheric liquids), the clearance grows until the dike holds the largest tank
    (fixed roof) or half of it (floating roof) at a 2.0 m wall.
    """
    if not 1 <= count <= 12:
        raise ValueError(f"a tank group holds 1 to 12 tanks, not {count}")
    tank = size(tank_type, capacity_m3)
    spacing = math.ceil(spacing_fraction(tank_type, capacity_m3) * tank.diameter_m * 2) / 2
    rows = 1 if count <= 3 else 2
    per_row = math.ceil(count / rows)
    across = tank.diameter_m  # footprint size along x
    along = tank.length_m if tank.length_m else tank.diameter_m  # along y
    clearance = dike_clearance_m(tank)
    required = 0.0
    if dike_capacity:
        required = capacity_m3 if tank_type == "fixed_roof" else capacity_m3 / 2
    while True:
        shapes = []
        for index in range(count):
            column, row = index % per_row, index // per_row
            cx = clearance + across / 2 + column * (across + spacing)
            cy = clearance + along / 2 + row * (along + spacing)
            shapes.append(_footprint(tank, cx, cy))
        width = 2 * clearance + per_row * across + (per_row - 1) * spacing
        height = 2 * clearance + rows * along + (rows - 1) * spacing
        dike = box(0.0, 0.0, width, height)
        held = (dike.area - sum(shape.area for shape in shapes)) * DIKE_WALL_M
        if held >= required:
            return TankGroupLayout(tank, tuple(shapes), dike, spacing)
        clearance += 1.0


def _footprint(tank: TankSize, cx: float, cy: float) -> shapely.Polygon:
    if tank.tank_type == "horizontal":
        half_d, half_l = tank.diameter_m / 2, (tank.length_m or 0.0) / 2
        return box(cx - half_d, cy - half_l, cx + half_d, cy + half_l)
    return Point(cx, cy).buffer(tank.diameter_m / 2, quad_segs=CIRCLE_SEGMENTS)
