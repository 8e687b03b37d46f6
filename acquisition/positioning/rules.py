"""Fence rules on tag positions, for one enterprise's site: plain Python with shapely and NumPy, no Django.

A ``Site`` holds the site's areas (its active fences) in a local metric frame (azimuthal equidistant
at the site, metres east and north), an STRtree over them, and the state of every tag. ``observe``
takes a batch of positions, ``tick`` lets time alone decide (dwell times run out, crowds last); each
returns ``Change`` records: an alarm raised once, cleared once, with the value and threshold that
caused it. Times are seconds since the Unix epoch (UTC).

Whether a tag is inside an area is confirmed, not read off one fix: a fix inside the polygon votes
"in", a fix farther than ``edge_m`` outside it votes "out", a fix in the band between keeps the vote
of the tag's present state (spatial hysteresis); the tag enters when ``confirm_k`` of its last
``confirm_n`` votes are "in" and leaves when ``confirm_k`` of them are "out" (k-of-n). A tag at an
edge therefore enters and leaves once. Then:

============  =====================================================  ==========================================
alarm         raised when                                            cleared when
============  =====================================================  ==========================================
fence_entry   a tag not assigned to a restricted area enters it      it leaves
off_post      a tag assigned to a work area is outside it            it is back inside
              for ``off_post_s``
linger        a tag is inside an area for ``linger_s``               it leaves
static        a person inside an area with ``static_s`` has not      it moves
              moved (motion flag off, within ``static_radius_m``)
              for ``static_s`` (possible fall)
overcrowd     persons inside > ``max_people``, for ``dwell_s``       ≤ max − ``people_deadband``, for ``dwell_s``
understaff    0 < persons inside < ``min_people``, for ``dwell_s``   none, or ≥ min + deadband, for ``dwell_s``
crowd         persons within one disc of ``crowd_radius_m`` (15 m)   the group is gone for ``crowd_clear_s``
              for more than ``crowd_duration_s`` (1 min), wherever
              they stand; level 1 or 2 by head-count (levels of the
              area at the group's centre, else the site default)
overspeed     a vehicle's speed exceeds the limit (the lowest of     ``confirm_k`` of ``confirm_n`` at or
              the areas it is in, else the default) on               below the limit − ``speed_deadband_m_s``
              ``confirm_k`` of ``confirm_n`` fixes
low_battery   battery < ``battery_low_pct`` (20 %)                   battery ≥ ``battery_clear_pct``
sos           the tag reports SOS                                    it reports SOS released
============  =====================================================  ==========================================

Positions that must not move any rule: a fix no later than the tag's last one (duplicate or out of
order: ``late``), a fix implying a speed no person or vehicle reaches (``teleport``; after
``reanchor_after`` such fixes that agree with each other the tag is taken to be there), a fix far
outside the site (``off_site``). Persons not heard from for ``lost_after_s`` count in no head-count
and no crowd.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely

from acquisition.positioning.crowd import find_groups
from dispersion.footprint import local_crs

PERSON, VEHICLE = "person", "vehicle"
RESTRICTED, WORK_AREA, HAZARDOUS, MUSTER = "restricted", "work_area", "hazardous", "muster"

OK, LATE, TELEPORT, OFF_SITE = "ok", "late", "teleport", "off_site"
RAISE, CLEAR, UPDATE = "raise", "clear", "update"


@dataclass(frozen=True)
class AreaRule:
    """The rule settings of one area (SI units). ``None`` switches a rule off for the area."""

    entry_alarm: bool = False
    linger_s: float | None = None
    static_s: float | None = None
    off_post_s: float | None = None
    max_people: int | None = None
    min_people: int | None = None
    people_deadband: int = 0
    dwell_s: float = 10.0
    crowd_levels: tuple[int, ...] | None = None
    speed_limit_m_s: float | None = None
    edge_m: float = 3.0
    confirm_k: int = 2
    confirm_n: int = 3
    assigned: frozenset[int] = frozenset()


def default_rule(kind: str, max_people: int | None = None, min_people: int | None = None) -> AreaRule:
    """The settings of an area that has none of its own: entry alarms for restricted areas, off-post for work areas."""
    return AreaRule(
        entry_alarm=kind == RESTRICTED,
        off_post_s=600.0 if kind == WORK_AREA else None,
        max_people=max_people,
        min_people=min_people,
    )


@dataclass(frozen=True)
class Area:
    """An active fence as the rules see it: its polygon in the site's frame (m) and its rule."""

    id: int
    kind: str
    name: str
    shape: shapely.Polygon
    rule: AreaRule


