"""A positioning engine for the demo: plausible positions of every personnel tag, and now and then an incident.

``sites_from_database()`` reads each enterprise that has tags: its site, active fences, hazard-source
footprints and tags, in metres of a local frame at the site (``geo.demo.frame.LocalFrame``). From
them ``SiteLayout`` places, in the free ground of the site (10 m clear of every fence and unit):

- desks near the muster point (else the site's centre), spread so that the people at them never make
  a crowd (``crowd.find_groups`` with the crowd radius and the first head-count level); the gate, the
  point of the site's edge nearest them, and the ring road 25 m outside the edge (the middle of the
  demo park's 50 m roads); a loading bay for vehicles near the gate;
- stations, where people check a unit: the middle of each side of its footprint's envelope, 2.5 m out
  (inside its 5 m hazardous area), none inside a restricted area; and entries, points 6 m inside each
  restricted area, for incidents.

``PeopleModel`` moves them (times: seconds since the Unix epoch; deterministic for a seed and the
same sequence of ``step`` times):

- people work in crews of two (a single when one is left). A crew walks from its desk to a station,
  stays 2–7 min, goes on to another or back to its desk (2–10 min), the second one 1.5 s behind the
  first on the same way; crews of a site set off at least 90 s apart. Ways go around units and
  around the fences people keep out of (restricted areas, and areas with a minimum head-count such
  as production sites), by the shortest way (``walks.Ground``), and into such an area only to a
  station inside it, straight through the point of its edge nearest the station. Only crews as large
  as an area's minimum head-count go in, no crew takes a station within 40 m of another crew's or of
  a desk: routine work raises no alarm.
- Day workers (班长, 仪表工, 维修钳工, 安全员) are on site 08:00–17:30 Asia/Shanghai, coming from the
  road through the gate and leaving the same way, reporting nothing while away; operators are on
  site round the clock.
- People walk at 1.0–1.4 m/s. Vehicles come along the ring road at 14 km/h, drive through the gate to
  the bay at 8 km/h, load for 10–25 min, leave the same way and stay away 5–20 min.
- Batteries run down 1–2.5 % an hour from the last shift change (08:00, 20:00), when tags are
  charged; a vehicle's tag runs on the vehicle and reports no battery.
- A tag reports every 3 s while it moves (vehicles 2 s) and every 5 s while it stands, within 0.5 m.

Incidents (``SCRIPT``) come the first ``first_event_s`` after the first step and then one every
``event_every_s``, each the next of the script that can happen at that moment: a tag's battery reads
19 % until it is swapped 4 min later; a crew walks into a restricted area and out after 75 s; all the
people of an enterprise gather at its muster point for 2.5 min (a crowd, when they are at least the
first head-count level); a vehicle comes along the ring road at 35 km/h; someone presses SOS for 90 s.

``PositionFeed`` steps the model once a second in a thread and hands each step's fixes to the ingest
a positioning engine reaches: ``InProcess`` (``Positioning.ingest``, one call for every enterprise) or
``MqttEngine`` (one JSON message per enterprise on ``{prefix}/positions/{credit code}``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely import ops

from acquisition.positioning.crowd import find_groups
from acquisition.positioning.messages import Fix
from acquisition.positioning.rules import MUSTER, RESTRICTED, Settings
from acquisition.positioning.walks import Ground, length
from geo.demo.frame import LocalFrame

log = logging.getLogger(__name__)

PARK_TZ = ZoneInfo("Asia/Shanghai")
DAY_SHIFT_H = (8.0, 17.5)  # day workers on site, local hours
CHANGE_H = (8.0, 20.0)  # shift changes: tags are charged
DAY_JOBS = frozenset({"班长", "仪表工", "维修钳工", "安全员"})

EDGE_M = 3.0  # the rules' band at a fence's edge (rules.AreaRule.edge_m)
CLEAR_M = 10.0  # desks, the bay and the gate area keep this far from fences and units
FENCE_CLEARANCE_M = EDGE_M + 2.0  # walkers keep this far outside the fences they may not enter
UNIT_CLEARANCE_M = 1.5  # … and this far from a unit's footprint
STATION_OUT_M = 2.5  # a station stands this far outside its unit's footprint
ROAD_OUT_M = 25.0  # the ring road runs this far outside the site's edge
ROAD_LEG_M = 200.0  # a vehicle drives this far along the ring road before the gate, and after it
STAGGER_S = 90.0  # a crew sets off on its routine no sooner than this after another crew of its site
STATION_SPACING_M = 40.0  # no crew takes a station this close to where another crew is or goes
PARTNER_GAP_M = 1.5  # the second of a crew stands this far from the first, along the unit's side
PARTNER_LAG_S = 1.5  # … and walks this far behind it, on the same way (so both cross an edge alike)
NOISE_M = 0.5  # standard deviation of a fix in x and in y (m)

WALK_M_S = (1.0, 1.4)
ROAD_M_S = 14 / 3.6
SITE_M_S = 8 / 3.6
SPEEDING_M_S = 35 / 3.6
PERSON_EVERY_S = (3.0, 5.0)  # moving, standing
VEHICLE_EVERY_S = (2.0, 5.0)

SCRIPT = ("low_battery", "fence_entry", "crowd", "overspeed", "fence_entry", "low_battery", "crowd", "sos")


# --- what the simulator reads from the database ------------------------------------------------------


@dataclass(frozen=True)
class SimTag:
    code: str
    vehicle: bool = False
    day_worker: bool = False


@dataclass(frozen=True)
class SimFence:
    kind: str
    shape: shapely.Geometry  # site metres
    min_people: int | None = None


@dataclass(frozen=True)
class SimSite:
    """One enterprise as the simulator sees it; shapes in metres of ``frame``."""

    enterprise_id: int
    credit_code: str
    frame: LocalFrame
    outline: shapely.Geometry
    fences: tuple[SimFence, ...]
    units: tuple[shapely.Geometry, ...]
    tags: tuple[SimTag, ...]


def sites_from_database() -> list[SimSite]:
    """Every enterprise with a site and personnel tags, as ``SimSite`` (see the module's docstring)."""
    from geo.models import Enterprise, Fence, HazardSource, PersonnelTag

    sites = []
    enterprises = Enterprise.objects.filter(personnel_tags__isnull=False).distinct().order_by("pk")
    for enterprise in enterprises:
        centre = enterprise.site.centroid
        frame = LocalFrame(centre.x, centre.y)
        fences = tuple(
            SimFence(f.kind, frame.local(f.area), f.min_people)
            for f in Fence.objects.filter(enterprise=enterprise, active=True).order_by("pk")
        )
        units = tuple(
            frame.local(h.footprint)
            for h in HazardSource.objects.filter(enterprise=enterprise, footprint__isnull=False).order_by("pk")
        )
        tags = tuple(
            SimTag(t.code, t.kind == PersonnelTag.Kind.VEHICLE, t.job in DAY_JOBS)
            for t in PersonnelTag.objects.filter(enterprise=enterprise).order_by("code")
        )
        outline = frame.local(enterprise.site)
        sites.append(SimSite(enterprise.pk, enterprise.credit_code, frame, outline, fences, units, tags))
    return sites


# --- where people go ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Station:
    x: float
    y: float
    min_crew: int  # the largest minimum head-count of the fences it stands in (1: none)
    along: tuple[float, float]  # the unit's side there (a unit vector): where a crew's second one stands


@dataclass(frozen=True)
class Entry:
    """A point 6 m inside a restricted fence (index in ``SimSite.fences``) and clear of every other."""

    fence: int
    x: float
    y: float


class SiteLayout:
    """Desks, gate, bay, stations, ring road and the grounds walkers route over, for one site."""

    def __init__(self, site: SimSite, settings: Settings, crews: list[int]) -> None:
        """``crews``: the head-count of each crew that needs a desk."""
        self.site = site
        fences = site.fences
        muster = [f.shape for f in fences if f.kind == MUSTER]
        busy = [f.shape for f in fences if f.kind != MUSTER] + list(site.units)
        blocked = shapely.union_all([g.buffer(CLEAR_M) for g in busy] + [g.buffer(EDGE_M) for g in muster])
        inner = site.outline.buffer(-CLEAR_M)
        self.free = self._free_ground(inner, blocked)
        anchor = muster[0].centroid if muster else site.outline.centroid
        self.muster = (anchor.x, anchor.y)
        self.desks = self._desks(crews, settings)
        front = shapely.Point(*self.desks[0]) if self.desks else anchor
        edge = site.outline.exterior if isinstance(site.outline, shapely.Polygon) else site.outline.boundary
        gate = ops.nearest_points(edge, front)[0]
        self.gate = (gate.x, gate.y)
        self.bay = self._bay()
        road = site.outline.buffer(ROAD_OUT_M, join_style="mitre")
        self.ring = shapely.LineString(road.exterior.coords if isinstance(road, shapely.Polygon) else [])
        self.ring_gate = self.ring.project(gate) if not self.ring.is_empty else 0.0
        road_gate = self.ring.interpolate(self.ring_gate) if not self.ring.is_empty else gate
        self.road_gate = (road_gate.x, road_gate.y)
        self._grounds: dict[bool, Ground] = {}
        self.stations = self._stations()
        self.entries = self._entries()

    def _free_ground(self, inner: shapely.Geometry, blocked: shapely.Geometry) -> np.ndarray:
        if inner.is_empty:
            return np.zeros((0, 2))
        x0, y0, x1, y1 = inner.bounds
        gx, gy = np.meshgrid(np.arange(x0, x1, 6.0), np.arange(y0, y1, 6.0))
        x, y = gx.ravel(), gy.ravel()
        keep = shapely.contains_xy(inner, x, y) & ~shapely.intersects_xy(blocked, x, y)
        return np.column_stack([x[keep], y[keep]])

    def _desks(self, crews: list[int], settings: Settings) -> list[tuple[float, float]]:
        """A desk per crew nearest the muster point, never ``levels[0]`` people within the crowd radius."""
        order = np.argsort(np.hypot(*(self.free - self.muster).T), kind="stable")
        floor = settings.crowd_levels[0] if settings.crowd_levels else None
        desks: list[tuple[float, float]] = []
        people: list[tuple[float, float]] = []
        for size in crews:
            for k in order.tolist():
                x, y = self.free[k]
                if any(math.hypot(x - a, y - b) < 8.0 for a, b in desks):
                    continue
                mine = [(x + i * PARTNER_GAP_M, y) for i in range(size)]
                if floor is not None:
                    xy = np.array(people + mine)
                    if find_groups(xy[:, 0], xy[:, 1], settings.crowd_radius_m + 3.0, floor):
                        continue
                desks.append((float(x), float(y)))
                people += mine
                break
            else:
                desks.append(self.muster)  # no room: the muster point (a crowd is then possible)
        return desks

    def _bay(self) -> tuple[float, float]:
        far = np.hypot(*(self.free - self.gate).T)
        ok = far >= 30.0
        for x, y in self.desks:
            ok &= np.hypot(self.free[:, 0] - x, self.free[:, 1] - y) >= 25.0
        if not ok.any():
            return self.gate
        k = int(np.argmin(np.where(ok, far, np.inf)))
        return (float(self.free[k, 0]), float(self.free[k, 1]))

    def _stations(self) -> list[Station]:
        """Where crews check units (see the module's docstring): beside each unit, none inside a restricted
        area, and outside each fence people keep out of (so that a unit in one is checked from outside)."""
        fences = self.site.fences
        footprints = shapely.union_all([u.buffer(UNIT_CLEARANCE_M - 0.5) for u in self.site.units])
        blocked = self.ground().blocked.buffer(-0.5)
        around = [(u, STATION_OUT_M) for u in self.site.units]
        around += [(fences[i].shape, FENCE_CLEARANCE_M + 2.0) for i in self._keep_out()]
        stations = []
        for shape, out in around:
            for x, y, along in _sides(shape, out):
                if not shapely.contains_xy(self.site.outline, x, y) or shapely.intersects_xy(footprints, x, y):
                    continue
                holding = [i for i, f in enumerate(fences) if shapely.intersects_xy(f.shape.buffer(EDGE_M), x, y)]
                if any(fences[i].kind == RESTRICTED for i in holding):
                    continue
                inside = self.enclosing(x, y)
                if inside is not None and shapely.intersects_xy(blocked, *self.door(inside, x, y)):
                    continue  # its way in starts in another fence
                if inside is None and shapely.intersects_xy(blocked, x, y):
                    continue
                if any(math.hypot(x - a, y - b) < STATION_SPACING_M for a, b in self.desks):
                    continue  # a crew there and the others at their desks could make a crowd
                crew = max([fences[i].min_people or 1 for i in holding], default=1)
                stations.append(Station(x, y, crew, along))
        return stations

    def _entries(self) -> list[Entry]:
        """Points to walk into each restricted fence at, every 8 m along a line 6 m inside its edge, where
        neither the point nor its way in touches another keep-out fence or a unit."""
        fences = self.site.fences
        units = shapely.union_all([u.buffer(2.0) for u in self.site.units])
        blocked = self.ground().blocked.buffer(-0.5)
        entries = []
        for r in (i for i, f in enumerate(fences) if f.kind == RESTRICTED):
            others = shapely.union_all([fences[i].shape.buffer(EDGE_M + 2.0) for i in self._keep_out() if i != r])
            line = fences[r].shape.buffer(-6.0).boundary
            for d in np.arange(0.0, line.length, 8.0):
                p = line.interpolate(d)
                door = self.door(r, p.x, p.y)
                way = shapely.LineString([door, (p.x, p.y)])
                if (
                    shapely.contains_xy(self.site.outline, p.x, p.y)
                    and not units.intersects(p)
                    and not others.intersects(way)
                    and not shapely.intersects_xy(blocked, *door)
                ):
                    entries.append(Entry(r, p.x, p.y))
        return entries

    def _keep_out(self) -> list[int]:
        """The fences people enter only to stand at a station inside: restricted ones, and those with a
        minimum head-count (a crew crossing one on its way would be under-staffing it)."""
        return [i for i, f in enumerate(self.site.fences) if f.kind == RESTRICTED or f.min_people]

    def ground(self, vehicle: bool = False) -> Ground:
        """What people (or vehicles, which keep out of every fence) walk around."""
        if vehicle not in self._grounds:
            fences = self.site.fences
            if vehicle:
                keep_out = [f.shape for f in fences if f.kind != MUSTER]
                units = [u.buffer(3.0, join_style="mitre") for u in self.site.units]
            else:
                keep_out = [fences[i].shape for i in self._keep_out()]
                units = [u.buffer(UNIT_CLEARANCE_M, join_style="mitre") for u in self.site.units]
            self._grounds[vehicle] = Ground([g.buffer(FENCE_CLEARANCE_M, join_style="mitre") for g in keep_out] + units)
        return self._grounds[vehicle]

    def enclosing(self, x: float, y: float) -> int | None:
        """The largest keep-out fence that holds (x, y) within its edge band, if any."""
        fences = self.site.fences
        holding = [i for i in self._keep_out() if shapely.intersects_xy(fences[i].shape.buffer(EDGE_M), x, y)]
        return max(holding, key=lambda i: fences[i].shape.area) if holding else None

    def door(self, fence: int, x: float, y: float) -> tuple[float, float]:
        """The point just outside what people walk around of ``fence`` nearest (x, y): the way in and out."""
        edge = self.site.fences[fence].shape.buffer(FENCE_CLEARANCE_M + 0.1, join_style="mitre").exterior
        near = edge.interpolate(edge.project(shapely.Point(x, y)))
        return (near.x, near.y)

    def way(self, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        """A person's way from ``a`` to ``b``: around keep-out fences and units, into and out of a keep-out
        fence at one end straight through its door (so that a crew crosses its edge together)."""
        inside_a, inside_b = self.enclosing(*a), self.enclosing(*b)
        if inside_a is not None and inside_a == inside_b:
            return [a, b]
        first = self.door(inside_a, *a) if inside_a is not None else a
        last = self.door(inside_b, *b) if inside_b is not None else b
        path = self.ground().route(first, last)
        if inside_a is not None:
            path.insert(0, a)
        if inside_b is not None:
            path.append(b)
        return path

    def along_ring(self, start: float, end: float) -> list[tuple[float, float]]:
        """The ring road from ``start`` to ``end`` metres along it (passing its first point if need be)."""
        total = self.ring.length
        if total == 0:
            return [self.gate, self.gate]
        start, end = start % total, end % total
        if start <= end:
            pieces = [ops.substring(self.ring, start, end)]
        else:
            pieces = [ops.substring(self.ring, start, total), ops.substring(self.ring, 0, end)]
        points = [tuple(c) for piece in pieces for c in getattr(piece, "coords", [])]
        return points if len(points) > 1 else [self.gate, self.gate]


# --- who moves ---------------------------------------------------------------------------------------


@dataclass
class Member:
    """One tag of a walker: its place in the crew, when it reports next, its battery and flags."""

    tag: SimTag
    index: int  # in its crew: 0 leads
    next_fix: float
    drain_pct_h: float
    low_until: float = 0.0
    sos_until: float = 0.0


@dataclass
class Step:
    kind: str  # "walk", "stay", "hold" (until ``until``), "off", "appear"
    path: list[tuple[float, float]] = field(default_factory=list)
    speed: float = 1.0
    seconds: float = 0.0
    until: float = 0.0
    spot: int | None = None  # the desk (-1) or station it ends at
    facing: tuple[float, float] = (1.0, 0.0)  # where the second of a crew stands, from the first, at the end


class Walker:
    """A crew of people, or a vehicle: its program of steps and where it is at a time."""

    def __init__(self, layout: SiteLayout, members: list[Member], vehicle: bool, day: bool, desk: int) -> None:
        self.layout = layout
        self.members = members
        self.vehicle = vehicle
        self.day = day
        self.desk = desk
        self.program: deque[Step] = deque()
        self.step: Step = Step("stay")
        self.began = self.until = 0.0
        self.x, self.y = layout.desks[desk] if not vehicle and layout.desks else layout.bay
        self.spot: int | None = -1
        self.target: tuple[float, float] = (self.x, self.y)
        self.facing: tuple[float, float] = (1.0, 0.0)
        self.present = True
        self.off_since = 0.0
        self.scripted = False
        self._cumulative = np.zeros(1)
        self._path = np.zeros((1, 2))

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def walking(self) -> bool:
        return self.step.kind == "walk"

    @property
    def leaving(self) -> bool:
        """Whether its program ends with leaving the site."""
        return self.step.kind == "off" or any(step.kind == "off" for step in self.program)

    def where(self, t: float, member: Member | None = None) -> tuple[float, float]:
        """Where the first member (or ``member``) is at ``t``, within the current step."""
        index = member.index if member is not None else 0
        if not self.walking:
            return self.x + index * PARTNER_GAP_M * self.facing[0], self.y + index * PARTNER_GAP_M * self.facing[1]
        lag = index * PARTNER_LAG_S
        s = min(max(t - lag - self.began, 0.0) * self.step.speed, self._cumulative[-1])
        k = int(np.searchsorted(self._cumulative, s, side="right")) - 1
        k = min(k, len(self._path) - 2)
        span = self._cumulative[k + 1] - self._cumulative[k]
        f = (s - self._cumulative[k]) / span if span > 0 else 1.0
        (ax, ay), (bx, by) = self._path[k], self._path[k + 1]
        return float(ax + f * (bx - ax)), float(ay + f * (by - ay))

    def advance(self, t: float, model: PeopleModel) -> None:
        """Run the program up to ``t``: each step starts when the one before it ended."""
        while t >= self.until:
            if self.walking:
                self.x, self.y = self.step.path[-1]
            if not self.program:
                self.scripted = False
                self.program.extend(model.routine(self, self.until))
            self._start(self.program.popleft(), self.until, model)

    def _start(self, step: Step, at: float, model: PeopleModel) -> None:
        self.step, self.began = step, at
        if step.kind == "walk":
            self._path = np.asarray(step.path, dtype=float)
            self._cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(self._path, axis=0).T))])
            self.until = at + self._cumulative[-1] / step.speed
            self.spot = step.spot
            self.target = step.path[-1]
            self.facing = step.facing
        elif step.kind == "stay":
            self.until = at + step.seconds
        elif step.kind == "hold":
            self.until = max(at, step.until)
        elif step.kind == "off":
            self.present = False
            self.off_since = at
            self.until = at + step.seconds
        elif step.kind == "appear":
            self.x, self.y = step.path[0]
            self.target = (self.x, self.y)
            if not self.present:
                self.present = True
                for member in self.members:
                    member.next_fix = at + model.rng.uniform(0.0, 2.0)
            self.until = at

    def interrupt(self, t: float, steps: list[Step], model: PeopleModel) -> None:
        """Drop the program and do ``steps`` from ``t`` (from where the walker is)."""
        self.x, self.y = self.where(t)
        if self.walking:
            self.spot = None
        self.program = deque(steps)
        self.scripted = True
        self.until = t
        self.step = Step("stay")
        self.advance(t, model)


