"""The parent applies a child centre's changes: idempotent, in order, deletes too, nothing outside the child's region.

The child's rows are made here, written down as the child sends them (``hierarchy.kinds``), and
removed, so that this database plays the parent that does not hold them yet.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.db.models.signals import post_save

from geo.audit import record
from geo.models import Alarm, AuditEntry, Enterprise, Equipment, HazardSource, Replica, Substance
from hierarchy.kinds import DELETE, KINDS
from hierarchy.receive import apply_changes
from tests import factories
from tests.hierarchy.conftest import change_of, registry


def dumped(row) -> dict:
    """A row as the child would send it (natural keys instead of ids): equal dumps are equal rows."""
    kind = next(k for k in KINDS.values() if isinstance(row, k.model))
    return kind.dump(kind.stored(row.pk))


@pytest.fixture
def sent(hierarchy, numbers):
    """The county's registry as its changes, in the order the child sends them, and what they were.

    The source comes again after its tank, as at the child: a tank's save regrades its source.
    """
    rows = registry(hierarchy.regions["park"])
    order = (rows.substance, rows.enterprise, rows.source, rows.tank, rows.source)
    changes = [change_of(row, numbers) for row in order]
    expected = {"enterprise": dumped(rows.enterprise), "source": dumped(rows.source), "tank": dumped(rows.tank)}
    rows.enterprise.delete()  # the parent does not hold them yet (the substance it does: shared reference data)
    return changes, expected


class Saves:
    """Counts the saves of forwarded models while it is open."""

    def __enter__(self):
        self.count = 0
        post_save.connect(self.saved, dispatch_uid="test-count-saves")
        return self

    def saved(self, sender, **_kwargs) -> None:
        if sender in (Enterprise, HazardSource, Equipment, Substance, Alarm):
            self.count += 1

    def __exit__(self, *exc) -> None:
        post_save.disconnect(dispatch_uid="test-count-saves")


def registry_rows():
    return Enterprise.objects.get(), HazardSource.objects.get(), Equipment.objects.get()


def test_a_childs_registry_arrives_as_it_was_with_grade_and_registry_status(hierarchy, sent):
    changes, expected = sent
    outcome = apply_changes(hierarchy.child, changes)
    assert (outcome.applied, outcome.stale, outcome.refused) == (5, 0, [])
    enterprise, source, tank = registry_rows()
    assert dumped(enterprise) == expected["enterprise"]
    assert dumped(source) == expected["source"]
    assert dumped(tank) == expected["tank"]
    # 150 t of sulphur dioxide (GB 18218-2018 Table 1 row 4, Q = 20 t) in a park of 60 residents: S = 7.5
    assert source.gb_s == pytest.approx(7.5) and source.is_major


def test_the_same_changes_again_change_nothing(hierarchy, sent):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    before = [dumped(row) for row in registry_rows()]
    with Saves() as saves:
        outcome = apply_changes(hierarchy.child, changes)
    assert (outcome.applied, outcome.stale) == (0, 5)
    assert saves.count == 0
    assert [dumped(row) for row in registry_rows()] == before
    assert (Enterprise.objects.count(), HazardSource.objects.count(), Equipment.objects.count()) == (1, 1, 1)


def test_a_resync_sends_the_same_rows_under_new_numbers_and_nothing_is_saved(hierarchy, sent):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    again = [dict(change, n=change["n"] + 100) for change in changes]
    with Saves() as saves:
        outcome = apply_changes(hierarchy.child, again)
    assert (outcome.applied, outcome.stale, outcome.refused) == (5, 0, [])
    assert saves.count == 0


def test_rows_the_parent_already_holds_are_adopted_by_natural_key_not_doubled(hierarchy, numbers):
    rows = registry(hierarchy.regions["park"])
    changes = [change_of(row, numbers) for row in (rows.substance, rows.enterprise, rows.source, rows.tank)]
    outcome = apply_changes(hierarchy.child, changes)
    assert (outcome.applied, outcome.refused) == (4, [])
    assert (Enterprise.objects.count(), HazardSource.objects.count(), Equipment.objects.count()) == (1, 1, 1)
    assert Replica.objects.get(kind="hazard_source").local_id == rows.source.pk


def test_a_later_change_wins_and_an_older_copy_arriving_after_it_changes_nothing(hierarchy, sent, numbers):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    first = dict(changes[1], n=numbers(), data=dict(changes[1]["data"], name="旧名称"))
    second = dict(changes[1], n=numbers(), data=dict(changes[1]["data"], name="新名称"))
    apply_changes(hierarchy.child, [first, second])
    assert Enterprise.objects.get().name == "新名称"
    outcome = apply_changes(hierarchy.child, [first])  # sent again after a slow acknowledgement
    assert outcome.stale == 1
    assert Enterprise.objects.get().name == "新名称"


def test_a_renamed_hazard_source_is_the_same_row_under_its_new_code(hierarchy, sent, numbers):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    renamed = dict(changes[2], n=numbers(), key={**changes[2]["key"], "code": "HS99"})
    renamed["data"] = dict(changes[2]["data"], code="HS99")
    assert apply_changes(hierarchy.child, [renamed]).applied == 1
    assert list(HazardSource.objects.values_list("code", flat=True)) == ["HS99"]
    assert Equipment.objects.get().hazard_source.code == "HS99"


def test_deletes_are_forwarded_and_a_delete_again_or_an_older_upsert_after_it_changes_nothing(hierarchy, sent, numbers):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    tank_change = changes[3]
    delete = {"kind": "equipment", "op": DELETE, "ref": tank_change["ref"], "key": tank_change["key"], "n": numbers()}
    assert apply_changes(hierarchy.child, [delete]).applied == 1
    assert not Equipment.objects.exists()
    assert Replica.objects.get(kind="equipment").local_id is None
    assert apply_changes(hierarchy.child, [dict(delete, n=numbers())]).applied == 1  # nothing left to delete
    assert apply_changes(hierarchy.child, [tank_change]).stale == 1  # the old upsert does not bring it back
    assert not Equipment.objects.exists()


def test_deleting_an_enterprise_removes_its_sources_and_equipment(hierarchy, sent, numbers):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    gone = {"kind": "enterprise", "op": DELETE, "ref": changes[1]["ref"], "key": changes[1]["key"], "n": numbers()}
    apply_changes(hierarchy.child, [gone])
    assert (Enterprise.objects.count(), HazardSource.objects.count(), Equipment.objects.count()) == (0, 0, 0)


def test_rows_outside_the_childs_region_are_refused_recorded_and_nothing_of_them_applied(hierarchy, numbers):
    elsewhere = registry(hierarchy.other_county, serial=2)
    changes = [change_of(row, numbers) for row in (elsewhere.enterprise, elsewhere.source)]
    elsewhere.enterprise.delete()
    outcome = apply_changes(hierarchy.child, changes)
    assert outcome.applied == 0 and len(outcome.refused) == 2
    assert "lies in region 100000/310000/310100/310117/, outside child centre 310116's" in outcome.refused[0]
    assert not Enterprise.objects.exists()
    entries = AuditEntry.objects.filter(action="hierarchy.apply", outcome="refused").order_by("id")
    assert [(e.actor_name, e.detail["code"], e.region.code) for e in entries] == [
        ("310116", "OutsideRegion", "310116"),
        ("310116", "UnknownReference", "310116"),  # its enterprise was not applied
    ]


def test_a_child_cannot_take_over_or_move_out_a_row_of_another_region(hierarchy, numbers):
    theirs = registry(hierarchy.other_county, serial=3)  # the parent's row of another county
    claim = change_of(theirs.enterprise, numbers)
    claim["data"]["region"] = {"code": "310116P01"}
    claim["data"]["name"] = "被改名"
    outcome = apply_changes(hierarchy.child, [claim])
    assert "outside child centre 310116's" in outcome.refused[0]
    assert Enterprise.objects.get().name == theirs.enterprise.name
    ours = registry(hierarchy.regions["park"], serial=4)
    move = change_of(ours.enterprise, numbers)
    apply_changes(hierarchy.child, [move])
    move = dict(move, n=numbers(), data=dict(move["data"], region={"code": "310117"}))
    assert "outside child centre 310116's" in apply_changes(hierarchy.child, [move]).refused[0]
    assert Enterprise.objects.get(pk=ours.enterprise.pk).region.code == "310116P01"


def test_a_change_the_model_refuses_is_refused_alone_with_the_models_reason(hierarchy, sent, numbers):
    changes, _ = sent
    bad = dict(changes[1], n=numbers(), data=dict(changes[1]["data"], credit_code="91310116000000001"))
    outcome = apply_changes(hierarchy.child, [changes[0], bad])
    assert outcome.applied == 1 and len(outcome.refused) == 1
    assert "credit code" in outcome.refused[0]
    assert AuditEntry.objects.get(outcome="refused").detail["code"] == "InvalidValue"


def test_an_unknown_kind_is_refused_and_the_other_changes_applied(hierarchy, sent, numbers):
    changes, _ = sent
    weather = {"kind": "weather", "op": "upsert", "ref": "1", "n": numbers(), "data": {}}
    outcome = apply_changes(hierarchy.child, [weather, *changes])
    assert outcome.applied == 5 and outcome.refused == ["rows of kind 'weather' are not known to this centre"]


def test_a_substance_the_parent_holds_is_left_as_it_is_and_one_it_lacks_is_created(hierarchy, numbers):
    held = factories.substance(name="氯", cas="7782-50-5", seq=7)
    theirs = change_of(held, numbers)
    theirs["data"]["name_en"] = "changed by the child"
    new = change_of(factories.substance(name="氨", cas="7664-41-7", seq=12), numbers)
    Substance.objects.filter(cas="7664-41-7").delete()
    outcome = apply_changes(hierarchy.child, [theirs, new])
    assert outcome.applied == 2
    held.refresh_from_db()
    assert held.name_en == ""
    assert Substance.objects.get(cas="7664-41-7").gb18218_seq == 12
    gone = {"kind": "substance", "op": DELETE, "ref": theirs["ref"], "key": theirs["key"], "n": numbers()}
    apply_changes(hierarchy.child, [gone])
    assert Substance.objects.filter(pk=held.pk).exists()


def test_alarms_are_known_by_child_and_child_alarm_id_and_follow_their_handling_state(hierarchy, sent, numbers):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    source = HazardSource.objects.get()
    started = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)
    alarm = Alarm.objects.create(
        enterprise=source.enterprise,
        hazard_source=source,
        kind="hihi",
        level=2,
        value=96.5,
        threshold=95.0,
        unit="%",
        started_at=started,
        location=Point(factories.LON, factories.LAT, srid=4326),
        message="T1-LT1 液位高高报警",
    )
    raised = change_of(alarm, numbers)
    alarm.delete()
    other_child = hierarchy.child.__class__("310116P01", hierarchy.regions["park"])
    apply_changes(hierarchy.child, [raised])
    apply_changes(other_child, [raised])  # the same id at another child is another alarm
    assert Alarm.objects.count() == 2
    closed = dict(raised, n=numbers(), data=dict(raised["data"], state="closed", closed_at=started.isoformat()))
    apply_changes(hierarchy.child, [closed])
    ours = Alarm.objects.get(pk=Replica.objects.get(origin="310116", kind="alarm").local_id)
    assert (ours.state, ours.closed_at, ours.hazard_source_id, ours.sensor_id) == ("closed", started, source.pk, None)
    assert (ours.value, ours.threshold, ours.region.code) == (96.5, 95.0, "310116P01")


def test_audit_entries_arrive_once_with_their_time_actor_and_object(hierarchy, sent, numbers):
    changes, _ = sent
    apply_changes(hierarchy.child, changes)
    source = HazardSource.objects.get()
    step = record(None, "registry.register", source, actor_name="alice", reason="备案")
    step_change = change_of(step, numbers)
    step_change["data"]["object_id"] = changes[2]["ref"]  # the child's id of the source
    step.delete()
    apply_changes(hierarchy.child, [step_change, dict(step_change, n=numbers())])
    entry = AuditEntry.objects.get(action="registry.register")
    assert entry.actor_name == "310116/alice" and entry.actor is None
    assert (entry.object_type, entry.object_id) == ("geo.hazardsource", str(source.pk))
    assert entry.time.isoformat() == step_change["data"]["time"].replace("Z", "+00:00")
    assert entry.detail == {"centre": "310116", "origin_id": step_change["ref"]}
