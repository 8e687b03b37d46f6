"""Ingest: history once per (sensor, time), live attributes, alarms raised and cleared, inventory, events."""

from __future__ import annotations

import datetime as dt
import logging
import math

import pytest
from django.utils import timezone

from acquisition.batch import BAD, GOOD, AlarmChange, Batch, Sample, to_us
from acquisition.directory import Scope
from acquisition.ingest import ingest
from geo.models import Alarm, Equipment, Event, Reading, Sensor

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def test_readings_are_stored_once_and_the_same_batch_again_changes_nothing(plant, now):
    key = plant.key(plant.level)
    batch = Batch.of([Sample(key, now - dt.timedelta(seconds=s), 40.0 + s) for s in (4, 2, 0)])
    first = ingest(batch, now=now)
    events = Event.objects.count()
    second = ingest(batch, now=now)
    assert (first.samples, first.stored, second.stored) == (3, 3, 0)
    assert sorted(Reading.objects.filter(sensor=plant.level).values_list("value", flat=True)) == [40.0, 42.0, 44.0]
    assert Event.objects.count() == events  # nothing changed, nothing published


def test_live_attributes_follow_the_latest_sample_and_never_go_back_in_time(plant, now):
    key = plant.key(plant.gas)
    ingest(Batch.of([Sample(key, now - dt.timedelta(seconds=5), 3.0), Sample(key, now, 4.0)]), now=now)
    ingest(Batch.of([Sample(key, now - dt.timedelta(seconds=1), 99.0)]), now=now)  # late, older sample
    plant.gas.refresh_from_db()
    assert (plant.gas.value, plant.gas.value_time, plant.gas.quality) == (4.0, now, GOOD)
    assert Reading.objects.filter(sensor=plant.gas).count() == 3  # the late one is history all the same


def test_a_sensor_change_is_published_for_the_map_with_the_sensors_scope(plant, now):
    ingest(Batch.of([Sample(plant.key(plant.gas), now, 7.5)], {plant.key(plant.gas): ("normal", 0)}), now=now)
    event = Event.objects.get(collection="sensors", feature_id=plant.gas.pk)
    assert event.properties["value"] == 7.5
    assert event.enterprise_id == plant.enterprise.pk
    assert event.region_path == plant.park.path


def test_an_alarm_is_raised_and_cleared_once_whatever_order_the_changes_arrive_in(plant, now):
    key = plant.key(plant.gas)
    started = now - dt.timedelta(seconds=30)
    raised = AlarmChange(key, "hi", 1, started, None, 31.0, 25.0)
    cleared = AlarmChange(key, "hi", 1, started, now, 31.0, 25.0)
    ingest(Batch.of([], alarms=[cleared]), now=now)  # the clear overtook the raise
    ingest(Batch.of([], alarms=[raised]), now=now)
    ingest(Batch.of([], alarms=[raised, cleared]), now=now)
    alarm = Alarm.objects.get(sensor=plant.gas)
    assert (alarm.kind, alarm.level, alarm.value, alarm.threshold, alarm.unit) == ("hi", 1, 31.0, 25.0, "%LEL")
    assert (alarm.started_at, alarm.ended_at, alarm.enterprise, alarm.region) == (
        started,
        now,
        plant.enterprise,
        plant.park,
    )
    assert "GD-001" in alarm.message and "31" in alarm.message and "25" in alarm.message


