"""Writing positions: the track (``geo.Position``) and each tag's last position, one statement per batch.

On PostGIS the rows travel as arrays bound in binary (``unnest``, ``hazmap.db.array_cursor``), on
SpatiaLite as one ``VALUES`` list per thousand
rows; either way a ``(tag, time)`` already stored is skipped, and a tag's last position is never
moved back to an older time.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import connection

from hazmap.db import array_cursor


class Row(NamedTuple):
    tag_id: int
    time: dt.datetime
    lon: float
    lat: float
    floor: int | None
    battery_pct: float | None
    sos: bool
    moving: bool


COLUMNS = "tag_id, time, lon, lat, floor, battery_pct, sos, moving"
UNNEST = (  # binary parameters (hazmap.db.array_cursor)
    "unnest(%b::bigint[], %b::timestamptz[], %b::float8[], %b::float8[], %b::smallint[], %b::float8[], "
    f"%b::boolean[], %b::boolean[]) AS v({COLUMNS})"
)


def _columns(rows: list[Row]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


def _stamp(moment: dt.datetime):
    return connection.ops.adapt_datetimefield_value(moment)


CHUNK = 1000  # rows per SpatiaLite statement (8 parameters each; SQLite allows 32,766)
VALUES = "(%s, %s, %s, %s, %s, %s, %s, %s)"


def _chunks(rows: list[Row]):
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        params = [v for r in part for v in (r.tag_id, _stamp(r.time), *r[2:])]
        yield ", ".join([VALUES] * len(part)), params


def store(rows: list[Row]) -> None:
    """Insert positions into the track, skipping any ``(tag, time)`` already there."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with array_cursor() as cursor:
            cursor.execute(
                "INSERT INTO geo_position (tag_id, time, location, floor, battery_pct, sos, moving) "
                "SELECT tag_id, time, ST_SetSRID(ST_MakePoint(lon, lat), 4326), floor, battery_pct, sos, moving "
                f"FROM {UNNEST} ON CONFLICT (tag_id, time) DO NOTHING",
                _columns(rows),
            )
        return
    with connection.cursor() as cursor:
        for values, params in _chunks(rows):  # one statement per chunk: executemany costs ~1 ms a row here
            cursor.execute(
                f"WITH v({COLUMNS}) AS (VALUES {values}) "
                "INSERT OR IGNORE INTO geo_position (tag_id, time, location, floor, battery_pct, sos, moving) "
                "SELECT tag_id, time, MakePoint(lon, lat, 4326), floor, battery_pct, sos, moving FROM v",
                params,
            )


def update_last(rows: list[Row]) -> list[int]:
    """Set each tag's last position from its row unless it holds a later one; the ids of the tags moved.

    ``battery_pct`` is kept when the row has none. At most one row per tag.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        with array_cursor() as cursor:
            cursor.execute(
                "UPDATE geo_personneltag AS t SET location = ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326), "
                "position_time = v.time, floor = v.floor, battery_pct = COALESCE(v.battery_pct, t.battery_pct), "
                f"sos = v.sos, moving = v.moving FROM {UNNEST} "
                "WHERE t.id = v.tag_id AND (t.position_time IS NULL OR t.position_time < v.time) RETURNING t.id",
                _columns(rows),
            )
            return [row[0] for row in cursor.fetchall()]
    moved = []
    with connection.cursor() as cursor:
        for values, params in _chunks(rows):
            cursor.execute(
                f"WITH v({COLUMNS}) AS (VALUES {values}) "
                "UPDATE geo_personneltag SET location = MakePoint(v.lon, v.lat, 4326), position_time = v.time, "
                "floor = v.floor, battery_pct = COALESCE(v.battery_pct, geo_personneltag.battery_pct), "
                "sos = v.sos, moving = v.moving FROM v WHERE geo_personneltag.id = v.tag_id "
                "AND (geo_personneltag.position_time IS NULL OR geo_personneltag.position_time < v.time) "
                "RETURNING geo_personneltag.id",
                params,
            )
            moved += [row[0] for row in cursor.fetchall()]
    return moved
