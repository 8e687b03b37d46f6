"""Reading history: no reading is refused for lack of a partition, and retention removes only old days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from geo import partitions
from geo.models import Reading
from tests.factories import enterprise, region_chain, sensor

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def table_of(reading: Reading) -> str:
    """The physical table holding a reading (its partition on PostGIS)."""
    if not partitions.is_partitioned():
        return "geo_reading"
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM geo_reading WHERE id = %s", [reading.pk])
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def no_partitions_left_behind():
    """Partitions are schema, not rows: drop the ones a test created so tests stay independent."""
    yield
    with connection.cursor() as cursor:
        for name in partitions.reading_partitions().values():
            cursor.execute(f"DROP TABLE {name}")


@pytest.fixture
def point():
    return sensor(enterprise(region_chain()["park"]))


def test_a_reading_for_a_day_without_partition_is_kept_and_later_moved_into_its_day(point):
    far = Reading.objects.create(sensor=point, time=dt.datetime(2027, 3, 1, 6, tzinfo=dt.UTC), value=1.0)
    if partitions.is_partitioned():
        assert table_of(far) == "geo_reading_default"
    partitions.ensure_reading_partitions(today=dt.date(2027, 3, 1), days_ahead=0)
    assert Reading.objects.get(pk=far.pk).value == 1.0
    if partitions.is_partitioned():
        assert table_of(far) == "geo_reading_p20270301"
        assert set(partitions.reading_partitions()) == {dt.date(2027, 2, 28), dt.date(2027, 3, 1)}


def test_ensuring_partitions_twice_creates_nothing_the_second_time():
    first = partitions.ensure_reading_partitions(today=NOW.date(), days_ahead=2)
    assert partitions.ensure_reading_partitions(today=NOW.date(), days_ahead=2) == []
    assert len(first) == (4 if partitions.is_partitioned() else 0)


def test_retention_removes_readings_older_than_the_period_and_keeps_the_rest(point):
    partitions.ensure_reading_partitions(today=NOW.date() - dt.timedelta(days=31), days_ahead=0)
    partitions.ensure_reading_partitions(today=NOW.date(), days_ahead=0)
    times = [NOW - dt.timedelta(days=d) for d in (32, 31, 30, 0)]
    Reading.objects.bulk_create([Reading(sensor=point, time=t, value=float(i)) for i, t in enumerate(times)])
    partitions.prune_readings(now=NOW, days=30)
    kept = sorted(Reading.objects.values_list("time", flat=True))
    # the cut-off is the UTC midnight 30 days back: 2026-10-23 00:00
    assert kept == [NOW - dt.timedelta(days=30), NOW]
    if partitions.is_partitioned():
        assert min(partitions.reading_partitions()) >= dt.date(2026, 10, 23)


def test_the_retention_cutoff_is_a_utc_midnight():
    assert partitions.retention_cutoff(NOW, 30) == dt.datetime(2026, 10, 23, tzinfo=dt.UTC)