def test_a_raised_alarm_is_published_and_its_clearing_updates_it(plant, now, django_capture_on_commit_callbacks):
    """Alarm rows are saved one by one: their save publishes them once ingest's transaction commits."""
    key = plant.key(plant.gas)
    started = now - dt.timedelta(seconds=3)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            Batch.of(
                [Sample(key, started, 60.0)],
                {key: ("hihi", to_us(started))},
                [AlarmChange(key, "hihi", 2, started, None, 60.0, 50.0)],
            ),
            now=now,
        )
    plant.gas.refresh_from_db()
    assert plant.gas.alarm_state == "hihi"
    created = Event.objects.get(collection="alarms", action="create")
    assert (created.properties["kind"], created.properties["level"], created.properties["threshold"]) == (
        "hihi",
        2,
        50.0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            Batch.of(
                [Sample(key, now, 5.0)],
                {key: ("normal", to_us(now))},
                [AlarmChange(key, "hihi", 2, started, now, 60.0, 50.0)],
            ),
            now=now,
        )
    plant.gas.refresh_from_db()
    assert plant.gas.alarm_state == "normal"
    cleared = Event.objects.get(collection="alarms", action="update")
    assert cleared.properties["ended_at"] == now.isoformat().replace("+00:00", "Z")
    assert Event.objects.filter(collection="alarms").count() == 2  # published once each, not by ingest as well


def test_an_old_alarm_state_does_not_overwrite_a_newer_value(plant, now):
    key = plant.key(plant.gas)
    ingest(Batch.of([Sample(key, now, 5.0)], {key: ("normal", to_us(now))}), now=now)
    ingest(Batch.of([], {key: ("hi", to_us(now - dt.timedelta(seconds=10)))}), now=now)
    plant.gas.refresh_from_db()
    assert plant.gas.alarm_state == "normal"


def test_the_tank_inventory_follows_its_level_through_the_tank_geometry(plant, now):
    # A horizontal cylinder filled to a quarter of its diameter holds (θ − sin θ)/2π of its volume with
    # θ = 2 arccos(1 − 2·0.25) = 2π/3: 1/3 − √3/(4π) = 0.195501 (the circular segment).
    ingest(Batch.of([Sample(plant.key(plant.level), now, 25.0)]), now=now)
    tank = Equipment.objects.get(pk=plant.tank.pk)
    assert tank.inventory_kg == pytest.approx(100.0 * 0.195501 * 1434.0, abs=1.0)
    event = Event.objects.get(collection="equipment", feature_id=plant.tank.pk)
    assert event.properties == {"inventory_kg": tank.inventory_kg}


def test_samples_of_unknown_points_are_refused_by_name_and_the_others_stored(plant, now, caplog):
    batch = Batch.of([Sample("91310116000000999X/NOPE", now, 1.0), Sample(plant.key(plant.gas), now, 2.0)])
    with caplog.at_level(logging.WARNING):
        result = ingest(batch, now=now, source="gateway 'GW-9'")
    assert result.stored == 1
    assert result.refused == {"91310116000000999X/NOPE": "unknown"}
    assert "gateway 'GW-9': point 91310116000000999X/NOPE is not a sensor this sender may write" in caplog.text


def test_a_sender_scoped_to_an_enterprise_cannot_write_another_enterprises_sensor(plant, now):
    scope = Scope(plant.park.path, plant.enterprise.pk)
    result = ingest(Batch.of([Sample(plant.key(plant.other_gas), now, 1.0)]), scope=scope, now=now)
    assert result.refused == {plant.key(plant.other_gas): "unknown"}
    assert not Reading.objects.filter(sensor=plant.other_gas).exists()


def test_samples_from_a_clock_far_ahead_are_refused_and_logged(plant, now, caplog):
    key = plant.key(plant.gas)
    with caplog.at_level(logging.WARNING):
        result = ingest(Batch.of([Sample(key, now + dt.timedelta(hours=2), 1.0), Sample(key, now, 2.0)]), now=now)
    assert result.stored == 1 and result.refused == {key: "future"}
    assert f"point {key} sent a sample at" in caplog.text


def test_an_infinite_value_is_stored_as_no_value_of_bad_quality(plant, now):
    ingest(Batch.of([Sample(plant.key(plant.gas), now, math.inf)]), now=now)
    reading = Reading.objects.get(sensor=plant.gas)
    assert (reading.value, reading.quality) == (None, BAD)
    assert Sensor.objects.get(pk=plant.gas.pk).quality == BAD
