"""Every save and delete of a registry model publishes an event for the live stream and the tile versions."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from geo import events
from geo.models import Event, HazardSource, Sensor
from layers.registry import COLLECTIONS
from tests.factories import sensor

pytestmark = pytest.mark.django_db

# For each collection: a row of province A (a key of every_collection) and an attribute edited through the ORM.
EDITS = {
    "regions": (lambda w: w["a"]["park"], "name", "name", "甲化工园区（新）"),
    "enterprises": (lambda w: w["e1"], "name", "name", "测试化工有限公司（新）"),
    "hazard-sources": (lambda w: w["source"], "name", "name", "HS01 新罐区"),
    "equipment": (lambda w: w["tank"], "name", "name", "T1 新储罐"),
    "sensors": (lambda w: w["gas"], "name", "name", "AT-201 可燃气体"),
    "alarms": (lambda w: w["alarm"], "message", "message", "LT-101 液位高报"),
    "personnel": (lambda w: w["person"], "holder", "holder", "张三丰"),
    "fences": (lambda w: w["rows_of"]("fences"), "name", "name", "罐区禁区（新）"),
    "layout-features": (lambda w: w["rows_of"]("layout-features"), "name", "name", "T1 储罐（新）"),
    "consequence-zones": (lambda w: w["rows_of"]("consequence-zones"), "max_distance_m", "max_distance_m", 250.0),
    "emergency-resources": (lambda w: w["rows_of"]("emergency-resources"), "name", "name", "园区消防站（新）"),
    "sensitive-targets": (lambda w: w["rows_of"]("sensitive-targets"), "name", "name", "学校（新）"),
}


@pytest.fixture
def rows(every_collection):
    def rows_of(collection_id: str):
        (pk,) = every_collection["rows"]["a"][collection_id]
        return COLLECTIONS[collection_id].model.objects.get(pk=pk)

    every_collection["rows_of"] = rows_of
    return every_collection


def test_every_collection_has_an_edit_here():
    assert set(EDITS) == set(COLLECTIONS)


@pytest.mark.parametrize("collection_id", sorted(EDITS))
def test_saving_a_row_publishes_its_new_attributes_in_its_scope(
    collection_id, rows, django_capture_on_commit_callbacks
):
    row_of, field, attribute, value = EDITS[collection_id]
    model = COLLECTIONS[collection_id].model
    row = model.objects.get(pk=row_of(rows).pk)
    latest = events.since(0, rows["users"]["root"]).last()
    with django_capture_on_commit_callbacks(execute=True):
        setattr(row, field, value)
        row.save()
    published = list(Event.objects.filter(id__gt=latest.id if latest else 0, collection=collection_id))
    assert [(e.feature_id, e.action) for e in published] == [(row.pk, "update")]
    event = published[0]
    assert event.properties[attribute] == value
    assert COLLECTIONS[collection_id].geometry_field not in event.properties
    geometry: GEOSGeometry = getattr(row, COLLECTIONS[collection_id].geometry_field)
    assert event.location.intersects(geometry)
    seen_by_a = events.since(0, rows["users"]["commander"]).filter(pk=event.pk).exists()
    seen_by_b = events.since(0, rows["users"]["commander_b"]).filter(pk=event.pk).exists()
    assert (seen_by_a, seen_by_b) == (True, False)


def test_creating_and_deleting_a_row_publish_create_and_delete_with_the_rows_scope(
    rows, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = sensor(rows["e1"], tag="TT-301", kind="temperature", unit="°C")
    created = Event.objects.get(collection="sensors", feature_id=new.pk)
    assert (created.action, created.properties["tag"], created.properties["unit"]) == ("create", "TT-301", "°C")
    pk = new.pk
    with django_capture_on_commit_callbacks(execute=True):
        new.delete()
    deleted = Event.objects.get(collection="sensors", feature_id=pk, action="delete")
    assert (deleted.properties, deleted.enterprise_id, deleted.region_path) == (
        {},
        rows["e1"].pk,
        rows["a"]["park"].path,
    )
    assert deleted.location == new.location
    assert events.since(created.id, rows["users"]["operator"]).get() == deleted
    assert not events.since(0, rows["users"]["outsider"]).filter(collection="sensors").exists()


def test_a_cascade_publishes_the_delete_of_every_row_it_takes(rows, django_capture_on_commit_callbacks):
    """Deleting enterprise e2 takes its unit, tank, sensor, alarm, tag and fence with it."""
    taken = {
        c: rows["rows"]["b"][c] for c in ("hazard-sources", "equipment", "sensors", "alarms", "personnel", "fences")
    }
    e2 = rows["e2"].pk
    with django_capture_on_commit_callbacks(execute=True):
        rows["e2"].delete()
    gone = Event.objects.filter(action="delete")
    assert set(gone.values_list("collection", "feature_id")) >= {
        ("enterprises", e2),
        *((c, pk) for c, pks in taken.items() for pk in pks),
    }
    assert all(event.region_path == rows["b"]["park"].path for event in gone)


def test_a_change_rolled_back_publishes_nothing(rows, django_capture_on_commit_callbacks):
    before = Event.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            rows["gas"].name = "回滚"
            rows["gas"].save()
            raise RuntimeError("rolled back")
    assert Event.objects.count() == before


def test_a_save_is_published_only_when_its_transaction_commits(rows, django_capture_on_commit_callbacks):
    """The event's id is drawn after the change is visible: a tile at that version holds the change."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows["gas"].name = "提交后发布"
        rows["gas"].save()
        assert not Event.objects.filter(collection="sensors").exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert Event.objects.get(collection="sensors").properties["name"] == "提交后发布"


