"""The demo's year of history (geo/demo/history.py, loaded with the nation scale): valid rows through the loader,
the same for the same seed, the rates its docstring states, and accidents with alarms before them.

Loaded here with the park (40 units) by adding "park" to ``HISTORY_SCALES``; the nation scale runs the same
code for 12,000 units (tests/bench/bench_analytics.py).
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from geo.demo import history
from geo.demo.loader import load
from geo.models import Accident, Alarm, Enterprise, HazardSource, HiddenDanger, Inspection, Region, Sensor

SEED = 7


@pytest.fixture
def park_with_history(db, monkeypatch):
    monkeypatch.setattr(history, "HISTORY_SCALES", ("park",))
    return load(scale="park", seed=SEED)


def test_every_unit_has_its_possible_deaths_in_the_guides_classes_or_none_given(park_with_history):
    values = list(HazardSource.objects.values_list("potential_fatalities", flat=True))
    assert len(values) == 40
    assert sum(v is not None and v < 10 for v in values) >= 15  # 60 % expected below 10
    assert all(v is None or 0 <= v <= 300 for v in values)


def test_a_year_of_alarms_about_25_a_unit_most_closed_and_every_one_valid(park_with_history):
    report = park_with_history
    alarms = Alarm.objects.all()
    assert report.counts["alarms"] == alarms.count()
    assert 20 * 40 <= alarms.count() <= 30 * 40  # 25 per unit with a sensor, on average
    now = timezone.now()
    assert alarms.filter(started_at__lt=now - dt.timedelta(days=366)).count() <= 10  # precursors may be older
    assert alarms.filter(started_at__gt=now).count() == 0
    open_old = alarms.exclude(state="closed").filter(started_at__lt=now - dt.timedelta(days=3))
    assert open_old.count() == 0  # only the last two days' alarms wait to be handled
    for alarm in alarms.select_related("sensor")[:200]:
        alarm.full_clean()
        assert alarm.hazard_source_id == alarm.sensor.hazard_source_id


def test_dangers_inspections_and_accidents_follow_the_stated_rates(park_with_history):
    assert 40 <= HiddenDanger.objects.count() <= 130  # 2 per unit
    assert HiddenDanger.objects.filter(level="major").count() < HiddenDanger.objects.count() / 4
    inspections = Inspection.objects.all()
    assert 12 * 40 <= inspections.count() <= 14 * 40  # the first of each month, and the next one
    overdue = inspections.filter(done_at__isnull=True, due_at__lt=timezone.now()).count()
    assert 0 < overdue < inspections.count() / 10
    assert Accident.objects.count() <= 5  # 1 % of 40 units


def test_the_same_seed_gives_the_same_history(db, monkeypatch):
    monkeypatch.setattr(history, "HISTORY_SCALES", ("park",))

    def digest() -> list:
        return [
            list(Alarm.objects.order_by("pk").values_list("kind", "level", "sensor__tag", "hazard_source__code")),
            list(HiddenDanger.objects.order_by("pk").values_list("level", "description", "hazard_source__code")),
            list(Accident.objects.order_by("pk").values_list("kind", "deaths", "hazard_source__code")),
            list(HazardSource.objects.order_by("pk").values_list("code", "potential_fatalities")),
        ]

    load(scale="park", seed=SEED)
    first = digest()
    load(scale="park", seed=SEED, replace=True)
    assert digest() == first


def test_an_accident_mostly_follows_alarms_at_its_unit():
    """Built in memory for 1,000 units: 1 % have an accident, three in five with 1–4 alarms in the 72 h before."""
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    region = Region(pk=1, code="310116P01", level="park")
    ent = Enterprise(pk=1, region=region)
    sources, sensors = [], []
    for n in range(1000):
        source = HazardSource(pk=n + 1, enterprise=ent, code=f"HS{n}", name="罐区", accident_fire=True)
        sources.append(source)
        sensors.append(Sensor(pk=n + 1, hazard_source=source, kind="level", unit="%", location=None))
    built = history.build(sources, sensors, random.Random(SEED), now)
    assert 3 <= len(built.accidents) <= 20
    preceded = 0
    for accident in built.accidents:
        before = [
            a
            for a in built.alarms
            if a.hazard_source is accident.hazard_source
            and accident.occurred_at - dt.timedelta(hours=72) <= a.started_at < accident.occurred_at
        ]
        preceded += bool(before)
    assert preceded >= len(built.accidents) / 3
    assert all(a.kind == "fire" for a in built.accidents)
