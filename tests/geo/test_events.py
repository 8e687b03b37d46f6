"""Feature changes are published with the feature's scope and read back only by those who may see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point

from geo import events
from geo.models import Event, PersonnelTag, User
from tests.factories import LAT, LON, enterprise, region_chain, sensor

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a, b = region_chain("310000", "甲"), region_chain("320000", "乙")
    e1 = enterprise(a["park"], serial=1)
    e2 = enterprise(b["park"], serial=2, lon=LON + 0.02)
    return {"a": a, "b": b, "s1": sensor(e1), "s2": sensor(e2, tag="LT-2"), "e1": e1}


def test_a_published_event_carries_the_features_scope(world):
    event = events.publish("sensors", world["s1"], {"value": 42.0, "time": dt.datetime(2026, 11, 22, tzinfo=dt.UTC)})
    stored = Event.objects.get(pk=event.pk)
    assert (stored.collection, stored.feature_id, stored.region_path, stored.enterprise_id) == (
        "sensors",
        world["s1"].pk,
        "100000/310000/310100/310116/310116P01/",
        world["e1"].pk,
    )
    assert stored.properties == {"value": 42.0, "time": "2026-11-22T00:00:00Z"}
    assert stored.location == world["s1"].location


def test_a_user_reads_the_events_of_its_region_after_the_last_id_it_saw(world):
    first = events.publish("sensors", world["s1"], {"value": 1.0})
    events.publish("sensors", world["s2"], {"value": 2.0})
    third = events.publish("sensors", world["s1"], {"value": 3.0})
    viewer = User.objects.create(username="a", region=world["a"]["province"])
    assert list(events.since(0, viewer).values_list("id", flat=True)) == [first.id, third.id]
    assert list(events.since(first.id, viewer).values_list("id", flat=True)) == [third.id]


def test_events_can_be_limited_to_a_bounding_box(world):
    events.publish("sensors", world["s1"], {"value": 1.0})
    root = User.objects.create(username="root", is_superuser=True)
    assert events.since(0, root, bbox=(LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.001)).count() == 1
    assert events.since(0, root, bbox=(LON + 1, LAT, LON + 2, LAT + 1)).count() == 0


def test_position_events_reach_the_enterprise_and_emergency_roles_not_every_regulator(world):
    tag = PersonnelTag.objects.create(enterprise=world["e1"], code="TAG-1", holder="张三")
    events.publish("personnel", tag, {"sos": True}, location=Point(LON, LAT, srid=4326))
    province = world["a"]["province"]
    assert events.since(0, User.objects.create(username="c", region=province, role="emergency")).count() == 1
    assert events.since(0, User.objects.create(username="r", region=province, role="regulator")).count() == 0
    operator = User.objects.create(username="o", enterprise=world["e1"], region=world["a"]["park"], role="enterprise")
    assert events.since(0, operator).count() == 1


def test_old_events_are_pruned(world):
    now = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    old = events.publish("sensors", world["s1"], {"value": 1.0})
    Event.objects.filter(pk=old.pk).update(time=now - dt.timedelta(hours=25))
    recent = events.publish("sensors", world["s1"], {"value": 2.0})
    Event.objects.filter(pk=recent.pk).update(time=now - dt.timedelta(hours=23))
    assert events.prune(now=now, hours=24) == 1
    assert list(Event.objects.values_list("id", flat=True)) == [recent.id]


def test_a_batch_is_stored_in_its_order_like_events_published_one_by_one(world):
    tag = PersonnelTag.objects.create(enterprise=world["e1"], code="TAG-1", holder="张三")
    moment = dt.datetime(2026, 11, 22, 8, 30, 15, 250_000, tzinfo=dt.UTC)
    before = events.publish("sensors", world["s2"], {"value": 0.5}).id
    batch = [
        events.event_for("sensors", world["s1"], {"value": 42.0, "time": moment}),
        events.event_for(
            "personnel", tag, {"sos": True, "holder": "张三"}, location=Point(LON + 0.001, LAT, srid=4326)
        ),
        events.event_for("sensors", world["s2"], {}, action=Event.Action.DELETE, location=None),
    ]
    batch[2].location = None  # a feature without a place
    assert events.publish_many(batch) == 3
    stored = list(Event.objects.filter(id__gt=before).order_by("id"))
    assert [(e.collection, e.feature_id, e.action, e.properties) for e in stored] == [
        ("sensors", world["s1"].pk, "update", {"value": 42.0, "time": "2026-11-22T08:30:15.250Z"}),
        ("personnel", tag.pk, "update", {"sos": True, "holder": "张三"}),
        ("sensors", world["s2"].pk, "delete", {}),
    ]
    assert [e.time for e in stored] == [e.time for e in batch]
    assert [(e.region_path, e.enterprise_id, e.regional_roles) for e in stored] == [
        (b.region_path, b.enterprise_id, b.regional_roles) for b in batch
    ]
    assert stored[0].location == world["s1"].location
    assert stored[1].location.coords == pytest.approx((LON + 1e-3, LAT))
    assert stored[2].location is None
    assert events.publish_many([]) == 0


def test_a_row_of_event_row_is_stored_as_the_same_event_made_by_event_for(world):
    tag = PersonnelTag.objects.create(enterprise=world["e1"], code="TAG-2", holder="李四")
    moment = dt.datetime(2026, 11, 22, 8, 30, 15, tzinfo=dt.UTC)
    properties = {"sos": False, "position_time": moment, "floor": None}
    made = events.event_for("personnel", tag, properties, location=Point(LON, LAT + 0.002, srid=4326))
    made.time = moment
    before = events.publish("sensors", world["s2"], {"value": 0.5}).id
    assert events.publish_many([made]) == 1
    assert events.publish_rows([events.event_row("personnel", tag, properties, LON, LAT + 0.002, moment)]) == 1
    first, second = Event.objects.filter(id__gt=before).order_by("id")
    fields = ("time", "collection", "feature_id", "action", "properties", "region_path", "enterprise_id")
    assert [getattr(second, f) for f in fields] == [getattr(first, f) for f in fields]
    assert second.regional_roles == first.regional_roles
    assert first.location.coords == pytest.approx((LON, LAT + 0.002))
    assert second.location.coords == pytest.approx(first.location.coords)
    assert second.properties == {"sos": False, "position_time": "2026-11-22T08:30:15Z", "floor": None}
