"""A site's rules built from the database: its active fences with their rules, its tags, its open alarms.

``build(enterprise_id, settings)`` returns a ``rules.Site`` in the enterprise's local frame (centred on
its site), with every active fence as an ``Area`` (``area_rule`` turns a ``FenceRule``, or its absence,
into the rule settings), each tag placed at its last position and the positioning alarms still open
held as raised, so that a restarted centre clears them once and does not raise them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry

from acquisition.models import FenceRule, PlantGrid
from acquisition.positioning.rules import WORK_AREA, Area, AreaRule, Raised, Settings, Site, default_rule
from dispersion.footprint import local_to_lonlat
from geo.models import Alarm, Enterprise, Fence, PersonnelTag

KINDS = (
    "fence_entry",
    "off_post",
    "static",
    "linger",
    "overcrowd",
    "understaff",
    "crowd",
    "overspeed",
    "low_battery",
    "sos",
)


def shape(geometry: GEOSGeometry) -> shapely.Geometry:
    return shapely.from_wkb(bytes(geometry.wkb))


def area_rule(fence: Fence) -> AreaRule:
    """A fence's rule settings: its ``FenceRule`` or the defaults of its kind; head-count limits from the fence."""
    try:
        rule = fence.rule
    except FenceRule.DoesNotExist:
        return default_rule(fence.kind, fence.max_people, fence.min_people)
    levels = tuple(v for v in (rule.crowd_first_people, rule.crowd_second_people) if v is not None)
    return AreaRule(
        entry_alarm=rule.entry_alarm,
        linger_s=rule.linger_s,
        static_s=rule.static_s,
        off_post_s=rule.off_post_s if fence.kind == WORK_AREA else None,
        max_people=fence.max_people,
        min_people=fence.min_people,
        people_deadband=rule.people_deadband,
        dwell_s=rule.dwell_s,
        crowd_levels=levels or None,
        speed_limit_m_s=rule.speed_limit_kmh / 3.6 if rule.speed_limit_kmh is not None else None,
        edge_m=rule.edge_m,
        confirm_k=rule.confirm_k,
        confirm_n=rule.confirm_n,
        assigned=frozenset(tag.pk for tag in rule.assigned_tags.all()),
    )


def areas(site: Site, enterprise_id: int) -> list[Area]:
    """The enterprise's active fences as areas in the site's frame."""
    fences = (
        Fence.objects.filter(enterprise_id=enterprise_id, active=True)
        .select_related("rule")
        .prefetch_related("rule__assigned_tags")
        .order_by("pk")
    )
    return [Area(f.pk, f.kind, f.name, site.local_shape(shape(f.area)), area_rule(f)) for f in fences]


@dataclass
class Grid:
    """An enterprise's plant grid: x along ``bearing_deg`` from true north, y 90° to its left (m)."""

    lon: float
    lat: float
    bearing_deg: float

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.radians(self.bearing_deg)
        east = x * np.sin(b) - y * np.cos(b)
        north = x * np.cos(b) + y * np.sin(b)
        return local_to_lonlat(east, north, self.lon, self.lat)


@dataclass
class Entry:
    """A site in memory with what writing its results needs: the enterprise, its tags, its plant grid."""

    site: Site
    enterprise: Enterprise
    tags: dict[int, PersonnelTag]
    grid: Grid | None
    hazard_sources: dict[int, int | None] = field(default_factory=dict)  # fence id → its hazard source's id
    dirty: bool = False
    published: dict[int, tuple[float, bool, int | None]] = field(default_factory=dict)


def grid_of(enterprise_id: int) -> Grid | None:
    row = PlantGrid.objects.filter(enterprise_id=enterprise_id).first()
    return Grid(row.origin.x, row.origin.y, row.x_bearing_deg) if row else None


def tags_of(enterprise_id: int) -> dict[int, PersonnelTag]:
    return {
        t.pk: t for t in PersonnelTag.objects.filter(enterprise_id=enterprise_id).select_related("enterprise__region")
    }


def hazard_sources_of(enterprise_id: int) -> dict[int, int | None]:
    return dict(Fence.objects.filter(enterprise_id=enterprise_id).values_list("pk", "hazard_source_id"))


def build(enterprise_id: int, settings: Settings) -> Entry:
    """The site of an enterprise, from the database (see the module's docstring)."""
    enterprise = Enterprise.objects.select_related("region").get(pk=enterprise_id)
    outline = shape(enterprise.site)
    centre = outline.centroid
    site = Site((centre.x, centre.y), settings)
    site.bounds = site.local_shape(outline).bounds
    site.set_areas(areas(site, enterprise_id))
    tags = tags_of(enterprise_id)
    placed = [t for t in tags.values() if t.location is not None and t.position_time is not None]
    if placed:
        xs, ys = site.local([t.location.x for t in placed], [t.location.y for t in placed])
        for tag, x, y in zip(placed, xs.tolist(), ys.tolist(), strict=True):
            site.place(tag.pk, tag.kind, tag.position_time.timestamp(), x, y)
    for alarm in Alarm.objects.filter(enterprise_id=enterprise_id, kind__in=KINDS, ended_at__isnull=True):
        x, y = site.local([alarm.location.x], [alarm.location.y]) if alarm.location else ([0.0], [0.0])
        raised = Raised(alarm.started_at.timestamp(), alarm.level, alarm.value, alarm.threshold, alarm.unit)
        site.restore(alarm.kind, alarm.tag_id, alarm.fence_id, raised, float(x[0]), float(y[0]))
    return Entry(site, enterprise, tags, grid_of(enterprise_id), hazard_sources_of(enterprise_id))


def refresh(entry: Entry, now: float) -> list:
    """Read the enterprise's fences, rules, tags and grid again (they changed); the clears of fences gone."""
    entry.tags = tags_of(entry.enterprise.pk)
    for tag_id, state in entry.site.tags.items():
        if tag_id in entry.tags:
            state.kind = entry.tags[tag_id].kind
    entry.grid = grid_of(entry.enterprise.pk)
    entry.hazard_sources = hazard_sources_of(entry.enterprise.pk)
    entry.dirty = False
    return entry.site.set_areas(areas(entry.site, entry.enterprise.pk), now)
