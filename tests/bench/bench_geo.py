"""Benchmarks of the spatial domain on the province-scale demo data.

- scope: narrowing a queryset with the user's region path costs no more than filtering by the
  list of the user's enterprises written by hand.
- readings: inserting and reading back one day of readings in the (on PostGIS, daily partitioned)
  history table, against a plain table with the same columns and index in the same database.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import connection

from geo import partitions
from geo.models import Enterprise, Region, Sensor, User
from geo.scope import scoped
from tests.bench.harness import Figure, compare

DAY = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)


def bench_scope() -> list[Figure]:
    figures = []
    for level in ("park", "province"):
        region = Region.objects.filter(level=level).order_by("code").first()
        user, _ = User.objects.get_or_create(username=f"bench-{level}", defaults={"region": region})
        ids = list(Enterprise.objects.filter(region__path__startswith=region.path).values_list("pk", flat=True))
        count = Sensor.objects.filter(enterprise_id__in=ids).count()
        figures.append(
            compare(
                f"scope: {level} user's level sensors (count)",
                lambda user=user: scoped(Sensor.objects.filter(kind="level"), user).count(),
                lambda ids=ids: Sensor.objects.filter(kind="level", enterprise_id__in=ids).count(),
                note=f"{count} sensors in scope; baseline: enterprise id list",
            )
        )
        figures.append(
            compare(
                f"scope: {level} user's sensors (fetch ids)",
                lambda user=user: list(scoped(Sensor.objects.all(), user).values_list("pk", flat=True)),
                lambda ids=ids: list(Sensor.objects.filter(enterprise_id__in=ids).values_list("pk", flat=True)),
                repeat=5,
            )
        )
    return figures


PLAIN = "bench_reading_plain"


def _rows(sensor_ids: list[int], per_sensor: int, offset_s: int) -> list[tuple]:
    rng = random.Random(7)
    step = 86_400 // per_sensor
    return [
        (sid, DAY + dt.timedelta(seconds=i * step + offset_s), rng.uniform(0, 100), 0)
        for sid in sensor_ids
        for i in range(per_sensor)
    ]


def bench_readings() -> list[Figure]:
    partitions.ensure_reading_partitions(today=DAY.date(), days_ahead=1)
    sensor_ids = list(Sensor.objects.order_by("pk").values_list("pk", flat=True)[:50])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN}")
        cursor.execute(
            f"CREATE TABLE {PLAIN} (id integer PRIMARY KEY, sensor_id bigint NOT NULL, "
            "time timestamp with time zone NOT NULL, value double precision, quality smallint NOT NULL)"
            if connection.vendor == "postgresql"
            else f"CREATE TABLE {PLAIN} (id integer PRIMARY KEY, sensor_id bigint NOT NULL, time datetime NOT NULL, "
            "value real, quality smallint NOT NULL)"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {PLAIN}_st ON {PLAIN} (sensor_id, time)")
    offsets = iter(range(0, 10_000))

    def insert(table: str):
        rows = _rows(sensor_ids, 200, next(offsets))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} (sensor_id, time, value, quality) VALUES (%s, %s, %s, %s)", rows)

    figures = [
        compare(
            "readings: insert 10,000 (50 sensors × 200)",
            lambda: insert("geo_reading"),
            lambda: insert(PLAIN),
            repeat=5,
            note="baseline: plain table, same unique index",
        )
    ]
    sensor = sensor_ids[0]
    window = (DAY + dt.timedelta(hours=6), DAY + dt.timedelta(hours=12))

    def query(table: str):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT time, value FROM {table} WHERE sensor_id = %s AND time >= %s AND time < %s ORDER BY time",
                [sensor, *window],
            )
            return cursor.fetchall()

    figures.append(compare("readings: 6 h of one sensor", lambda: query("geo_reading"), lambda: query(PLAIN)))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {PLAIN}")
    return figures