# --- the model ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """A scripted incident: when, what, where and which tags."""

    time: float
    kind: str
    enterprise_id: int
    tags: tuple[str, ...]


class PeopleModel:
    """Positions of every tag of ``sites`` over time (see the module's docstring)."""

    def __init__(
        self,
        sites: list[SimSite],
        settings: Settings | None = None,
        seed: int = 7,
        first_event_s: float = 20.0,
        event_every_s: float = 150.0,
        max_incidents: int | None = None,
    ) -> None:
        """``max_incidents``: stop after that many (None: go on)."""
        self.settings = settings or Settings()
        self.max_incidents = max_incidents
        self.rng = random.Random(seed)
        self.first_event_s = first_event_s
        self.event_every_s = event_every_s
        self.sites = sites
        self.walkers: list[Walker] = []
        self.by_site: dict[int, list[Walker]] = {}
        self.layouts: dict[int, SiteLayout] = {}
        self.incidents: list[Incident] = []
        self._next_event: float | None = None
        self._set_off: dict[int, float] = {}  # when a crew of each site last set off on its routine
        self._script = 0
        self._started = False
        for site in sites:
            people = [t for t in site.tags if not t.vehicle]
            crews = [c for group in (False, True) for c in _pairs([t for t in people if t.day_worker == group])]
            layout = SiteLayout(site, self.settings, [len(c) for c in crews])
            self.layouts[site.enterprise_id] = layout
            walkers = []
            for desk, crew in enumerate(crews):
                members = [self._member(t, i) for i, t in enumerate(crew)]
                walkers.append(Walker(layout, members, False, crew[0].day_worker, desk))
            for tag in site.tags:
                if tag.vehicle:
                    walkers.append(Walker(layout, [self._member(tag, 0)], True, False, 0))
            self.by_site[site.enterprise_id] = walkers
            self.walkers += walkers

    def _member(self, tag: SimTag, index: int) -> Member:
        return Member(tag, index, 0.0, self.rng.uniform(1.0, 2.5))

    # --- routines ------------------------------------------------------------------------------------

    def on_shift(self, walker: Walker, t: float) -> bool:
        if not walker.day:
            return True
        hour = _local_hour(t)
        return DAY_SHIFT_H[0] <= hour < DAY_SHIFT_H[1]

    def _begin(self, t: float) -> None:
        """Where everyone is when the model starts: crews at their desks (day workers only on shift),
        half of the vehicles at their bays."""
        for walker in self.walkers:
            walker.until = t
            if walker.vehicle:
                if self.rng.random() < 0.5:
                    walker.program.append(Step("stay", seconds=self.rng.uniform(60.0, 900.0)))
                else:
                    walker.program.append(Step("off", seconds=self.rng.uniform(30.0, 600.0)))
            elif self.on_shift(walker, t):
                walker.program.append(Step("stay", seconds=self.rng.uniform(10.0, 300.0)))
            else:
                walker.program.append(Step("off", seconds=_until_shift(t)))
            for member in walker.members:
                member.next_fix = t + self.rng.uniform(0.0, 3.0)
        self._next_event = t + self.first_event_s

    def routine(self, walker: Walker, t: float) -> list[Step]:
        """What a walker does next, from where it is at ``t``."""
        layout = walker.layout
        if walker.vehicle:
            return self._drive(walker, ROAD_M_S)
        here = walker.where(t)
        desk = layout.desks[walker.desk]
        if not self.on_shift(walker, t):
            if not walker.present:
                return [Step("off", seconds=_until_shift(t))]
            way = [*layout.way(here, layout.gate), layout.road_gate]  # out to the road, and away
            return [self._walk(way), Step("off", seconds=_until_shift(t) + self.rng.uniform(0.0, 600.0))]
        if not walker.present:
            way = [layout.road_gate, *layout.way(layout.gate, desk)]
            return [Step("appear", path=[layout.road_gate]), self._walk(way, spot=-1), self._stay(60.0, 300.0)]
        site = layout.site.enterprise_id
        if t - self._set_off.get(site, -math.inf) < STAGGER_S:
            return [self._stay(30.0, 90.0)]  # another crew just set off: not all on the same way at once
        self._set_off[site] = t
        if walker.spot == -1 or (walker.spot is not None and self.rng.random() < 0.4):
            station = self._station(walker)
            if station is not None:
                s = layout.stations[station]
                way = layout.way(here, (s.x, s.y))
                return [self._walk(way, spot=station, facing=s.along), self._stay(120.0, 420.0)]
            return [self._stay(60.0, 300.0)]
        return [self._walk(layout.way(here, desk), spot=-1), self._stay(120.0, 600.0)]

    def _walk(self, path, spot: int | None = None, speed: float | None = None, facing=(1.0, 0.0)) -> Step:
        speed = speed if speed is not None else self.rng.uniform(*WALK_M_S)
        return Step("walk", path=list(path), speed=speed, spot=spot, facing=facing)

    def _stay(self, low: float, high: float) -> Step:
        return Step("stay", seconds=self.rng.uniform(low, high))

    def _station(self, walker: Walker) -> int | None:
        """A station the crew may stand at, with no other crew there or going there."""
        layout = walker.layout
        others = [w.target for w in self.by_site[layout.site.enterprise_id] if w is not walker and not w.vehicle]
        choices = [
            i
            for i, s in enumerate(layout.stations)
            if s.min_crew <= walker.size
            and i != walker.spot
            and all(math.hypot(s.x - x, s.y - y) >= STATION_SPACING_M for x, y in others)
        ]
        return self.rng.choice(choices) if choices else None

    def _drive(self, walker: Walker, road_speed: float) -> list[Step]:
        """A vehicle's visit: along the ring road to the gate, in to the bay, loading, out, away."""
        layout = walker.layout
        if walker.present:  # parked at the bay: leave
            return self._leave(walker)
        ground = layout.ground(vehicle=True)
        road_gate = layout.ring.interpolate(layout.ring_gate)
        inside = ground.route(layout.gate, layout.bay)
        return [
            Step("appear", path=[layout.along_ring(layout.ring_gate - ROAD_LEG_M, layout.ring_gate)[0]]),
            self._walk(layout.along_ring(layout.ring_gate - ROAD_LEG_M, layout.ring_gate), speed=road_speed),
            self._walk([(road_gate.x, road_gate.y), *inside], speed=SITE_M_S),
            self._stay(600.0, 1500.0),
            *self._leave(walker),
        ]

    def _leave(self, walker: Walker) -> list[Step]:
        layout = walker.layout
        road_gate = layout.ring.interpolate(layout.ring_gate)
        out = layout.ground(vehicle=True).route(layout.bay, layout.gate)
        return [
            self._walk([*out, (road_gate.x, road_gate.y)], speed=SITE_M_S),
            self._walk(layout.along_ring(layout.ring_gate, layout.ring_gate + ROAD_LEG_M), speed=ROAD_M_S),
            Step("off", seconds=self.rng.uniform(300.0, 1200.0)),
        ]

    # --- incidents -----------------------------------------------------------------------------------

    def _incident(self, t: float) -> None:
        for attempt in range(len(SCRIPT)):
            kind = SCRIPT[(self._script + attempt) % len(SCRIPT)]
            incident = getattr(self, f"_{kind}")(t)
            if incident is not None:
                self._script += attempt + 1
                self.incidents.append(incident)
                log.info("positions simulator: %s at enterprise %d (%s)", kind, incident.enterprise_id, incident.tags)
                return
        self._script += 1

    def _idle(self) -> list[Walker]:
        """Crews on site doing their routine."""
        return [w for w in self.walkers if w.present and not w.scripted and not w.vehicle]

    def _low_battery(self, t: float) -> Incident | None:
        walkers = self._idle()
        if not walkers:
            return None
        walker = self.rng.choice(walkers)
        member = self.rng.choice(walker.members)
        member.low_until = t + 240.0
        return Incident(t, "low_battery", walker.layout.site.enterprise_id, (member.tag.code,))

    def _fence_entry(self, t: float) -> Incident | None:
        walkers = [w for w in self._idle() if not w.walking and w.layout.entries]
        if not walkers:
            return None
        walker = self.rng.choice(walkers)
        layout = walker.layout
        here = walker.where(t)
        entry = min(layout.entries, key=lambda e: math.hypot(e.x - here[0], e.y - here[1]))
        desk = layout.desks[walker.desk]
        steps = [
            self._walk(layout.way(here, (entry.x, entry.y))),
            Step("stay", seconds=75.0),
            self._walk(layout.way((entry.x, entry.y), desk), spot=-1),
            self._stay(120.0, 300.0),
        ]
        walker.interrupt(t, steps, self)
        return Incident(t, "fence_entry", layout.site.enterprise_id, tuple(m.tag.code for m in walker.members))

    def _crowd(self, t: float) -> Incident | None:
        if not self.settings.crowd_levels:
            return None
        needed = self.settings.crowd_levels[0]
        options = []
        for enterprise_id, walkers in self.by_site.items():
            crews = [w for w in walkers if not w.vehicle and w.present]
            if crews and not any(w.scripted for w in crews) and sum(w.size for w in crews) >= needed:
                options.append(enterprise_id)
        if not options:
            return None
        enterprise_id = self.rng.choice(options)
        layout = self.layouts[enterprise_id]
        crews = [w for w in self.by_site[enterprise_id] if not w.vehicle and w.present]
        cx, cy = layout.muster
        spots = [(cx + 4.0 * math.cos(a), cy + 4.0 * math.sin(a)) for a in np.linspace(0, 2 * np.pi, len(crews) + 1)]
        ways = [layout.way(w.where(t), spot) for w, spot in zip(crews, spots, strict=False)]
        speeds = [self.rng.uniform(*WALK_M_S) for _ in crews]
        end = t + max(length(way) / v for way, v in zip(ways, speeds, strict=True)) + 150.0
        for walker, way, speed in zip(crews, ways, speeds, strict=True):
            walker.interrupt(t, [self._walk(way, speed=speed), Step("hold", until=end)], self)
            walker.spot = None
        return Incident(t, "crowd", enterprise_id, tuple(m.tag.code for w in crews for m in w.members))

    def _overspeed(self, t: float) -> Incident | None:
        # away long enough that arriving at the far end of the ring road is no jump (the rules' teleport check)
        away = [w for w in self.walkers if w.vehicle and not w.present and not w.scripted and t - w.off_since >= 60.0]
        if not away:
            return None
        walker = self.rng.choice(away)
        walker.interrupt(t, self._drive(walker, SPEEDING_M_S), self)
        return Incident(t, "overspeed", walker.layout.site.enterprise_id, (walker.members[0].tag.code,))

    def _sos(self, t: float) -> Incident | None:
        walkers = self._idle()
        if not walkers:
            return None
        walker = self.rng.choice(walkers)
        member = self.rng.choice(walker.members)
        member.sos_until = t + 90.0
        walker.interrupt(t, [Step("stay", seconds=100.0)], self)
        return Incident(t, "sos", walker.layout.site.enterprise_id, (member.tag.code,))

    # --- fixes ---------------------------------------------------------------------------------------

    def step(self, t: float) -> dict[int, list[Fix]]:
        """Move everyone to ``t`` (s since the epoch) and return the fixes due, by enterprise id."""
        if not self._started:
            self._started = True
            self._begin(t)
        more = self.max_incidents is None or len(self.incidents) < self.max_incidents
        if more and self._next_event is not None and t >= self._next_event:
            self._next_event += self.event_every_s
            for walker in self.walkers:
                walker.advance(t, self)
            self._incident(t)
        fixes: dict[int, list[Fix]] = {}
        moment = dt.datetime.fromtimestamp(t, dt.UTC)
        for walker in self.walkers:
            walker.advance(t, self)
            if walker.day and walker.present and not (walker.scripted or walker.leaving or self.on_shift(walker, t)):
                walker.interrupt(t, self.routine(walker, t), self)  # the shift is over: to the gate at once
            if not walker.present:
                continue
            moving = walker.walking
            every = (VEHICLE_EVERY_S if walker.vehicle else PERSON_EVERY_S)[0 if moving else 1]
            for member in walker.members:
                if member.next_fix > t:
                    continue
                member.next_fix = t + every
                x, y = walker.where(t, member)
                mx, my = x + self.rng.gauss(0.0, NOISE_M), y + self.rng.gauss(0.0, NOISE_M)
                lon, lat = walker.layout.site.frame.lonlat(mx, my)
                fix = Fix(
                    member.tag.code,
                    moment,
                    round(lon, 7),
                    round(lat, 7),
                    battery_pct=None if walker.vehicle else self._battery(member, t),
                    sos=t < member.sos_until,
                    moving=moving,
                )
                fixes.setdefault(walker.layout.site.enterprise_id, []).append(fix)
        return fixes

    def _battery(self, member: Member, t: float) -> float:
        if t < member.low_until:
            return 19.0
        since = min((_local_hour(t) - h) % 24 for h in CHANGE_H)
        return round(100.0 - member.drain_pct_h * since, 1)


