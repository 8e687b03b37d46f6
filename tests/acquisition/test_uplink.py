"""Collector → outbox → uplink → centre in one process: every sample arrives once; only acknowledged chunks leave."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from acquisition import pointmap, sm
from acquisition.agent import Collector
from acquisition.batch import BAD, UNCERTAIN, Sample
from acquisition.centre import Centre
from acquisition.models import Gateway
from acquisition.outbox import Outbox
from acquisition.uplink import InProcess, Uplink
from geo.models import Alarm, Reading, Sensor

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def point_map(plant) -> pointmap.PointMap:
    owner = plant.enterprise.credit_code
    return pointmap.loads(
        f"""
owner: {owner}
devices:
  - name: plc
    protocol: modbus-tcp
    host: 127.0.0.1
    points:
      - {{sensor: GD-001, address: 0, hi: 25, hihi: 50, range_min: 0, range_max: 100}}
      - {{sensor: T1-LT1, address: 2, range_min: 0, range_max: 100}}
"""
    )


class Lossy(InProcess):
    """An in-process transport that loses every other message (a flaky network)."""

    def __init__(self, centre) -> None:
        super().__init__(centre)
        self.sent = 0

    def send(self, message: bytes) -> bool:
        self.sent += 1
        return super().send(message) if self.sent % 2 == 0 else True


@pytest.fixture
def parts(plant, device, tmp_path):
    centre = Centre(sm.generate_private_key())
    outbox = Outbox(tmp_path / "outbox.sqlite3")

    def build(transport=None, **options):
        uplink = Uplink(
            outbox,
            transport or InProcess(centre),
            "GW-001",
            device.key,
            centre.public_key,
            ack_timeout_s=1.0,
            **options,
        )
        collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
        return collector, uplink

    yield centre, outbox, build


def test_samples_arrive_once_and_the_outbox_empties_as_they_are_acknowledged(plant, parts):
    _centre, outbox, build = parts
    collector, uplink = build()
    uplink.start()
    try:
        t0 = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=100)
        key = plant.key(plant.gas)
        for n in range(100):
            collector.samples([Sample(key, t0 + dt.timedelta(seconds=n), float(n % 20))])
            if n % 10 == 9:
                collector.flush()
        wait_for(uplink.idle, what="the outbox to empty")
    finally:
        uplink.stop()
    assert Reading.objects.filter(sensor=plant.gas).count() == 100
    assert outbox.backlog().chunks == 0
    assert uplink.delivered_samples == 100


def test_nothing_is_lost_when_the_network_loses_messages(plant, parts):
    centre, _outbox, build = parts
    collector, uplink = build(Lossy(centre), window=2)
    uplink.start()
    try:
        t0 = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=60)
        for n in range(50):
            collector.samples([Sample(plant.key(plant.gas), t0 + dt.timedelta(seconds=n), 1.0)])
            collector.flush()
        wait_for(uplink.idle, what="every chunk to be acknowledged")
    finally:
        uplink.stop()
    assert Reading.objects.filter(sensor=plant.gas).count() == 50


def test_chunks_refused_by_the_centre_stay_until_it_accepts_them(plant, parts):
    centre, outbox, build = parts
    Gateway.objects.filter(code="GW-001").update(active=False)
    collector, uplink = build()
    uplink.start()
    try:
        collector.samples([Sample(plant.key(plant.gas), timezone.now(), 3.0)])
        collector.flush()
        time.sleep(1.5)
        assert outbox.backlog().chunks == 1 and not Reading.objects.exists()
        Gateway.objects.filter(code="GW-001").update(active=True)
        centre.forget_gateways()
        wait_for(uplink.idle, what="the chunk to be accepted")
    finally:
        uplink.stop()
    assert Reading.objects.filter(sensor=plant.gas).count() == 1


def test_alarms_raised_at_the_edge_reach_the_centre_with_the_sensor_state(plant, parts):
    _centre, _outbox, build = parts
    collector, uplink = build()
    key = plant.key(plant.gas)
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=10)
    uplink.start()
    try:
        collector.samples([Sample(key, t0, 10.0), Sample(key, t0 + dt.timedelta(seconds=1), 30.0)])
        collector.flush()
        wait_for(uplink.idle)
        assert Sensor.objects.get(pk=plant.gas.pk).alarm_state == "hi"
        collector.samples([Sample(key, t0 + dt.timedelta(seconds=2), 5.0)])
        collector.flush()
        wait_for(uplink.idle)
    finally:
        uplink.stop()
    alarm = Alarm.objects.get(sensor=plant.gas)
    assert (alarm.kind, alarm.value, alarm.threshold) == ("hi", 30.0, 25.0)
    assert (alarm.started_at, alarm.ended_at) == (t0 + dt.timedelta(seconds=1), t0 + dt.timedelta(seconds=2))
    assert Sensor.objects.get(pk=plant.gas.pk).alarm_state == "normal"


def test_the_collector_marks_bad_input_and_keeps_going(plant, parts, caplog):
    _centre, _outbox, build = parts
    collector, _ = build()
    key = plant.key(plant.gas)
    now = timezone.now()
    checked = [
        collector.check(Sample(key, now, float("nan")), now),
        collector.check(Sample(key, now, 150.0), now),  # far outside 0…100
        collector.check(Sample(key, now, 101.0), now),  # within NAMUR NE 43's +3.125 %
        collector.check(Sample(key, now + dt.timedelta(hours=1), 5.0), now),  # device clock ahead
    ]
    assert [(s.value, s.quality) for s in checked] == [(None, BAD), (150.0, BAD), (101.0, UNCERTAIN), (5.0, UNCERTAIN)]
    assert checked[3].time == now
    assert "point " + key + ": value nan is not a number" in caplog.text
    assert "outside the measuring range" in caplog.text
    assert "the agent's time is used" in caplog.text
