"""The child queues every change of a forwarded row in the change's own transaction, and sends the queue in order."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from acquisition import sm
from geo.audit import record
from geo.models import Alarm, Enterprise, Forward, HazardSource
from hierarchy import forward
from hierarchy.forward import ForwardQueue, resync
from tests import factories
from tests.hierarchy.conftest import registry


@pytest.fixture
def child(hierarchy, monkeypatch, tmp_path):
    """This database as the county's centre, with a parent."""
    key = tmp_path / "parent.pem"
    key.write_bytes(sm.public_key_pem(sm.generate_private_key().public_key()))
    monkeypatch.setenv("HAZMAP_PARENT_KEY", str(key))
    monkeypatch.setenv("HAZMAP_CENTRE_REGION", "310116")
    forward._paths.clear()
    return hierarchy


def queued() -> list[tuple[str, str]]:
    return list(Forward.objects.order_by("id").values_list("kind", "op"))


def test_without_a_parent_nothing_is_queued(hierarchy):
    registry(hierarchy.regions["park"])
    assert not Forward.objects.exists()


def test_every_registry_save_is_queued_as_the_row_is_stored_with_natural_keys(child):
    rows = registry(child.regions["park"])
    assert queued() == [
        ("substance", "upsert"),
        ("enterprise", "upsert"),
        ("hazard_source", "upsert"),
        ("equipment", "upsert"),
        ("hazard_source", "upsert"),  # regraded after its tank
    ]
    last = Forward.objects.order_by("id").last().change
    assert last["key"] == {"enterprise": rows.enterprise.credit_code, "code": "HS01"}
    assert last["ref"] == str(rows.source.pk)
    assert last["data"]["enterprise"] == {"credit_code": rows.enterprise.credit_code}
    assert (last["data"]["gb_grade"], last["data"]["registry_status"]) == (rows.source.gb_grade, "draft")
    tank = Forward.objects.get(kind="equipment").change["data"]
    assert tank["substance"] == {"cas": "7446-09-5"} and "inventory_kg" not in tank


def test_a_change_rolled_back_leaves_nothing_queued(child):
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.enterprise(child.regions["park"])
        assert Forward.objects.count() == 1  # queued inside the change's transaction …
        raise RuntimeError("the change fails")
    assert not Forward.objects.exists()  # … and gone with it


def test_deletes_are_queued_with_the_natural_key_the_row_had(child):
    rows = registry(child.regions["park"])
    Forward.objects.all().delete()
    rows.enterprise.delete()
    deletes = {f.kind: f.change for f in Forward.objects.filter(op="delete")}
    assert set(deletes) == {"enterprise", "hazard_source", "equipment"}
    assert deletes["equipment"]["key"] == {"enterprise": rows.enterprise.credit_code, "source": "HS01", "code": "T1"}
    assert "data" not in deletes["enterprise"]


def test_rows_outside_the_centres_region_are_not_forwarded_substances_are(child):
    registry(child.other_county)
    assert queued() == [("substance", "upsert")]


def test_alarms_and_audit_entries_are_forwarded(child):
    rows = registry(child.regions["park"])
    Forward.objects.all().delete()
    alarm = Alarm.objects.create(enterprise=rows.enterprise, kind="offline", started_at="2025-05-01T08:00:00Z")
    alarm.state = "seen"
    alarm.save()
    record(None, "alarm.see", alarm, actor_name="bob")
    assert queued() == [("alarm", "upsert"), ("alarm", "upsert"), ("audit", "upsert")]
    assert Forward.objects.filter(kind="alarm").last().change["data"]["state"] == "seen"


def test_the_queue_sends_in_order_and_never_passes_over_a_change_committed_late(child):
    for serial in (1, 2, 3):
        factories.enterprise(child.regions["park"], serial=serial)
    # the first change's transaction drew its id before the others and commits after they were read
    late = Forward.objects.order_by("id").first()
    late_id, late_change = late.id, late.change
    late.delete()
    queue = ForwardQueue()
    first = queue.pending(0)
    assert len(first) == 2 and [c.seq for c in first] == sorted(c.seq for c in first)
    Forward.objects.create(id=late_id, kind="enterprise", op="upsert", ref=late_change["ref"], change=late_change)
    after = queue.pending(first[-1].seq)
    assert [c.seq for c in after] == [first[-1].seq + 1]
    assert Forward.objects.get(pk=late_id).position == first[-1].seq + 1
    queue.delete([c.seq for c in first + after])
    assert not Forward.objects.exists() and queue.pending(0) == []


def test_each_change_sent_carries_its_number_for_the_parents_ordering(child):
    factories.enterprise(child.regions["park"])
    (chunk,) = ForwardQueue().pending(0)
    change = json.loads(chunk.body)
    assert change["n"] == Forward.objects.get().id and change["kind"] == "enterprise"


def test_a_resync_queues_every_row_of_the_region_in_dependency_order(child, monkeypatch):
    monkeypatch.delenv("HAZMAP_PARENT_KEY")
    registry(child.regions["park"])
    registry(child.other_county, serial=2)
    monkeypatch.setenv("HAZMAP_PARENT_KEY", "set")
    counts = resync()
    assert counts == {
        "substance": 1,
        "enterprise": 1,
        "hazard_source": 1,
        "equipment": 1,
        "alarm": 0,
        "audit": 0,
        "summary": 1,  # the region's summary, made now
    }
    assert [k for k, _ in queued()] == ["substance", "enterprise", "hazard_source", "equipment", "summary"]
    assert Forward.objects.get(kind="enterprise").ref == str(Enterprise.objects.get(region__code="310116P01").pk)
    assert HazardSource.objects.count() == 2


def test_a_city_forwards_what_its_county_sent_it_as_rows_of_its_own(child, monkeypatch, numbers):
    """This database as the city (region 310100, with a parent) applying its county's changes."""
    from hierarchy.receive import apply_changes
    from tests.hierarchy.conftest import change_of

    monkeypatch.delenv("HAZMAP_PARENT_KEY")
    rows = registry(child.regions["park"])
    changes = [change_of(row, numbers) for row in (rows.enterprise, rows.source)]
    rows.enterprise.delete()
    monkeypatch.setenv("HAZMAP_PARENT_KEY", "set")
    monkeypatch.setenv("HAZMAP_CENTRE_REGION", "310100")
    apply_changes(child.child, changes)
    sent = Forward.objects.order_by("id")
    assert [(f.kind, f.ref) for f in sent][:2] == [
        ("enterprise", str(Enterprise.objects.get().pk)),
        ("hazard_source", str(HazardSource.objects.get().pk)),
    ]
