"""One function narrows every queryset to what a user may see: their region and below, or their enterprise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point

from geo.models import (
    EmergencyResource,
    Enterprise,
    HazardSource,
    Notification,
    Region,
    SensitiveTarget,
    Sensor,
    Substance,
    User,
)
from geo.scope import scoped
from tests.factories import LAT, LON, enterprise, hazard_source, multi, region_chain, sensor, square, substance

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two provinces, one enterprise in each; a resource of each kind of ownership in province A's park."""
    a = region_chain("310000", "甲")
    b = region_chain("320000", "乙")
    e1 = enterprise(a["park"], serial=1)
    e2 = enterprise(a["park"], serial=2, lon=LON + 0.01)
    e3 = enterprise(b["county"], serial=3, lon=LON + 0.02)
    for ent in (e1, e2, e3):
        hazard_source(ent)
        sensor(ent)
    point = Point(LON, LAT + 0.01, srid=4326)
    EmergencyResource.objects.create(name="园区消防站", kind="fire_station", region=a["park"], location=point)
    EmergencyResource.objects.create(
        name="企业1器材库", kind="material_depot", region=a["park"], enterprise=e1, location=point
    )
    EmergencyResource.objects.create(
        name="企业2器材库", kind="material_depot", region=a["park"], enterprise=e2, location=point
    )
    SensitiveTarget.objects.create(
        name="甲村", kind="residential", region=a["county"], population=300, area=multi(square(LON, LAT + 0.02, 100))
    )
    SensitiveTarget.objects.create(
        name="乙村", kind="residential", region=b["county"], population=200, area=multi(square(LON, LAT + 0.03, 100))
    )
    substance()
    return {"a": a, "b": b, "e1": e1, "e2": e2, "e3": e3}


def user(username: str, **fields) -> User:
    return User.objects.create(username=username, **fields)


def names(queryset, field: str = "name") -> set[str]:
    return set(queryset.values_list(field, flat=True))


def test_a_province_regulator_sees_its_province_only(world):
    regulator = user("a", region=world["a"]["province"], role="regulator")
    assert names(scoped(Enterprise.objects.all(), regulator)) == {world["e1"].name, world["e2"].name}
    assert scoped(Sensor.objects.all(), regulator).count() == 2
    assert names(scoped(SensitiveTarget.objects.all(), regulator)) == {"甲村"}
    assert names(scoped(Region.objects.all(), regulator), "code") == {"310000", "310100", "310116", "310116P01"}


def test_a_county_regulator_sees_the_enterprises_of_the_parks_below_it(world):
    regulator = user("county", region=world["a"]["county"])
    assert scoped(HazardSource.objects.all(), regulator).count() == 2


def test_an_enterprise_operator_sees_its_own_enterprise_and_the_shared_resources_of_its_region(world):
    operator = user("op", enterprise=world["e1"], region=world["a"]["park"], role="enterprise")
    assert names(scoped(Enterprise.objects.all(), operator)) == {world["e1"].name}
    assert list(scoped(Sensor.objects.all(), operator).values_list("enterprise", flat=True)) == [world["e1"].pk]
    assert names(scoped(EmergencyResource.objects.all(), operator)) == {"园区消防站", "企业1器材库"}


def test_the_sensitive_targets_and_resources_of_the_regions_above_are_seen_below_them(world):
    commander = user("park", region=world["a"]["park"], role="emergency")
    operator = user("op", enterprise=world["e1"], region=world["a"]["park"], role="enterprise")
    county_station = EmergencyResource.objects.create(
        name="县消防站", kind="fire_station", region=world["a"]["county"], location=Point(LON, LAT, srid=4326)
    )
    for who in (commander, operator):
        assert names(scoped(SensitiveTarget.objects.all(), who)) == {"甲村"}  # the county's, not the other province's
        assert county_station.name in names(scoped(EmergencyResource.objects.all(), who))
    assert "企业2器材库" not in names(scoped(EmergencyResource.objects.all(), operator))  # another enterprise's own
    assert names(scoped(HazardSource.objects.all(), commander)) == names(
        HazardSource.objects.filter(enterprise__region=world["a"]["park"])
    )  # sharing downwards is for those two kinds only


def test_ancestor_paths_are_the_regions_above():
    from geo.scope import ancestor_paths

    assert ancestor_paths("100000/310000/310116/") == ["100000/", "100000/310000/"]
    assert ancestor_paths("100000/") == []


def test_the_enterprise_of_a_user_must_lie_in_the_users_region(world):
    operator = User(username="x", enterprise=world["e3"], region=world["a"]["park"], role="enterprise")
    with pytest.raises(Exception) as caught:
        operator.full_clean()
    assert "The enterprise lies outside the user's region." in str(caught.value)


def test_an_operator_without_region_takes_the_enterprises_region(world):
    operator = User(username="y", enterprise=world["e3"], role="enterprise")
    operator.set_password("a-long-password-1")
    operator.full_clean()
    assert operator.region == world["b"]["county"]


def test_anonymous_users_and_users_without_region_see_nothing(world):
    assert scoped(Enterprise.objects.all(), AnonymousUser()).count() == 0
    assert scoped(Enterprise.objects.all(), None).count() == 0
    assert scoped(Substance.objects.all(), user("nobody")).count() == 0


def test_a_superuser_sees_everything(world):
    root = user("root", is_superuser=True)
    assert scoped(Enterprise.objects.all(), root).count() == 3


def test_an_inactive_user_sees_nothing(world):
    assert scoped(Enterprise.objects.all(), user("old", region=world["a"]["province"], is_active=False)).count() == 0


def test_reference_substances_are_visible_to_every_signed_in_user_with_a_region(world):
    assert scoped(Substance.objects.all(), user("v", region=world["b"]["park"])).count() == 1


def test_every_feature_model_declares_a_scope_that_resolves(world):
    """A new feature kind must say how it is scoped; a wrong lookup would fail here, not in production."""
    regulator = user("r", region=world["a"]["province"])
    operator = user("o", enterprise=world["e1"], region=world["a"]["park"])
    for model in apps.get_app_config("geo").get_models():
        if model in (User, Notification):  # a person's own rows: read by recipient (web/inbox.py), never by region
            continue
        assert hasattr(model, "scope_region"), model
        for who in (regulator, operator):
            scoped(model.objects.all(), who).count()


def test_readings_follow_their_sensors_scope(world):
    from geo.models import Reading

    t = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    Reading.objects.bulk_create([Reading(sensor=s, time=t, value=1.0) for s in Sensor.objects.all()])
    operator = user("o2", enterprise=world["e2"], region=world["a"]["park"])
    assert list(scoped(Reading.objects.all(), operator).values_list("sensor__enterprise", flat=True)) == [
        world["e2"].pk
    ]


def test_personnel_positions_are_seen_by_their_enterprise_and_regional_emergency_roles_only(world):
    from geo.models import PersonnelTag

    PersonnelTag.objects.create(enterprise=world["e1"], code="TAG-1", holder="张三")
    PersonnelTag.objects.create(enterprise=world["e3"], code="TAG-3", holder="李四")
    province = world["a"]["province"]
    commander = user("cmd", region=province, role="emergency")
    regulator = user("reg", region=province, role="regulator")
    operator = user("op1", enterprise=world["e1"], region=world["a"]["park"], role="enterprise")
    assert names(scoped(PersonnelTag.objects.all(), commander), "code") == {"TAG-1"}
    assert scoped(PersonnelTag.objects.all(), regulator).count() == 0
    assert names(scoped(PersonnelTag.objects.all(), operator), "code") == {"TAG-1"}