def _sides(shape: shapely.Geometry, out_m: float):
    """The middle of each side of ``shape``'s oriented envelope, ``out_m`` farther out, with the side's direction."""
    box = shapely.oriented_envelope(shape)
    if not isinstance(box, shapely.Polygon):
        return
    centre = box.centroid
    corners = list(box.exterior.coords)[:4]
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        mx, my = (ax + bx) / 2, (ay + by) / 2
        d = math.hypot(mx - centre.x, my - centre.y) or 1.0
        side = math.hypot(bx - ax, by - ay) or 1.0
        yield mx + (mx - centre.x) / d * out_m, my + (my - centre.y) / d * out_m, ((bx - ax) / side, (by - ay) / side)


def _pairs(tags: list[SimTag]) -> list[list[SimTag]]:
    return [tags[i : i + 2] for i in range(0, len(tags), 2)]


def _local_hour(t: float) -> float:
    moment = dt.datetime.fromtimestamp(t, PARK_TZ)
    return moment.hour + moment.minute / 60 + moment.second / 3600


def _until_shift(t: float) -> float:
    """Seconds from ``t`` to the next start of the day shift."""
    hour = _local_hour(t)
    return ((DAY_SHIFT_H[0] - hour) % 24) * 3600.0 or 24 * 3600.0