def test_regrading_a_unit_publishes_its_new_grade(rows, django_capture_on_commit_callbacks):
    """An edit of a tank regrades its unit (a bulk-free save): the unit's grade reaches the map too."""
    tank = rows["tank"]
    with django_capture_on_commit_callbacks(execute=True):
        tank.design_max_kg = 2 * tank.design_max_kg
        tank.save()
    source = HazardSource.objects.get(pk=rows["source"].pk)
    unit = Event.objects.filter(collection="hazard-sources", feature_id=source.pk).latest("id")
    assert (unit.properties["gb_s"], unit.properties["grade"]) == (source.gb_s, source.gb_grade)
    assert Event.objects.filter(collection="equipment", feature_id=tank.pk).exists()


def test_ingests_bulk_updates_send_no_signal(rows, django_capture_on_commit_callbacks):
    """QuerySet.update writes without save(): acquisition's ingest publishes those changes itself."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Sensor.objects.filter(pk=rows["gas"].pk).update(value=3.5)
    assert callbacks == []


def test_renaming_a_substance_publishes_the_equipment_whose_tiles_show_its_name(
    rows, django_capture_on_commit_callbacks
):
    chlorine = rows["tank"].substance
    holding = {rows["tank"].pk, *rows["rows"]["b"]["equipment"]}  # both tanks hold chlorine
    with django_capture_on_commit_callbacks(execute=True):
        chlorine.name_cn = "液氯"
        chlorine.save()
    published = Event.objects.filter(collection="equipment", action="update")
    assert {e.feature_id for e in published} == holding
    assert {e.properties["substance_name"] for e in published} == {"液氯"}
    assert {e.enterprise_id for e in published} == {rows["e1"].pk, rows["e2"].pk}  # each with its own scope


def test_publishing_many_rows_takes_three_statements_whatever_their_number(rows, django_assert_num_queries):
    """A cascade or a renamed substance publishes its rows together: one read of the attributes, one of the
    rows with their scope, one insert."""
    from layers import signals

    for i in range(12):
        sensor(rows["e1"], tag=f"PT-{i:02d}", kind="pressure", unit="MPa")
    pks = list(Sensor.objects.values_list("pk", flat=True))
    with django_assert_num_queries(3):
        published = signals.publish_stored(COLLECTIONS["sensors"], pks, "update")
    assert sorted(e.feature_id for e in published) == sorted(pks)
    assert all(e.region_path for e in published)
