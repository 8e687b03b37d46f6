"""Publishing feature changes for the live event stream, and reading them back in a user's scope.

Every ``save()`` and ``delete()`` of a row of a registry collection is published on its own, when
its transaction commits (``layers.signals``, connected at start-up): code that saves a feature
(alarm handling, consequence zones, the admin) publishes nothing by hand. Only writes that bypass
``save()`` — ``QuerySet.update``, ``bulk_create``, raw SQL, as acquisition's ingest does for live
values and positions — call ``publish`` or ``publish_many`` themselves, in the same transaction as the
change. ``publish_many`` writes a batch in one ``INSERT … SELECT`` (``publish_rows``, of rows ``event_row`` makes
without model instances, for the positions' events): the rows as arrays bound in binary on
PostGIS (``hazmap.db.array_cursor``), a ``VALUES`` list per thousand on SpatiaLite. The ORM's
``bulk_create`` spent ~0.3 ms a row preparing and quoting values, most of a 500-position message's
time. Ids are drawn in the rows' order; the stream (``layers.stream``) also sends events whose
transaction committed after later ids were seen. The stream reads ``since(last_id, user)``;
``prune`` keeps ``HAZMAP_EVENT_RETENTION_HOURS``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point, Polygon
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

from geo.models import Event
from geo.scope import scoped
from hazmap.db import array_cursor


def _follow(obj: Any, lookup: str) -> Any:
    """Follow an ORM lookup (``enterprise__region__path``) on an instance; None if a link is missing."""
    for name in lookup.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _enterprise_id(feature: Model) -> int | None:
    """The id of the enterprise a feature belongs to, by its model's ``scope_enterprise`` lookup."""
    lookup = getattr(type(feature), "scope_enterprise", None)
    if not lookup:
        return None
    if lookup == "pk":
        return feature.pk
    *path, last = lookup.split("__")
    holder = _follow(feature, "__".join(path)) if path else feature
    return None if holder is None else getattr(holder, f"{last}_id")


def _scope(feature: Model) -> tuple[str, int | None, str]:
    """The scope an event of ``feature`` carries: its region path, its enterprise's id, its regional roles."""
    model = type(feature)
    roles = getattr(model, "scope_regional_roles", None)
    return (
        _follow(feature, model.scope_region) or "",
        _enterprise_id(feature),
        "," + ",".join(roles) + "," if roles else "",
    )


def event_for(
    collection: str, feature: Model, properties: dict, action: str = Event.Action.UPDATE, location: Point | None = None
) -> Event:
    """An unsaved event for ``feature`` that carries the feature's scope (region path, enterprise, roles)."""
    region_path, enterprise_id, roles = _scope(feature)
    return Event(
        collection=collection,
        feature_id=feature.pk,
        action=action,
        properties=properties,
        location=location if location is not None else getattr(feature, "location", None),
        region_path=region_path,
        enterprise_id=enterprise_id,
        regional_roles=roles,
    )


def event_row(
    collection: str,
    feature: Model,
    properties: dict,
    lon: float,
    lat: float,
    time: dt.datetime,
    action: str = Event.Action.UPDATE,
) -> tuple:
    """The row ``publish_rows`` writes for a change of ``feature`` at ``lon``, ``lat`` (degrees, EPSG:4326) at
    ``time``: what ``event_for`` and ``publish_many`` store, without a model instance and a GEOS point each
    (a message of 500 positions spent ~10 ms building those)."""
    region_path, enterprise_id, roles = _scope(feature)
    properties_json = json.dumps(properties, cls=DjangoJSONEncoder)
    return (time, collection, feature.pk, action, properties_json, lon, lat, region_path, enterprise_id, roles)


def publish(
    collection: str, feature: Model, properties: dict, action: str = Event.Action.UPDATE, location: Point | None = None
) -> Event:
    """Record that ``feature`` of ``collection`` (a registry id) changed; ``properties`` holds the new values."""
    event = event_for(collection, feature, properties, action, location)
    event.save()
    return event


COLUMNS = "time, collection, feature_id, action, properties, lon, lat, region_path, enterprise_id, regional_roles"
UNNEST = (  # binary parameters (hazmap.db.array_cursor)
    "unnest(%b::timestamptz[], %b::text[], %b::bigint[], %b::text[], %b::text[], %b::float8[], %b::float8[], "
    f"%b::text[], %b::bigint[], %b::text[]) WITH ORDINALITY AS v({COLUMNS}, n)"
)
CHUNK = 1000  # rows per SpatiaLite statement (10 parameters each; SQLite allows 32,766)


def _row(event: Event) -> tuple:
    location = event.location
    return (
        event.time,
        event.collection,
        event.feature_id,
        event.action,
        json.dumps(event.properties, cls=DjangoJSONEncoder),
        location.x if location is not None else None,
        location.y if location is not None else None,
        event.region_path,
        event.enterprise_id,
        event.regional_roles,
    )


def publish_many(events: Iterable[Event]) -> int:
    """Store many events made by ``event_for`` (ingest of a batch) in one statement; how many.

    The events are not updated with their ids (nothing reads them back from the batch).
    """
    return publish_rows([_row(event) for event in events])


def publish_rows(rows: list[tuple]) -> int:
    """Store events given as rows (``event_row``; ``publish_many`` makes them of events) in one statement."""
    if not rows:
        return 0
    table = Event._meta.db_table
    insert = f"INSERT INTO {table} (time, collection, feature_id, action, properties, location, region_path, "
    insert += "enterprise_id, regional_roles) "
    if connection.vendor == "postgresql":
        with array_cursor() as cursor:
            cursor.execute(
                insert + "SELECT time, collection, feature_id, action, properties::jsonb, "
                "ST_SetSRID(ST_MakePoint(lon, lat), 4326), region_path, enterprise_id, regional_roles "
                f"FROM {UNNEST} ORDER BY n",
                [list(column) for column in zip(*rows, strict=True)],
            )
        return len(rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            params = [v for r in part for v in (connection.ops.adapt_datetimefield_value(r[0]), *r[1:])]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(part))
            cursor.execute(
                f"WITH v({COLUMNS}) AS (VALUES {values}) "
                + insert
                + "SELECT time, collection, feature_id, action, properties, "
                "CASE WHEN lon IS NULL THEN NULL ELSE MakePoint(lon, lat, 4326) END, region_path, enterprise_id, "
                "regional_roles FROM v",
                params,
            )
    return len(rows)


def since(last_id: int, user, bbox: tuple[float, float, float, float] | None = None) -> QuerySet[Event]:
    """Events after ``last_id`` that ``user`` may see, oldest first; within ``bbox`` (lon/lat) if given."""
    events = scoped(Event.objects.filter(id__gt=last_id), user)
    if bbox is not None:
        events = events.filter(location__intersects=Polygon.from_bbox(bbox))
    return events.order_by("id")


def prune(now: dt.datetime | None = None, hours: int | None = None) -> int:
    """Delete events older than the retention period; return how many."""
    hours = settings.HAZMAP_EVENT_RETENTION_HOURS if hours is None else hours
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    deleted, _ = Event.objects.filter(time__lt=cutoff).delete()
    return deleted
