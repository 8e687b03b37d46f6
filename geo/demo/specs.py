"""What a demo park is made of, as plain data: companies and their units, and what lies around the park.

The Shanghai park (``geo.demo.shanghai``) writes these out by hand; generated parks
(``geo.demo.generated``) draw them at random. ``geo.demo.park`` turns either into model objects.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tanks:
    """A group of ``count`` equal tanks of ``capacity_m3`` m³ each in one dike (a tank area, 罐区 unit),
    or the intermediate tanks of a production site."""

    name: str
    substance: str
    tank_type: str
    capacity_m3: float
    count: int


@dataclass(frozen=True)
class Room:
    """A storage room (防火分区) of a warehouse holding ``tonnes`` t (design maximum) of a substance."""

    substance: str
    tonnes: float


@dataclass(frozen=True)
class Store:
    """A warehouse building (one unit), divided into rooms."""

    name: str
    rooms: tuple[Room, ...]


@dataclass(frozen=True)
class Unit:
    """A process unit of a production site: its hold-up (t, design maximum) and operating point.

    ``pressure_mpa`` is the operating gauge pressure (MPa), ``temperature_c`` the operating
    temperature (°C), ``flow_t_h`` the feed rate (t/h); ``storage`` the state of its contents.
    """

    name: str
    substance: str
    holdup_t: float
    storage: str
    pressure_mpa: float
    temperature_c: float
    flow_t_h: float


@dataclass(frozen=True)
class Plant:
    """A production site (生产单元): process units, and intermediate tanks inside its boundary."""

    name: str
    units: tuple[Unit, ...]
    tanks: Tanks | None = None


Source = Tanks | Store | Plant


@dataclass(frozen=True)
class Company:
    """An enterprise: names, industry (``Enterprise.Industry``), its units, staff and vehicles.

    ``site`` (x0, y0, x1, y1 in park metres) places it outside the grid of plots; otherwise it takes
    the next plot.
    """

    name: str
    name_en: str
    industry: str
    sources: tuple[Source, ...]
    staff: int = 5
    vehicles: int = 0
    site: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Target:
    """A sensitive target near the park: ``box`` (x0, y0, x1, y1) in park metres, population in persons."""

    name: str
    kind: str
    box: tuple[float, float, float, float]
    population: int


@dataclass(frozen=True)
class Resource:
    """An emergency resource at (x, y) park metres; ``in_park`` chooses the park or its county as region."""

    name: str
    kind: str
    x: float
    y: float
    capacity: int | None = None
    phone: str = ""
    description: str = ""
    in_park: bool = True


@dataclass(frozen=True)
class Layout:
    """The grid of plots: ``cols`` × ``rows`` plots of ``plot_w`` × ``plot_h`` m, ``road`` m apart,
    centred on the park centre; the park boundary lies ``margin`` m outside the grid."""

    cols: int
    rows: int
    plot_w: float
    plot_h: float
    road: float
    margin: float

    @property
    def half_w(self) -> float:
        return (self.cols * self.plot_w + (self.cols - 1) * self.road) / 2

    @property
    def half_h(self) -> float:
        return (self.rows * self.plot_h + (self.rows - 1) * self.road) / 2

    def plot(self, index: int) -> tuple[float, float, float, float]:
        """Plot ``index`` (row by row from the south-west) as (x0, y0, x1, y1) in park metres."""
        col, row = index % self.cols, index // self.cols
        if row >= self.rows:
            raise ValueError(f"the layout has {self.cols * self.rows} plots, not {index + 1}")
        x0 = -self.half_w + col * (self.plot_w + self.road)
        y0 = -self.half_h + row * (self.plot_h + self.road)
        return (x0, y0, x0 + self.plot_w, y0 + self.plot_h)


@dataclass(frozen=True)
class ParkSpec:
    """Everything a park is made of, in park metres around (``lon``, ``lat``).

    ``weather_station`` is where the park's own weather station stands (x, y); it belongs to the
    park, not to an enterprise.
    """

    name: str
    lon: float
    lat: float
    layout: Layout
    companies: tuple[Company, ...]
    targets: tuple[Target, ...]
    resources: tuple[Resource, ...]
    weather_station: tuple[float, float]