@dataclass(frozen=True)
class Settings:
    """Settings of every site (SI units). Only the crowd radius and duration come from a published text."""

    crowd_radius_m: float = 15.0  # 2023 MEM crowd-risk guide
    crowd_duration_s: float = 60.0  # 2023 MEM crowd-risk guide ("more than 1 minute")
    crowd_levels: tuple[int, ...] = (5, 10)  # hazmap's default head-counts, not official
    crowd_clear_s: float = 10.0
    crowd_every_s: float = 1.0
    battery_low_pct: float = 20.0
    battery_clear_pct: float = 25.0
    speed_limit_m_s: float = 20 / 3.6
    speed_deadband_m_s: float = 0.5
    confirm_k: int = 2
    confirm_n: int = 3
    person_max_m_s: float = 10.0
    vehicle_max_m_s: float = 40.0
    jitter_m: float = 5.0
    reanchor_after: int = 3
    static_radius_m: float = 3.0
    lost_after_s: float = 120.0
    max_off_site_m: float = 500.0


@dataclass(frozen=True)
class Change:
    """An alarm raised, cleared, or raised to a higher level (``update``), with where it stands (site frame, m)."""

    action: str
    kind: str
    tag_id: int | None
    area_id: int | None
    level: int
    started_at: float
    ended_at: float | None
    value: float | None
    threshold: float | None
    unit: str
    x: float
    y: float


@dataclass
class Raised:
    """An alarm the rules hold raised."""

    started: float
    level: int = 1
    value: float | None = None
    threshold: float | None = None
    unit: str = ""


class Votes:
    """The last n yes/no observations of a condition; confirmed when k of them agree."""

    __slots__ = ("bits",)

    def __init__(self, n: int) -> None:
        self.bits: deque[bool] = deque(maxlen=n)

    def add(self, yes: bool) -> None:
        self.bits.append(yes)

    def yes(self, k: int) -> bool:
        return sum(self.bits) >= k

    def no(self, k: int) -> bool:
        return len(self.bits) - sum(self.bits) >= k


class Presence:
    """A tag's confirmed state in one area and its recent votes."""

    __slots__ = ("inside", "since", "votes")

    def __init__(self, n: int, inside: bool = False, since: float = 0.0) -> None:
        self.inside = inside
        self.since = since
        self.votes = Votes(n)


class Delayed:
    """A condition that must hold ``delay`` seconds before it raises, and its clearing condition before it clears."""

    __slots__ = ("active", "pending", "raised")

    def __init__(self) -> None:
        self.active = False
        self.pending: float | None = None
        self.raised: Raised | None = None

    def step(self, on: bool, off: bool, t: float, delay: float) -> float | None:
        """Advance to ``t``; the time the state changed (the delay ran out), or None."""
        holds = off if self.active else on
        if not holds:
            self.pending = None
            return None
        if self.pending is None:
            self.pending = t
        due = self.pending + delay
        if t < due:
            return None
        self.active, self.pending = not self.active, None
        return due


class Tag:
    """What the rules know of one tag."""

    __slots__ = (
        "anchor",
        "id",
        "jumps",
        "kind",
        "outside_since",
        "presence",
        "raised",
        "speed",
        "speed_votes",
        "t",
        "x",
        "y",
    )

    def __init__(self, tag_id: int, kind: str, n: int) -> None:
        self.id = tag_id
        self.kind = kind
        self.t: float | None = None
        self.x = self.y = 0.0
        self.speed: float | None = None
        self.anchor: tuple[float, float, float] | None = None  # (x, y, t) where the tag stopped moving
        self.jumps: list[tuple[float, float, float]] = []  # refused teleports since the last good fix
        self.presence: dict[int, Presence] = {}
        self.outside_since: dict[int, float] = {}  # work areas it is assigned to and is outside of
        self.raised: dict[tuple[str, int | None], Raised] = {}
        self.speed_votes = Votes(n)