# --- feeding the centre ------------------------------------------------------------------------------


def as_json(fix: Fix) -> dict:
    """A fix as the JSON a positioning engine sends (``acquisition.positioning.messages``)."""
    item = {"tag": fix.tag, "time": fix.time.isoformat(), "lon": fix.lon, "lat": fix.lat, "sos": fix.sos}
    if fix.battery_pct is not None:
        item["battery_pct"] = fix.battery_pct
    if fix.moving is not None:
        item["moving"] = fix.moving
    return item


class InProcess:
    """Hands fixes to this process's positioning (``Positioning.ingest``), all enterprises in one call."""

    def __init__(self, positioning=None) -> None:
        from acquisition.positioning.ingest import shared

        self.positioning = positioning or shared()

    def __call__(self, fixes: dict[int, list[Fix]], sites: dict[int, SimSite]) -> None:
        batch = [fix for group in fixes.values() for fix in group]
        if batch:
            self.positioning.ingest(batch, source="simulator")

    def stop(self) -> None:
        pass


class MqttEngine:
    """Publishes fixes like an enterprise's positioning engine: ``{prefix}/positions/{credit code}``, QoS 1."""

    def __init__(self, broker, prefix: str, client_id: str | None = None) -> None:
        """``client_id``: by default ``{prefix}-positions-simulator``."""
        from acquisition.mqtt import _client

        self.prefix = prefix
        self.client = _client(broker, client_id or f"{prefix}-positions-simulator")
        self.client.connect_async(broker.host, broker.port, keepalive=15)
        self.client.loop_start()

    def __call__(self, fixes: dict[int, list[Fix]], sites: dict[int, SimSite]) -> None:
        from acquisition.positioning.mqtt import positions_topic

        for enterprise_id, group in fixes.items():
            payload = json.dumps([as_json(f) for f in group], ensure_ascii=False)
            self.client.publish(positions_topic(self.prefix, sites[enterprise_id].credit_code), payload, qos=1)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class PositionFeed:
    """Steps a ``PeopleModel`` every ``every_s`` s of the wall clock in a daemon thread and delivers its fixes."""

    def __init__(
        self,
        model: PeopleModel,
        deliver: Callable[[dict[int, list[Fix]], dict[int, SimSite]], None],
        every_s: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.model = model
        self.deliver = deliver
        self.every_s = every_s
        self.clock = clock or time.time
        self.sites = {s.enterprise_id: s for s in model.sites}
        self.steps = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="positions-simulator", daemon=True)

    def _run(self) -> None:
        from django.db import close_old_connections, connection

        while not self._stop.wait(self.every_s):
            close_old_connections()
            try:
                self.deliver(self.model.step(self.clock()), self.sites)
            except Exception:
                log.exception("positions simulator: a step could not be delivered")
            self.steps += 1
        connection.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        stop = getattr(self.deliver, "stop", None)
        if stop is not None:
            stop()


def start(broker=None, prefix: str = "hazmap") -> PositionFeed | None:
    """The demo's positions: the tags of the database walked by a ``PeopleModel``, delivered over MQTT when
    ``broker`` is given, else in-process; None when the database has no tags."""
    from acquisition.positioning import conf

    sites = sites_from_database()
    if not sites:
        return None
    model = PeopleModel(sites, conf.settings())
    feed = PositionFeed(model, MqttEngine(broker, prefix) if broker is not None else InProcess())
    feed.start()
    return feed
