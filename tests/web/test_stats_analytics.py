"""The national guide's analytics (web/stats.py) against data built for them, every answer counted by hand:
hazard sources by possible deaths and year on year, alarms by season (Beijing months) and year on year,
accidents and the alarms that preceded them — each in the user's scope, on SpatiaLite and PostGIS alike.

The world (times UTC; "local" is Asia/Shanghai, UTC+8):

- Shanghai park: 氯碱 enterprise with units a (possible deaths 5, grade 1, registered 2025-03-10,
  poisoning), b (10, grade 2, 2024-02-01, fire and explosion), e (29, grade 1, 2024-12-31, explosion);
- Shanghai county (outside the park): storage enterprise with c (150, no grade, 2025-06-30, fire) and
  d (not given, no grade, 2024-06-15);
- Zhejiang: one enterprise with unit far (40, 2025-01-05).

Alarms of the period 2024-06-01 → 2025-06-01 (UTC) seen from the county: #1 2024-07-10 (summer, gas, a),
#2 2024-08-31 16:30 = 1 September local (autumn, gas), #3 2024-12-01 03:00 (winter, level, c),
#4 2025-02-28 16:30 = 1 March local (spring, level), #5 2025-05-20 01:00 (spring, gas, a),
#6 2025-05-20 02:00 (spring, an SOS of a person at a, no sensor); the year before: #7 2024-05-31 23:00 and
#8 2023-07-01; in Zhejiang #9.

Accidents: X at a 2025-05-21 00:00 (explosion, 3 dead, 5 injured) — #5 is 23 h and #6 22 h before it;
X2 at a 2025-05-22 00:00 (fire) — #5 and #6 again (47 h, 46 h); Y at c 2024-12-05 03:00 (fire, 12 dead) —
#3 is 96 h before; Z at the 氯碱 enterprise, no unit, 2025-01-10 (poisoning, 2 injured); V at a 2024-05-01
(before the period, 100 dead); W in Zhejiang.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from geo.models import Accident, Alarm, Enterprise, HazardSource
from tests.factories import enterprise, hazard_source, region_chain, sensor
from web import stats

UTC = dt.UTC
SINCE = dt.datetime(2024, 6, 1, tzinfo=UTC)
UNTIL = dt.datetime(2025, 6, 1, tzinfo=UTC)
TODAY = dt.date(2025, 6, 15)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.fixture
def world(db):
    shanghai = region_chain()
    zhejiang = region_chain("330000", "浙江")
    chlor = enterprise(shanghai["park"], 1)
    store = enterprise(shanghai["county"], 2, lon=121.36)
    Enterprise.objects.filter(pk=store.pk).update(industry="storage")
    store.refresh_from_db()
    other = enterprise(zhejiang["park"], 3, lon=120.5, lat=30.2)
    units = {
        "a": hazard_source(
            chlor, "HS01", potential_fatalities=5, registered_on=dt.date(2025, 3, 10), accident_poisoning=True
        ),
        "b": hazard_source(
            chlor,
            "HS02",
            potential_fatalities=10,
            registered_on=dt.date(2024, 2, 1),
            accident_fire=True,
            accident_explosion=True,
        ),
        "e": hazard_source(
            chlor, "HS05", potential_fatalities=29, registered_on=dt.date(2024, 12, 31), accident_explosion=True
        ),
        "c": hazard_source(
            store, "HS03", potential_fatalities=150, registered_on=dt.date(2025, 6, 30), accident_fire=True
        ),
        "d": hazard_source(store, "HS04", registered_on=dt.date(2024, 6, 15)),
        "far": hazard_source(other, "HS09", potential_fatalities=40, registered_on=dt.date(2025, 1, 5)),
    }
    for code, grade in (("a", 1), ("b", 2), ("e", 1)):
        HazardSource.objects.filter(pk=units[code].pk).update(is_major=True, gb_grade=grade)
    gas = sensor(chlor, "GD-001", kind="combustible_gas", unit="%LEL", hazard_source=units["a"])
    level = sensor(store, "LT-101", kind="level", unit="%", hazard_source=units["c"])
    far_gas = sensor(other, "GD-009", kind="combustible_gas", unit="%LEL", hazard_source=units["far"])
    alarms = {}
    for number, when, s, ent, unit, kind in (
        (1, at(2024, 7, 10, 2), gas, chlor, "a", "hi"),
        (2, at(2024, 8, 31, 16, 30), gas, chlor, "a", "hi"),
        (3, at(2024, 12, 1, 3), level, store, "c", "hi"),
        (4, at(2025, 2, 28, 16, 30), level, store, "c", "lo"),
        (5, at(2025, 5, 20, 1), gas, chlor, "a", "hi"),
        (6, at(2025, 5, 20, 2), None, chlor, "a", "sos"),
        (7, at(2024, 5, 31, 23), gas, chlor, "a", "hi"),
        (8, at(2023, 7, 1), gas, chlor, "a", "hi"),
        (9, at(2024, 10, 1), far_gas, other, "far", "hi"),
    ):
        alarms[number] = Alarm.objects.create(
            enterprise=ent, hazard_source=units[unit], sensor=s, kind=kind, level=1, started_at=when, state="closed"
        )
    accidents = {}
    for name, when, ent, unit, kind, deaths, injured in (
        ("X", at(2025, 5, 21), chlor, "a", "explosion", 3, 5),
        ("X2", at(2025, 5, 22), chlor, "a", "fire", 0, 0),
        ("Y", at(2024, 12, 5, 3), store, "c", "fire", 12, 0),
        ("Z", at(2025, 1, 10), chlor, None, "poisoning", 0, 2),
        ("V", at(2024, 5, 1), chlor, "a", "explosion", 100, 0),
        ("W", at(2024, 10, 2), other, "far", "fire", 1, 0),
    ):
        accidents[name] = Accident.objects.create(
            enterprise=ent,
            hazard_source=units[unit] if unit else None,
            occurred_at=when,
            kind=kind,
            deaths=deaths,
            injured=injured,
        )
    make = get_user_model().objects.create_user
    users = {
        "county": make("county", region=shanghai["county"], role="regulator"),
        "park": make("park", region=shanghai["park"], role="emergency"),
        "zhejiang": make("zhejiang", region=zhejiang["province"], role="regulator"),
    }
    return {"units": units, "alarms": alarms, "accidents": accidents, "users": users}


def test_hazard_sources_by_possible_deaths_in_the_guides_classes(world):
    assert stats.hazard_source_figures(world["users"]["county"], TODAY)["by_fatalities"] == [
        ["0-9", 1],
        ["10-29", 2],
        ["30-99", 0],
        ["100+", 1],
        ["unknown", 1],
    ]
    assert stats.hazard_source_figures(world["users"]["park"], TODAY)["by_fatalities"] == [
        ["0-9", 1],
        ["10-29", 2],
        ["30-99", 0],
        ["100+", 0],
        ["unknown", 0],
    ]
    assert stats.hazard_source_figures(world["users"]["zhejiang"], TODAY)["by_fatalities"] == [
        ["0-9", 0],
        ["10-29", 0],
        ["30-99", 1],
        ["100+", 0],
        ["unknown", 0],
    ]


def test_registrations_this_year_to_date_against_the_same_days_of_last_year(world):
    figures = stats.hazard_source_figures(world["users"]["county"], TODAY)
    # 2025-01-01..06-15: a (c is registered on 06-30); 2024-01-01..06-15: b, d (on the day); all 2024: b, d, e
    assert figures["year_on_year"] == {
        "year": 2025,
        "registered": 1,
        "same_period_last_year": 2,
        "last_year": 3,
        "change_pct": -50.0,
    }
    assert figures["by_year_grade"] == [[2024, 1, 1], [2024, 2, 1], [2024, None, 1], [2025, 1, 1], [2025, None, 1]]
    assert figures["by_year_accident"] == [[2024, 1, 2, 0], [2025, 1, 0, 1]]  # year, fire, explosion, poisoning


def test_a_leap_day_compares_with_the_28th_of_february():
    assert stats._year_before(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)


def test_alarms_by_season_of_the_beijing_month_with_devices_and_industries(world):
    figures = stats.alarm_figures(world["users"]["county"], SINCE, UNTIL)
    assert figures["total"] == 6
    assert figures["by_season"] == [["spring", 3], ["summer", 1], ["autumn", 1], ["winter", 1]]
    assert figures["by_season_device"] == [
        ["spring", "combustible_gas", 1],
        ["spring", "level", 1],
        ["spring", None, 1],
        ["summer", "combustible_gas", 1],
        ["autumn", "combustible_gas", 1],
        ["winter", "level", 1],
    ]
    assert figures["by_season_industry"] == [
        ["spring", "chlor_alkali", 2],
        ["spring", "storage", 1],
        ["summer", "chlor_alkali", 1],
        ["autumn", "chlor_alkali", 1],
        ["winter", "storage", 1],
    ]
    assert stats.alarm_figures(world["users"]["park"], SINCE, UNTIL)["by_season"] == [
        ["spring", 2],
        ["summer", 1],
        ["autumn", 1],
        ["winter", 0],
    ]


def test_alarms_of_the_period_against_the_same_period_a_year_before(world):
    yoy = stats.alarm_figures(world["users"]["county"], SINCE, UNTIL)["year_on_year"]
    assert (yoy["this_period"], yoy["same_period_last_year"], yoy["change_pct"]) == (6, 2, 200.0)  # #7, #8 before
    assert (yoy["start"], yoy["end"]) == ("2024-06-01T00:00:00+00:00", "2025-06-01T00:00:00+00:00")
    zhejiang = stats.alarm_figures(world["users"]["zhejiang"], SINCE, UNTIL)["year_on_year"]
    assert (zhejiang["this_period"], zhejiang["same_period_last_year"], zhejiang["change_pct"]) == (1, 0, None)


def test_accidents_of_the_period_by_kind_and_deaths(world):
    figures = stats.accident_figures(world["users"]["county"], SINCE, 72, UNTIL)
    assert (figures["total"], figures["deaths"], figures["injured"]) == (4, 15, 7)  # X, X2, Y, Z
    assert figures["by_kind"] == [
        ["fire", 2, 12, 0],
        ["explosion", 1, 3, 5],
        ["poisoning", 1, 0, 2],
        ["other", 0, 0, 0],
    ]
    assert figures["by_deaths"] == [["0-9", 3], ["10-29", 1], ["30-99", 0], ["100+", 0]]


def test_alarms_at_the_same_hazard_source_within_the_hours_before_an_accident(world):
    a, x, x2 = world["units"]["a"], world["accidents"]["X"], world["accidents"]["X2"]
    preceded = stats.accident_figures(world["users"]["county"], SINCE, 72, UNTIL)["preceded"]
    assert preceded["hours"] == 72
    assert (preceded["accidents"], preceded["alarms"]) == (2, 2)  # #5 and #6 precede both X and X2: counted once
    assert preceded["by_alarm_kind"] == [["hi", 1], ["sos", 1]]
    assert preceded["by_accident"] == [
        [x2.pk, "2025-05-22T00:00:00+00:00", "fire", 0, a.pk, a.name, 2],
        [x.pk, "2025-05-21T00:00:00+00:00", "explosion", 3, a.pk, a.name, 2],
    ]
    narrow = stats.accident_figures(world["users"]["county"], SINCE, 22, UNTIL)["preceded"]
    assert (narrow["accidents"], narrow["alarms"]) == (1, 1)  # #6, 22 h before X; nothing within 22 h of X2
    wide = stats.accident_figures(world["users"]["county"], SINCE, 96, UNTIL)["preceded"]
    assert (wide["accidents"], wide["alarms"]) == (3, 3)  # and #3, 96 h before Y


def test_a_park_user_sees_neither_the_county_nor_another_province(world):
    park = stats.accident_figures(world["users"]["park"], SINCE, 96, UNTIL)
    assert (park["total"], park["preceded"]["accidents"], park["preceded"]["alarms"]) == (3, 2, 2)  # X, X2, Z
    zhejiang = stats.accident_figures(world["users"]["zhejiang"], SINCE, 72, UNTIL)
    assert (zhejiang["total"], zhejiang["preceded"]["accidents"], zhejiang["preceded"]["alarms"]) == (1, 1, 1)
    assert stats.hazard_source_figures(world["users"]["park"], TODAY)["year_on_year"]["last_year"] == 2  # b, e


def test_the_view_serves_the_new_figures_for_the_period_and_window_asked(client, world):
    client.force_login(world["users"]["county"])
    answer = client.get("/app/stats", {"days": 3660, "preceding_hours": 96})
    assert answer.status_code == 200
    data = answer.json()
    assert (data["days"], data["preceding_hours"]) == (3660, 96)
    assert data["accidents"]["total"] == 5  # V too: ten years back
    assert data["accidents"]["preceded"]["hours"] == 96
    assert sum(n for _, n in data["alarms"]["by_season"]) == data["alarms"]["total"] == 8
    assert data["hazard_sources"]["by_fatalities"][-1] == ["unknown", 1]
    assert client.get("/app/stats").json()["preceding_hours"] == 72


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("preceding_hours=0", "preceding_hours must be a whole number from 1 to 720."),
        ("preceding_hours=721", "preceding_hours must be a whole number from 1 to 720."),
        ("preceding_hours=3d", "preceding_hours must be a whole number from 1 to 720."),
        ("days=-1", "days must be a whole number from 1 to 3660."),
        ("format=pdf", "format must be one of json, csv, xlsx."),
        ("format=csv", "A CSV export is one table: give table, one of hazard_sources.by_grade"),
        ("format=csv&table=alarms.by_weather", "Unknown table “alarms.by_weather”; the tables are: "),
        ("table=alarms.by_season", "table is for the csv and xlsx formats."),
        ("hours=72", "Unknown parameter “hours”."),
    ],
)
def test_a_bad_parameter_is_a_400_saying_what_is_wrong(client, world, query, message):
    client.force_login(world["users"]["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.get(f"/app/stats?{query}")
    assert answer.status_code == 400
    assert answer.json()["code"] == "InvalidParameterValue"
    assert message in answer.json()["description"]


def test_the_figures_start_from_now_when_no_period_is_given(world):
    now = timezone.now()
    assert stats.alarm_figures(world["users"]["county"], now - dt.timedelta(days=1))["total"] == 0