@dataclass
class Crowd:
    """A gathering followed from one evaluation to the next."""

    first_seen: float
    members: set[int]
    x: float
    y: float
    count: int = 0
    area_id: int | None = None
    levels: tuple[int, ...] = ()
    gone_since: float | None = None
    raised: Raised | None = None


@dataclass
class AreaState:
    over: Delayed = field(default_factory=Delayed)
    under: Delayed = field(default_factory=Delayed)


class Site:
    """The areas and tags of one enterprise's site, and the rules over them."""

    def __init__(self, origin: tuple[float, float], settings: Settings, bounds: tuple | None = None) -> None:
        """``origin``: (lon, lat) of the frame's centre; ``bounds``: the site's (minx, miny, maxx, maxy) in metres."""
        self.settings = settings
        crs = local_crs(*origin)
        self._to_local = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        self.bounds = bounds
        self.tags: dict[int, Tag] = {}
        self.crowds: list[Crowd] = []
        self.crowd_checked: float | None = None
        self.set_areas([])

    # --- frame ---------------------------------------------------------------------------------------

    def local(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Metres east and north of the origin of longitudes and latitudes (°)."""
        x, y = self._to_local.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._to_lonlat.transform(x, y)
        return float(lon), float(lat)

    def local_shape(self, geometry: shapely.Geometry) -> shapely.Geometry:
        """A lon/lat shapely geometry in the site's frame (m)."""
        return shapely.transform(geometry, lambda c: np.column_stack(self.local(c[:, 0], c[:, 1])))

    # --- areas ---------------------------------------------------------------------------------------

    def set_areas(self, areas: list[Area], now: float | None = None) -> list[Change]:
        """Replace the site's areas (fences changed); alarms of areas that are gone are cleared at ``now``."""
        self.areas = list(areas)
        self.by_id = {a.id: i for i, a in enumerate(self.areas)}
        self.shapes = np.array([a.shape for a in self.areas], dtype=object)
        self.bands = np.array([a.shape.buffer(a.rule.edge_m, join_style="mitre") for a in self.areas], dtype=object)
        shapely.prepare(self.shapes)
        shapely.prepare(self.bands)
        self.tree = shapely.STRtree(self.bands)
        self.area_state = {a.id: getattr(self, "area_state", {}).get(a.id, AreaState()) for a in self.areas}
        self.assigned: dict[int, list[int]] = {}
        for area in self.areas:
            if area.kind == WORK_AREA and area.rule.off_post_s is not None:
                for tag_id in area.rule.assigned:
                    self.assigned.setdefault(tag_id, []).append(area.id)
        floors = [*self.settings.crowd_levels[:1], *(a.rule.crowd_levels[0] for a in self._crowd_areas())]
        self.crowd_floor = min(floors, default=0)
        changes = []
        if now is not None:
            for tag in self.tags.values():
                for key in [k for k in tag.raised if k[1] is not None and k[1] not in self.by_id]:
                    changes.append(self._clear(tag, key, now))
                for area_id in [a for a in tag.presence if a not in self.by_id]:
                    del tag.presence[area_id]
        return changes

    def _crowd_areas(self) -> list[Area]:
        return [a for a in self.areas if a.rule.crowd_levels]

    def area(self, area_id: int) -> Area:
        return self.areas[self.by_id[area_id]]

    # --- tags ----------------------------------------------------------------------------------------

    def tag(self, tag_id: int, kind: str = PERSON) -> Tag:
        found = self.tags.get(tag_id)
        if found is None:
            found = self.tags[tag_id] = Tag(tag_id, kind, self.settings.confirm_n)
        return found

    def place(self, tag_id: int, kind: str, t: float, x: float, y: float) -> None:
        """Start a tag at its last known position (a restart), without evaluating anything."""
        tag = self.tag(tag_id, kind)
        tag.t, tag.x, tag.y = t, x, y

    def restore(self, kind: str, tag_id: int | None, area_id: int | None, raised: Raised, x: float, y: float) -> None:
        """Hold an alarm raised before a restart as raised, without reporting it again."""
        if kind == "crowd":
            self.crowds.append(Crowd(raised.started, set(), x, y, area_id=area_id, raised=raised))
            return
        if area_id is not None and area_id not in self.by_id:
            return
        if kind in ("overcrowd", "understaff"):
            delayed = getattr(self.area_state[area_id], "over" if kind == "overcrowd" else "under")
            delayed.active, delayed.raised = True, raised
            return
        if tag_id is None:
            return
        tag = self.tag(tag_id)
        tag.raised[(kind, area_id)] = raised
        n = self.area(area_id).rule.confirm_n if area_id is not None else self.settings.confirm_n
        if kind in ("fence_entry", "linger"):
            tag.presence[area_id] = Presence(n, True, raised.started)
        elif kind == "off_post":
            tag.outside_since[area_id] = raised.started - (self.area(area_id).rule.off_post_s or 0.0)
        elif kind == "static":
            tag.presence.setdefault(area_id, Presence(n, True, raised.started))
            tag.anchor = (tag.x, tag.y, raised.started - (self.area(area_id).rule.static_s or 0.0))
        elif kind == "overspeed":
            tag.speed_votes.bits.extend([True] * self.settings.confirm_n)

    # --- positions -----------------------------------------------------------------------------------

    def off_site(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which points lie farther than ``max_off_site_m`` outside the site's bounds."""
        if self.bounds is None:
            return np.zeros(len(x), bool)
        m = self.settings.max_off_site_m
        minx, miny, maxx, maxy = self.bounds
        return (x < minx - m) | (x > maxx + m) | (y < miny - m) | (y > maxy + m)

    def observe(
        self,
        tag_ids,
        kinds,
        t,
        x,
        y,
        battery=None,
        sos=None,
        moving=None,
    ) -> tuple[list[Change], list[str]]:
        """Evaluate a batch of fixes (site frame, m); the alarm changes and a verdict per fix (``OK``, ``LATE``…).

        Fixes are taken in time order (stable), so a batch that holds them out of order is evaluated as if
        it did not.
        """
        t = np.asarray(t, dtype=float)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        n = len(t)
        battery = [None] * n if battery is None else battery
        sos = [False] * n if sos is None else sos
        moving = [None] * n if moving is None else moving
        verdicts = [OK] * n
        changes: list[Change] = []
        outside = self.off_site(x, y)
        candidates = self._candidates(x, y)
        for i in np.argsort(t, kind="stable").tolist():
            if outside[i]:
                verdicts[i] = OFF_SITE
                continue
            tag = self.tag(int(tag_ids[i]), kinds[i])
            verdict = self._move(tag, float(t[i]), float(x[i]), float(y[i]))
            verdicts[i] = verdict
            if verdict != OK:
                continue
            now = tag.t
            self._stillness(tag, moving[i], changes)
            self._presence(tag, candidates.get(i, ()), now, changes)
            self._flags(tag, battery[i], bool(sos[i]), now, changes)
            self._speed(tag, now, changes)
            self._timers(tag, now, changes)
        return changes, verdicts

    def _candidates(self, x: np.ndarray, y: np.ndarray) -> dict[int, list[tuple[int, bool]]]:
        """For each fix, the areas whose band (polygon + edge) holds it, and whether the polygon itself does."""
        if not len(self.areas) or not len(x):
            return {}
        fix, area = self.tree.query(shapely.points(x, y), predicate="intersects")
        inside = shapely.contains_xy(self.shapes[area], x[fix], y[fix])
        found: dict[int, list[tuple[int, bool]]] = {}
        for f, a, yes in zip(fix.tolist(), area.tolist(), inside.tolist(), strict=True):
            found.setdefault(f, []).append((self.areas[a].id, yes))
        return found

    def _move(self, tag: Tag, t: float, x: float, y: float) -> str:
        """Accept the fix as the tag's position, or say why not."""
        s = self.settings
        if tag.t is not None:
            if t <= tag.t:
                return LATE
            dt = t - tag.t
            distance = math.hypot(x - tag.x, y - tag.y)
            limit = s.vehicle_max_m_s if tag.kind == VEHICLE else s.person_max_m_s
            if max(0.0, distance - s.jitter_m) / dt > limit:
                tag.jumps.append((t, x, y))
                del tag.jumps[: -s.reanchor_after]
                if not self._settled(tag.jumps, limit):
                    return TELEPORT
                tag.speed = None
            else:
                tag.speed = distance / dt
        tag.jumps.clear()
        tag.t, tag.x, tag.y = t, x, y
        return OK

    def _stillness(self, tag: Tag, moving: bool | None, changes: list[Change]) -> None:
        """Follow where and since when the tag has not moved; a move clears its static alarm.

        The motion flag says it moves; without it (False or None), moving farther than
        ``static_radius_m`` from where it stopped does.
        """
        anchor = tag.anchor
        if moving:
            tag.anchor = None
        elif anchor is None or math.hypot(tag.x - anchor[0], tag.y - anchor[1]) > self.settings.static_radius_m:
            tag.anchor = (tag.x, tag.y, tag.t)
        if tag.anchor is not anchor:
            for key in [k for k in tag.raised if k[0] == "static"]:
                changes.append(self._clear(tag, key, tag.t))

    def _settled(self, jumps: list[tuple[float, float, float]], limit: float) -> bool:
        """Whether the last ``reanchor_after`` refused fixes agree with each other (the tag really is there)."""
        k = self.settings.reanchor_after
        if len(jumps) < k:
            return False
        recent = jumps[-k:]
        for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(recent):
            if max(0.0, math.hypot(x1 - x0, y1 - y0) - self.settings.jitter_m) / (t1 - t0) > limit:
                return False
        return True

    def _presence(self, tag: Tag, candidates, t: float, changes: list[Change]) -> None:
        seen = set()
        for area_id, inside in candidates:
            seen.add(area_id)
            presence = tag.presence.get(area_id)
            if presence is None:
                if not inside:
                    continue
                presence = tag.presence[area_id] = Presence(self.area(area_id).rule.confirm_n)
            self._vote(tag, area_id, presence, inside or presence.inside, t, changes)
        for area_id in [a for a in tag.presence if a not in seen]:
            self._vote(tag, area_id, tag.presence[area_id], False, t, changes)

    def _vote(self, tag: Tag, area_id: int, presence: Presence, yes: bool, t: float, changes: list[Change]) -> None:
        rule = self.area(area_id).rule
        presence.votes.add(yes)
        if not presence.inside and presence.votes.yes(rule.confirm_k):
            presence.inside, presence.since = True, t
            self._entered(tag, area_id, t, changes)
        elif presence.inside and presence.votes.no(rule.confirm_k):
            presence.inside, presence.since = False, t
            self._left(tag, area_id, t, changes)
        if not presence.inside and not any(presence.votes.bits):
            del tag.presence[area_id]

    def _entered(self, tag: Tag, area_id: int, t: float, changes: list[Change]) -> None:
        area = self.area(area_id)
        if area.kind == RESTRICTED and area.rule.entry_alarm and tag.id not in area.rule.assigned:
            self._raise(tag, ("fence_entry", area_id), t, changes)
        if area_id in tag.outside_since:
            del tag.outside_since[area_id]
            if ("off_post", area_id) in tag.raised:
                changes.append(self._clear(tag, ("off_post", area_id), t))

    def _left(self, tag: Tag, area_id: int, t: float, changes: list[Change]) -> None:
        for kind in ("fence_entry", "linger", "static"):
            if (kind, area_id) in tag.raised:
                changes.append(self._clear(tag, (kind, area_id), t))

    def _flags(self, tag: Tag, battery: float | None, sos: bool, t: float, changes: list[Change]) -> None:
        s = self.settings
        if sos and ("sos", None) not in tag.raised:
            self._raise(tag, ("sos", None), t, changes, level=2)
        elif not sos and ("sos", None) in tag.raised:
            changes.append(self._clear(tag, ("sos", None), t))
        if battery is None or battery != battery:
            return
        key = ("low_battery", None)
        if battery < s.battery_low_pct and key not in tag.raised:
            self._raise(tag, key, t, changes, value=battery, threshold=s.battery_low_pct, unit="%")
        elif battery >= s.battery_clear_pct and key in tag.raised:
            changes.append(self._clear(tag, key, t))

    def _speed(self, tag: Tag, t: float, changes: list[Change]) -> None:
        if tag.kind != VEHICLE or tag.speed is None:
            return
        s = self.settings
        limits = [
            self.area(a).rule.speed_limit_m_s
            for a, p in tag.presence.items()
            if p.inside and self.area(a).rule.speed_limit_m_s is not None
        ]
        limit = min(limits, default=s.speed_limit_m_s)
        key = ("overspeed", None)
        raised = tag.raised.get(key)
        tag.speed_votes.add(tag.speed > limit if raised is None else tag.speed > limit - s.speed_deadband_m_s)
        if raised is None and tag.speed_votes.yes(s.confirm_k):
            self._raise(tag, key, t, changes, value=tag.speed, threshold=limit, unit="m/s")
        elif raised is not None:
            raised.value = max(raised.value or 0.0, tag.speed)
            if tag.speed_votes.no(s.confirm_k):
                changes.append(self._clear(tag, key, t))

    def _timers(self, tag: Tag, now: float, changes: list[Change]) -> None:
        """Raise what has lasted long enough by ``now``: linger, off-post, static."""
        for area_id, presence in tag.presence.items():
            limit = self.area(area_id).rule.linger_s
            if presence.inside and limit is not None and now - presence.since >= limit:
                self._raise(tag, ("linger", area_id), presence.since + limit, changes, threshold=limit, unit="s")
        for area_id in self.assigned.get(tag.id, ()):
            presence = tag.presence.get(area_id)
            if presence is not None and presence.inside:
                continue
            since = tag.outside_since.setdefault(area_id, tag.t if tag.t is not None else now)
            limit = self.area(area_id).rule.off_post_s
            if now - since >= limit:
                self._raise(tag, ("off_post", area_id), since + limit, changes, threshold=limit, unit="s")
        if tag.kind != PERSON or tag.anchor is None:
            return
        rules = [
            (self.area(a).rule.static_s, a)
            for a, p in tag.presence.items()
            if p.inside and self.area(a).rule.static_s is not None
        ]
        if rules:
            limit, area_id = min(rules)
            if now - tag.anchor[2] >= limit:
                self._raise(tag, ("static", area_id), tag.anchor[2] + limit, changes, threshold=limit, unit="s")

    def _raise(
        self,
        tag: Tag,
        key: tuple[str, int | None],
        t: float,
        changes: list[Change],
        level: int = 1,
        value: float | None = None,
        threshold: float | None = None,
        unit: str = "",
    ) -> None:
        if key in tag.raised:
            return
        tag.raised[key] = Raised(t, level, value, threshold, unit)
        changes.append(Change(RAISE, key[0], tag.id, key[1], level, t, None, value, threshold, unit, tag.x, tag.y))

    def _clear(self, tag: Tag, key: tuple[str, int | None], t: float) -> Change:
        raised = tag.raised.pop(key)
        return Change(
            CLEAR,
            key[0],
            tag.id,
            key[1],
            raised.level,
            raised.started,
            max(t, raised.started),
            raised.value,
            raised.threshold,
            raised.unit,
            tag.x,
            tag.y,
        )

    # --- time ----------------------------------------------------------------------------------------

    def tick(self, now: float) -> list[Change]:
        """Raise and clear what time alone decides at ``now``: dwell times, head-counts, crowds."""
        changes: list[Change] = []
        for tag in self.tags.values():
            if tag.t is not None and (tag.presence or tag.id in self.assigned or tag.anchor is not None):
                self._timers(tag, now, changes)
        counts = self.head_counts(now)
        for area in self.areas:
            self._head_count(area, counts.get(area.id, 0), now, changes)
        if self.crowd_checked is None or now - self.crowd_checked >= self.settings.crowd_every_s:
            self.crowd_checked = now
            self._crowds(now, changes)
        return changes

    def _present(self, now: float):
        """Persons heard from within ``lost_after_s`` of ``now``."""
        lost = self.settings.lost_after_s
        return (tag for tag in self.tags.values() if tag.kind == PERSON and tag.t is not None and now - tag.t <= lost)

    def head_counts(self, now: float) -> dict[int, int]:
        """Persons inside each area (confirmed, not lost)."""
        counts: dict[int, int] = {}
        for tag in self._present(now):
            for area_id, presence in tag.presence.items():
                if presence.inside:
                    counts[area_id] = counts.get(area_id, 0) + 1
        return counts

    def _head_count(self, area: Area, count: int, now: float, changes: list[Change]) -> None:
        rule, state = area.rule, self.area_state[area.id]
        x, y = area.shape.centroid.x, area.shape.centroid.y
        if rule.max_people is not None:
            on, off = count > rule.max_people, count <= rule.max_people - rule.people_deadband
            self._delayed(state.over, "overcrowd", area, on, off, count, rule.max_people, now, x, y, changes)
        if rule.min_people is not None:
            on = 0 < count < rule.min_people
            off = count == 0 or count >= rule.min_people + rule.people_deadband
            self._delayed(state.under, "understaff", area, on, off, count, rule.min_people, now, x, y, changes)

    def _delayed(self, delayed: Delayed, kind, area, on, off, count, limit, now, x, y, changes) -> None:
        """Step a head-count condition; an over-crowding alarm keeps the largest count it saw as its value."""
        if delayed.raised is not None and kind == "overcrowd":
            delayed.raised.value = max(delayed.raised.value or 0.0, float(count))
        at = delayed.step(on, off, now, area.rule.dwell_s)
        if at is None:
            return
        if delayed.active:
            delayed.raised = Raised(at, 1, float(count), float(limit))
            changes.append(Change(RAISE, kind, None, area.id, 1, at, None, float(count), float(limit), "", x, y))
        elif delayed.raised is not None:
            r, delayed.raised = delayed.raised, None
            changes.append(Change(CLEAR, kind, None, area.id, r.level, r.started, at, r.value, r.threshold, "", x, y))

    # --- crowds --------------------------------------------------------------------------------------

    def _levels_at(self, x: float, y: float) -> tuple[int | None, tuple[int, ...]]:
        """The area whose crowd levels apply at (x, y) (the smallest that holds it) and those levels."""
        holding = [a for a in self._crowd_areas() if shapely.contains_xy(a.shape, x, y)]
        if not holding:
            return None, self.settings.crowd_levels
        area = min(holding, key=lambda a: a.shape.area)
        return area.id, area.rule.crowd_levels

    def _crowds(self, now: float, changes: list[Change]) -> None:
        s = self.settings
        people = list(self._present(now))
        found = []
        if people and self.crowd_floor:
            xs = np.array([p.x for p in people])
            ys = np.array([p.y for p in people])
            for group in find_groups(xs, ys, s.crowd_radius_m, self.crowd_floor):
                area_id, levels = self._levels_at(group.x, group.y)
                if levels and len(group.members) >= levels[0]:
                    found.append(({people[i].id for i in group.members.tolist()}, group, area_id, levels))
        unmatched = list(self.crowds)
        for members, group, area_id, levels in found:
            crowd = self._match(unmatched, members, group)
            if crowd is None:
                crowd = Crowd(now, members, group.x, group.y)
                self.crowds.append(crowd)
            else:
                unmatched.remove(crowd)
            crowd.members, crowd.x, crowd.y, crowd.count = members, group.x, group.y, len(members)
            crowd.area_id, crowd.levels, crowd.gone_since = area_id, levels, None
            level = 2 if len(levels) > 1 and crowd.count >= levels[1] else 1
            raised = crowd.raised
            if raised is None and now - crowd.first_seen > s.crowd_duration_s:
                crowd.raised = Raised(now, level, float(crowd.count), float(levels[level - 1]))
                changes.append(self._crowd_change(RAISE, crowd, None))
            elif raised is not None:
                raised.value = max(raised.value or 0.0, float(crowd.count))
                if level > raised.level:
                    raised.level, raised.threshold = level, float(levels[level - 1])
                    changes.append(self._crowd_change(UPDATE, crowd, None))
        for crowd in unmatched:
            if crowd.gone_since is None:
                crowd.gone_since = now
            if now - crowd.gone_since >= s.crowd_clear_s:
                self.crowds.remove(crowd)
                if crowd.raised is not None:
                    changes.append(self._crowd_change(CLEAR, crowd, now))

    def _match(self, crowds: list[Crowd], members: set[int], group) -> Crowd | None:
        """The crowd followed so far that this group continues: most people shared, else one restored nearby."""
        best, shared = None, 0
        for crowd in crowds:
            common = len(crowd.members & members)
            if common > shared:
                best, shared = crowd, common
        if best is not None:
            return best
        near = self.settings.crowd_radius_m
        for crowd in crowds:
            if not crowd.members and math.hypot(crowd.x - group.x, crowd.y - group.y) <= near:
                return crowd
        return None

    def _crowd_change(self, action: str, crowd: Crowd, ended: float | None) -> Change:
        r = crowd.raised
        return Change(
            action, "crowd", None, crowd.area_id, r.level, r.started, ended, r.value, r.threshold, "", crowd.x, crowd.y
        )
