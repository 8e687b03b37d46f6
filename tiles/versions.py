"""Versions of live tilesets: the id of the latest event of their collections.

Every save and delete of a registry row publishes an event when its transaction commits
(``layers.signals``), and acquisition's ingest publishes the live values it writes in bulk
(``geo.events.publish_many``; it skips small value changes). Event ids only grow, so the latest event
id of a tileset's collections is a version that moves whenever its tiles change, but for what ingest
leaves unpublished (tiles/README.md says exactly what): it goes into the tile URLs of TileJSON
(``?v=``) and decides how long a tile may be cached (see ``tiles.http``).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from geo.models import Event

LONGEST_MAX_AGE_S = 86_400


def latest(collection_ids: tuple[str, ...]) -> QuerySet:
    """A query of the id of the latest event of any of ``collection_ids`` (at most one row)."""
    return Event.objects.filter(collection__in=collection_ids).order_by("-id").values_list("id", flat=True)[:1]


@functools.cache
def latest_sql(collection_ids: tuple[str, ...]) -> str:
    """The SQL of ``latest(collection_ids)`` with its parameters bound (PostgreSQL), compiled once."""
    sql, params = latest(collection_ids).query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


def current(collection_ids: tuple[str, ...]) -> int:
    """The version of a tileset made of ``collection_ids``: its latest event id, 0 when it has none."""
    return next(iter(latest(collection_ids)), 0)


def versioned_max_age_s() -> int:
    """How long a tile fetched with the current version may be cached, in seconds.

    A collection's events are pruned after HAZMAP_EVENT_RETENTION_HOURS; its version may then fall
    back to an older value (0), so no tile is kept longer than that, nor longer than a day.
    """
    return min(LONGEST_MAX_AGE_S, settings.HAZMAP_EVENT_RETENTION_HOURS * 3600)
