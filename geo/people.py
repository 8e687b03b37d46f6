"""Who is where, in an emergency: people inside an area now or at a moment, who has left, muster head-counts,
people unaccounted for, track replay.

Database spatial queries (SpatiaLite and PostGIS alike), narrowed to what a user may see by
``geo.scope.scoped`` (personnel: their enterprise and the emergency roles above it). "Now" is each
tag's last position (``PersonnelTag.location``); "at a moment" is its last fix of the track
(``Position``) no later than that moment and no older than ``LOOKBACK``. Areas are EPSG:4326
geometries (a consequence zone, a fence, a polygon drawn on the map). ``geo.consequences.occupants``
takes its people from ``people_inside``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from geo.models import Fence, PersonnelTag, Position
from geo.scope import scoped

LOOKBACK = dt.timedelta(hours=12)
TRACK_LIMIT = 50_000


def _visible(queryset: QuerySet, user) -> QuerySet:
    return scoped(queryset, user) if user is not None else queryset


def describe(tag: PersonnelTag) -> dict:
    """A tag as the emergency views list it (its enterprise must be selected with it)."""
    return {
        "id": tag.pk,
        "code": tag.code,
        "kind": tag.kind,
        "holder": tag.holder,
        "department": tag.department,
        "enterprise_id": tag.enterprise_id,
        "enterprise_name": tag.enterprise.name,
        "floor": tag.floor,
        "position_time": tag.position_time.isoformat() if tag.position_time else None,
    }


def tags_inside(area: GEOSGeometry, user=None) -> QuerySet[PersonnelTag]:
    """Tags whose last position lies in ``area``."""
    return _visible(PersonnelTag.objects.filter(location__intersects=area), user).select_related("enterprise")


def people_inside(area: GEOSGeometry, user=None) -> list[dict]:
    """Tags (people and vehicles) whose last position lies in ``area``, by code."""
    return [describe(tag) for tag in tags_inside(area, user).order_by("code")]


def tags_inside_at(area: GEOSGeometry, moment: dt.datetime, user=None) -> QuerySet[PersonnelTag]:
    """Tags whose last fix at or before ``moment`` (within ``LOOKBACK``) lies in ``area``."""
    last = Position.objects.filter(tag=OuterRef("pk"), time__lte=moment, time__gte=moment - LOOKBACK)
    tags = PersonnelTag.objects.annotate(fix_time=Subquery(last.order_by("-time").values("time")[:1]))
    there = Position.objects.filter(tag=OuterRef("pk"), time=OuterRef("fix_time"), location__intersects=area)
    return _visible(tags.filter(Exists(there)), user).select_related("enterprise")


def muster_points(user=None, enterprise_ids: set[int] | None = None) -> list[dict]:
    """Each active muster fence (of ``enterprise_ids`` when given) with the people standing in it now."""
    fences = _visible(Fence.objects.filter(kind=Fence.Kind.MUSTER, active=True), user)
    if enterprise_ids is not None:
        fences = fences.filter(enterprise_id__in=enterprise_ids)
    points = []
    for fence in fences.order_by("name", "pk"):
        people = tags_inside(fence.area, user).filter(kind=PersonnelTag.Kind.PERSON).order_by("code")
        listed = [describe(tag) for tag in people]
        points.append(
            {
                "id": fence.pk,
                "name": fence.name,
                "enterprise_id": fence.enterprise_id,
                "count": len(listed),
                "people": listed,
            }
        )
    return points


def roll_call(area: GEOSGeometry, since: dt.datetime, user=None) -> dict:
    """Who was inside ``area`` at ``since`` (the alarm), who is inside now, who has left, the muster
    head-counts of their enterprises, and who is unaccounted for: inside at ``since`` or now, and at
    no muster point now."""
    then = {tag.pk: tag for tag in tags_inside_at(area, since, user)}
    now = {tag.pk: tag for tag in tags_inside(area, user)}
    concerned = {tag.enterprise_id for tag in [*then.values(), *now.values()]}
    points = muster_points(user, concerned)
    mustered = {person["id"] for point in points for person in point["people"]}
    everyone = {**then, **now}
    return {
        "since": since.isoformat(),
        "inside_then": [describe(t) for t in sorted(then.values(), key=lambda t: t.code)],
        "inside_now": [describe(t) for t in sorted(now.values(), key=lambda t: t.code)],
        "left": [describe(then[pk]) for pk in sorted(then.keys() - now.keys(), key=lambda pk: then[pk].code)],
        "muster_points": points,
        "mustered": len(mustered),
        "unaccounted": [
            describe(everyone[pk])
            for pk in sorted(everyone.keys() - mustered, key=lambda pk: everyone[pk].code)
            if everyone[pk].kind == PersonnelTag.Kind.PERSON
        ],
    }


def track(
    start: dt.datetime,
    end: dt.datetime,
    user=None,
    tag_code: str | None = None,
    area: GEOSGeometry | None = None,
    limit: int = TRACK_LIMIT,
) -> dict:
    """The track of one tag, or of every tag inside ``area``, between ``start`` and ``end``, as GeoJSON.

    One feature per tag: a LineString (a Point for a single fix) whose ``times`` and ``floors``
    properties run with its coordinates. At most ``limit`` fixes; ``truncated`` says when more exist.
    """
    fixes = _visible(Position.objects.filter(time__gte=start, time__lte=end), user)
    if tag_code is not None:
        fixes = fixes.filter(tag__code=tag_code)
    if area is not None:
        fixes = fixes.filter(location__intersects=area)
    rows = list(
        fixes.order_by("tag__code", "time").values_list(
            "tag_id", "tag__code", "tag__holder", "time", "location", "floor"
        )[: limit + 1]
    )
    truncated = len(rows) > limit
    by_tag: dict[int, dict] = {}
    for tag_id, code, holder, time, point, floor in rows[:limit]:
        entry = by_tag.setdefault(
            tag_id, {"code": code, "holder": holder, "coordinates": [], "times": [], "floors": []}
        )
        entry["coordinates"].append([point.x, point.y])
        entry["times"].append(time.isoformat())
        entry["floors"].append(floor)
    features = []
    for tag_id, entry in by_tag.items():
        coordinates = entry.pop("coordinates")
        geometry = (
            {"type": "Point", "coordinates": coordinates[0]}
            if len(coordinates) == 1
            else {"type": "LineString", "coordinates": coordinates}
        )
        features.append({"type": "Feature", "id": tag_id, "geometry": geometry, "properties": entry})
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}
