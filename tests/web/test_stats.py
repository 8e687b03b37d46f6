"""The dashboard's figures (/app/stats): counted in the database, in the user's scope, hours in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from geo.models import Alarm, Enterprise, HazardSource
from tests.factories import enterprise, hazard_source, region_chain, sensor

UTC = dt.UTC


@pytest.fixture
def park(db):
    """Two enterprises in a park (three hazard sources) and one in another province, with alarms."""
    shanghai = region_chain()
    zhejiang = region_chain("330000", "浙江")
    chlor = enterprise(shanghai["park"], 1)
    store = enterprise(shanghai["county"], 2, lon=121.36)
    Enterprise.objects.filter(pk=store.pk).update(industry="storage")
    store.refresh_from_db()
    other = enterprise(zhejiang["park"], 3, lon=120.5, lat=30.2)
    sources = {
        "a": hazard_source(chlor, "HS01", accident_poisoning=True, registered_on=dt.date(2019, 5, 1)),
        "b": hazard_source(
            chlor, "HS02", accident_fire=True, accident_explosion=True, registered_on=dt.date(2021, 3, 2)
        ),
        "c": hazard_source(store, "HS03", kind="warehouse", accident_fire=True, registered_on=dt.date(2021, 8, 9)),
        "far": hazard_source(other, "HS09", accident_fire=True),
    }
    # Grades as the grading would store them (the units hold no equipment here).
    HazardSource.objects.filter(pk=sources["a"].pk).update(is_major=True, gb_grade=1)
    HazardSource.objects.filter(pk=sources["b"].pk).update(is_major=True, gb_grade=3)
    gas = sensor(chlor, "GD-001", kind="combustible_gas", unit="%LEL")
    level = sensor(store, "LT-101", kind="level", unit="%")
    far_gas = sensor(other, "GD-009", kind="combustible_gas", unit="%LEL")
    now = timezone.now()
    # 01:30 UTC is 09:30 in Shanghai; 16:10 UTC is 00:10 the next day there.
    day = (now - dt.timedelta(days=2)).replace(hour=1, minute=30, second=0, microsecond=0)
    for when, s, kind, state in (
        (day, gas, "hihi", "new"),
        (day + dt.timedelta(minutes=5), gas, "hi", "closed"),
        (day.replace(hour=16, minute=10), level, "hi", "new"),
        (now - dt.timedelta(days=40), gas, "hi", "new"),  # outside the last 30 days
        (day, far_gas, "hi", "new"),  # another province
    ):
        Alarm.objects.create(
            region=s.enterprise.region,
            enterprise=s.enterprise,
            sensor=s,
            kind=kind,
            level=2 if kind == "hihi" else 1,
            state=state,
            started_at=when,
            location=s.location,
        )
    user = get_user_model().objects.create_user("park", region=shanghai["county"], role="emergency")
    return user, shanghai


def test_hazard_sources_are_counted_by_grade_accident_region_kind_and_year_in_the_users_scope(client, park):
    user, _ = park
    client.force_login(user)
    figures = client.get("/app/stats").json()["hazard_sources"]
    assert figures["total"] == 3 and figures["major"] == 2
    assert figures["by_grade"] == [[1, 1], [3, 1], [None, 1]]
    assert figures["by_accident"] == [["fire", 2], ["explosion", 1], ["poisoning", 1]]
    assert figures["by_region"] == [["310116P01", 2, "上海化工园区", ""], ["310116", 1, "上海区", ""]]
    assert figures["by_kind"] == [["tank_area", 2], ["warehouse", 1]]
    assert figures["by_year"] == [[2019, 1], [2021, 2]]


def test_alarms_of_the_last_days_are_counted_by_shanghai_hour_device_kind_and_industry(client, park):
    user, _ = park
    client.force_login(user)
    answer = client.get("/app/stats?days=30").json()
    figures = answer["alarms"]
    assert answer["days"] == 30
    assert (figures["total"], figures["open"]) == (3, 2)
    assert figures["by_hour"] == [[0, 1], [9, 2]]
    assert figures["by_device"] == [["combustible_gas", 2], ["level", 1]]
    assert figures["by_kind"] == [["hi", 2], ["hihi", 1]]
    assert figures["by_level"] == [[1, 2], [2, 1]]
    assert figures["by_industry"] == [["chlor_alkali", 2], ["storage", 1]]
    assert client.get("/app/stats?days=60").json()["alarms"]["total"] == 4


@pytest.mark.django_db
def test_the_statistics_need_a_signed_in_user(client):
    answer = client.get("/app/stats")
    assert answer.status_code == 401
    assert answer.json()["code"] == "Unauthorized"


@pytest.mark.parametrize("query", ["days=0", "days=3661", "days=week", "since=2020"])
def test_a_bad_query_is_a_400_saying_what_is_wrong(client, park, query):
    client.force_login(park[0])
    answer = client.get(f"/app/stats?{query}")
    assert answer.status_code == 400
    assert answer.json()["code"] == "InvalidParameterValue"
