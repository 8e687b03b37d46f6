"""The risk level (geo/risk.py): each factor's points worked out by hand from the documented default weights,
the same level in SQL as in Python, the weights a setting that is checked at start-up.

Default weights (geo.risk.DEFAULT_WEIGHTS, hazmap's own): grade 1/2/3/4 = 40/30/20/10; each alarm not closed
25 (second level) or 10 (first level), at most 50; each faulty sensor 5, at most 20; each hidden danger not
rectified 35 (major) or 5 (general), at most 60; each overdue inspection 5, at most 15. Red from 70, orange
from 45, yellow from 25.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from geo import risk
from geo.models import Alarm, HazardSource, HiddenDanger, Inspection, Quality, Sensor
from tests.factories import enterprise, hazard_source, region_chain, sensor

NOW = timezone.now()
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def plant(db):
    """One enterprise; ``source(code, grade)`` makes a unit of it with that GB 18218 grade."""
    chain = region_chain()
    ent = enterprise(chain["park"])

    def source(code: str, grade: int | None = None) -> HazardSource:
        unit = hazard_source(ent, code)
        if grade is not None:  # as the grading would store it (the unit holds no equipment here)
            HazardSource.objects.filter(pk=unit.pk).update(is_major=True, gb_grade=grade)
            unit.refresh_from_db()
        return unit

    return ent, source


def assessed(unit: HazardSource, now: dt.datetime = NOW) -> risk.Assessment:
    row = risk.annotate(HazardSource.objects.filter(pk=unit.pk), now=now).values("gb_grade", *risk.COUNTS).get()
    return risk.assess(row)


def points_of(assessment: risk.Assessment) -> dict[str, int]:
    return {f.key: f.points for f in assessment.factors}


def alarm(unit: HazardSource, level: int, kind: str = "hi", state: str = "new", **fields) -> Alarm:
    return Alarm.objects.create(
        enterprise=unit.enterprise,
        hazard_source=unit,
        kind=kind,
        level=level,
        state=state,
        started_at=NOW - HOUR,
        **fields,
    )


@pytest.mark.parametrize(
    ("grade", "points", "level"),
    [(1, 40, "yellow"), (2, 30, "yellow"), (3, 20, "blue"), (4, 10, "blue"), (None, 0, "blue")],
)
def test_the_grade_alone_gives_its_points(plant, grade, points, level):
    _, source = plant
    result = assessed(source("HS01", grade))
    assert (result.points, result.level) == (points, level)
    assert points_of(result) == {"grade": points, "alarms": 0, "monitoring": 0, "hidden_dangers": 0, "inspections": 0}


def test_alarms_not_closed_count_by_level_and_device_alarms_are_left_to_monitoring(plant):
    _, source = plant
    unit, other = source("HS01", 1), source("HS02", 1)
    alarm(unit, 2, "hihi")
    assert (assessed(unit).points, assessed(unit).level) == (40 + 25, "orange")
    alarm(unit, 1, "hi", state="seen")  # seen but not closed: still live
    alarm(unit, 2, "hihi", state="closed")  # handled to closure
    alarm(unit, 1, "offline")  # the device's own alarm: counted by the monitoring factor
    alarm(other, 2, "hihi")  # another unit's
    result = assessed(unit)
    assert (result.points, result.level) == (40 + 25 + 10, "red")
    factor = next(f for f in result.factors if f.key == "alarms")
    assert factor.counts == {"second_level": 1, "first_level": 1}
    assert factor.detail == "1 second-level and 1 first-level alarms not closed (device alarms not counted)"


def test_alarm_points_stop_at_50(plant):
    _, source = plant
    unit = source("HS01", 4)
    for _ in range(3):
        alarm(unit, 2, "hihi")
    assert points_of(assessed(unit))["alarms"] == 50  # not 3 × 25
    assert assessed(unit).level == "orange"  # 10 + 50


def test_sensors_stale_offline_bad_or_silent_count_and_a_sensor_never_heard_from_does_not(plant):
    ent, source = plant
    unit = source("HS01", 3)
    states = [
        ("LT-1", {"alarm_state": "stale", "value_time": NOW}),
        ("LT-2", {"alarm_state": "offline", "value_time": NOW - 2 * HOUR}),  # offline and silent: one sensor
        ("LT-3", {"quality": Quality.BAD, "value_time": NOW}),
        ("LT-4", {"value_time": NOW - dt.timedelta(seconds=901)}),  # silent for more than 900 s
        ("LT-5", {"value_time": NOW - dt.timedelta(seconds=899), "quality": Quality.GOOD}),  # in service
        ("LT-6", {}),  # never reported: not in service yet
    ]
    for tag, live in states:
        made = sensor(ent, tag, hazard_source=unit)
        Sensor.objects.filter(pk=made.pk).update(**live)
    sensor(ent, "LT-9")  # of no hazard source
    result = assessed(unit)
    assert points_of(result)["monitoring"] == 4 * 5
    assert (result.points, result.level) == (20 + 20, "yellow")
    made = sensor(ent, "LT-7", hazard_source=unit)
    Sensor.objects.filter(pk=made.pk).update(alarm_state="bad_quality")
    assert points_of(assessed(unit))["monitoring"] == 20  # five faulty, at most 20


def test_hidden_dangers_not_rectified_count_a_major_one_seven_times_a_general_one(plant):
    _, source = plant
    unit = source("HS01", 4)

    def danger(level: str, rectified: bool = False) -> None:
        HiddenDanger.objects.create(
            hazard_source=unit,
            level=level,
            description="安全阀未校验",
            found_at=NOW - 48 * HOUR,
            due_on=(NOW + 48 * HOUR).date(),
            rectified_at=NOW - HOUR if rectified else None,
        )

    danger("major")
    assert (assessed(unit).points, assessed(unit).level) == (10 + 35, "orange")
    danger("general")
    danger("general")
    danger("major", rectified=True)
    assert points_of(assessed(unit))["hidden_dangers"] == 35 + 2 * 5
    danger("major")
    assert points_of(assessed(unit))["hidden_dangers"] == 60  # 2 × 35 + 2 × 5 = 80, at most 60
    assert assessed(unit).level == "red"  # 10 + 60


def test_inspections_due_and_not_done_count_until_done(plant):
    _, source = plant
    unit = source("HS01", 2)
    for due, done in (
        (NOW - 24 * HOUR, None),
        (NOW - 2 * HOUR, None),
        (NOW - 48 * HOUR, NOW - 47 * HOUR),
        (NOW + HOUR, None),
    ):
        Inspection.objects.create(hazard_source=unit, due_at=due, done_at=done, inspector="赵六" if done else "")
    result = assessed(unit)
    assert points_of(result)["inspections"] == 2 * 5
    assert (result.points, result.level) == (30 + 10, "yellow")
    assert next(f for f in result.factors if f.key == "inspections").counts == {"overdue": 2}
    assert points_of(assessed(unit, now=NOW - 3 * HOUR))["inspections"] == 5  # three hours ago one was overdue


def test_every_factor_together_and_the_level_in_sql_is_the_level_in_python(plant):
    ent, source = plant
    quiet, busy, graded = source("HS01"), source("HS02", 3), source("HS03", 1)
    alarm(busy, 1)
    HiddenDanger.objects.create(hazard_source=busy, level="general", description="d", found_at=NOW - HOUR)
    Inspection.objects.create(hazard_source=busy, due_at=NOW - HOUR)
    made = sensor(ent, "GD-1", kind="combustible_gas", unit="%LEL", hazard_source=busy)
    Sensor.objects.filter(pk=made.pk).update(alarm_state="offline")
    assert points_of(assessed(busy)) == {
        "grade": 20,
        "alarms": 10,
        "monitoring": 5,
        "hidden_dangers": 5,
        "inspections": 5,
    }
    assert (assessed(busy).points, assessed(busy).level) == (45, "orange")
    in_sql = dict(HazardSource.objects.annotate(level=risk.RiskLevel()).values_list("pk", "level"))
    assert in_sql == {quiet.pk: "blue", busy.pk: "orange", graded.pk: "yellow"}
    assert {pk: assessed(HazardSource.objects.get(pk=pk)).level for pk in in_sql} == in_sql


def test_the_weights_are_a_setting_over_the_defaults(plant, settings):
    _, source = plant
    unit = source("HS01", 3)
    assert assessed(unit).level == "blue"
    settings.HAZMAP_RISK_WEIGHTS = {"grade": {"3": 30}, "levels": {"yellow": 30}}
    result = assessed(unit)
    assert (result.points, result.level) == (30, "yellow")
    assert risk.weights().grade == {1: 40, 2: 30, 3: 30, 4: 10}  # the other grades keep their defaults
    assert HazardSource.objects.annotate(level=risk.RiskLevel()).get().level == "yellow"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ([1, 2], "give a JSON object of weights"),
        ({"danger_majr": 50}, "unknown key 'danger_majr'"),
        ({"danger_major": -5}, "danger_major is -5; give a whole number ≥ 0"),
        ({"danger_major": 2.5}, "danger_major is 2.5; give a whole number ≥ 0"),
        ({"alarms_max": True}, "alarms_max is True"),
        ({"sensor_silent_after_s": 0}, "sensor_silent_after_s is 0; give a whole number ≥ 1"),
        ({"grade": {"5": 1}}, "grade has no '5'"),
        ({"grade": 40}, "grade is 40; give an object"),
        ({"levels": {"purple": 1}}, "levels has no 'purple'"),
        ({"levels": {"orange": 80}}, "must fall from red to orange to yellow, not red 70, orange 80, yellow 25"),
        ({"levels": {"yellow": 0}}, "levels yellow is 0; give a whole number ≥ 1"),
    ],
)
def test_a_wrong_weight_is_refused_naming_it(setting, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        risk.parse_weights(setting)
    assert str(refused.value).startswith("HAZMAP_RISK_WEIGHTS: ")
    assert message in str(refused.value)


def test_the_defaults_are_what_the_readme_documents():
    w = risk.parse_weights({})
    assert w.as_setting() == risk.DEFAULT_WEIGHTS
    assert [w.level_of(p) for p in (0, 24, 25, 44, 45, 69, 70, 245)] == [
        "blue",
        "blue",
        "yellow",
        "yellow",
        "orange",
        "orange",
        "red",
        "red",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"levels": {"red": 10}}', "HAZMAP_RISK_WEIGHTS: the thresholds must fall from red to orange to yellow"),
        ("{levels: 1}", "HAZMAP_RISK_WEIGHTS is not JSON"),
        ("[]", "HAZMAP_RISK_WEIGHTS must be a JSON object"),
    ],
)
def test_hazmap_does_not_start_with_wrong_weights_and_says_why(tmp_path, value, message):
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "HAZMAP_RISK_WEIGHTS": value,
        "HAZMAP_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(root),
        "DJANGO_SETTINGS_MODULE": "hazmap.settings",
    }
    env["DATABASE_URL"] = f"spatialite:///{tmp_path / 'x.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr
