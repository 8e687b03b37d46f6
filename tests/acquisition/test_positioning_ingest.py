"""Positions into the database (acquisition.positioning.ingest): track, last position, alarms, events.

The test park: one enterprise with a 400 m square site; fences drawn in metres east and north of the
site's centre: a restricted area (0..20, 0..20) of a toxic unit, a hazardous area (-60..-20, 0..40)
that holds at most 3 people. Tags report once a second; times are seconds after T0, an hour ago.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone, translation

from acquisition.directory import Scope
from acquisition.models import FenceRule, PlantGrid
from acquisition.positioning import messages
from acquisition.positioning import track as positioning_track
from acquisition.positioning.ingest import Positioning
from geo.demo.frame import LocalFrame
from geo.models import Alarm, Event, Fence, PersonnelTag, Position
from tests import factories

pytestmark = pytest.mark.django_db

T0 = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)


class Park:
    def __init__(self) -> None:
        regions = factories.region_chain()
        self.enterprise = factories.enterprise(regions["park"], serial=1)
        self.other = factories.enterprise(regions["park"], serial=2, lon=factories.LON + 0.02)
        self.source = factories.hazard_source(self.enterprise)
        centre = self.enterprise.site.centroid
        self.frame = LocalFrame(centre.x, centre.y)
        self.restricted = self.fence(
            "有毒气体限制区", "restricted", shapely.box(0, 0, 20, 20), hazard_source=self.source
        )
        self.hazardous = self.fence("罐区危险区域", "hazardous", shapely.box(-60, 0, -20, 40), max_people=3)
        self.tags = {
            code: PersonnelTag.objects.create(enterprise=self.enterprise, code=code, holder="张三", kind=kind)
            for code, kind in [(f"TAG-{n}", "person") for n in range(1, 9)] + [("VEH-1", "vehicle")]
        }
        self.outsider = PersonnelTag.objects.create(enterprise=self.other, code="TAG-OTHER", holder="李四")

    def fence(self, name: str, kind: str, shape, **fields) -> Fence:
        return Fence.objects.create(
            enterprise=self.enterprise, name=name, kind=kind, area=self.frame.polygon(shape), **fields
        )

    def fix(self, tag: str, t: float, x: float, y: float, **extra) -> dict:
        lon, lat = self.frame.lonlat(x, y)
        return {"tag": tag, "time": (T0 + dt.timedelta(seconds=t)).isoformat(), "lon": lon, "lat": lat, **extra}


@pytest.fixture
def park() -> Park:
    return Park()


def send(positioning: Positioning, items: list[dict], at: float, scope: Scope | None = None):
    fixes, refused = messages.parse(json.dumps(items))
    assert refused == {}
    kwargs = {"scope": scope} if scope else {}
    return positioning.ingest(fixes, now=T0 + dt.timedelta(seconds=at), **kwargs)


def walk(positioning: Positioning, park: Park, tag: str, track, **extra) -> None:
    for t, x, y in track:
        send(positioning, [park.fix(tag, t, x, y, **extra)], t)


def line(t0: int, t1: int, x0: float, x1: float, y: float = 10.0):
    return [(t, x0 + (x1 - x0) * (t - t0) / (t1 - t0), y) for t in range(t0, t1 + 1)]


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_walk_through_a_restricted_area_stores_the_track_and_one_alarm_from_entry_to_exit(park):
    positioning = Positioning()
    walk(positioning, park, "TAG-1", line(0, 50, -10.5, 39.5), battery_pct=80, moving=True)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.tag, alarm.fence, alarm.hazard_source) == (
        "fence_entry",
        park.tags["TAG-1"],
        park.restricted,
        park.source,
    )
    # entry confirmed by the second fix inside (x = 1.5 m at t = 12), exit by the second beyond the 3 m band
    # (x = 24.5 m at t = 35)
    assert (alarm.started_at, alarm.ended_at, alarm.enterprise, alarm.state) == (at(12), at(35), park.enterprise, "new")
    assert alarm.message == "TAG-1 entered the restricted area 有毒气体限制区"
    assert Position.objects.filter(tag=park.tags["TAG-1"]).count() == 51
    tag = PersonnelTag.objects.get(code="TAG-1")
    assert (tag.position_time, tag.battery_pct, tag.moving, tag.sos) == (at(50), 80.0, True, False)
    assert tag.location.distance(park.frame.points([(39.5, 10.0)])[0]) < 1e-7


def test_an_alarm_raised_in_chinese_the_centres_language_reads_in_chinese(park):
    with translation.override("zh-hans"):  # the language of the MQTT listener's and the simulator's threads
        walk(Positioning(), park, "TAG-1", line(0, 20, -10.5, 9.5))
    assert Alarm.objects.get().message == "TAG-1 闯入限制区域 有毒气体限制区"


def test_positions_sent_again_and_out_of_order_change_nothing(park):
    positioning = Positioning()
    walk(positioning, park, "TAG-1", line(0, 50, -10.5, 39.5))
    track = [park.fix("TAG-1", t, x, y) for t, x, y in line(0, 50, -10.5, 39.5)]
    before = list(Alarm.objects.values_list("kind", "started_at", "ended_at"))
    again = send(positioning, track[::-1], 60)  # every fix again, newest first
    assert (again.accepted, again.late, again.raised, again.cleared, again.refused) == (0, 51, 0, 0, {})
    assert list(Alarm.objects.values_list("kind", "started_at", "ended_at")) == before
    assert Position.objects.count() == 51
    assert PersonnelTag.objects.get(code="TAG-1").position_time == at(50)


def test_one_message_holding_a_walk_out_of_order_gives_the_same_alarm(park):
    positioning = Positioning()
    track = [park.fix("TAG-1", t, x, y) for t, x, y in line(0, 50, -10.5, 39.5)]
    result = send(positioning, track[25:] + track[:25], 50)
    assert (result.accepted, result.raised, result.cleared) == (51, 1, 1)
    assert list(Alarm.objects.values_list("started_at", "ended_at")) == [(at(12), at(35))]


def test_unknown_tags_far_away_positions_and_teleports_are_refused_without_alarms(park):
    positioning = Positioning()
    walk(positioning, park, "TAG-1", [(t, -100.0, 10.0) for t in range(0, 3)])
    result = send(
        positioning,
        [
            park.fix("TAG-404", 3, 10.0, 10.0),
            park.fix("TAG-2", 3, 2000.0, 10.0),  # 1.8 km outside the site
            park.fix("TAG-1", 3, 10.0, 10.0),  # 110 m in one second
            park.fix("TAG-OTHER", 3, 10.0, 10.0),  # another enterprise's tag, sent on this one's topic
        ],
        3,
        scope=Scope(enterprise_id=park.enterprise.pk),
    )
    assert result.refused == {
        "TAG-404": "no such tag for this sender",
        "TAG-2": "the position is far outside the enterprise's site",
        "TAG-1": "the tag cannot have moved there so fast",
        "TAG-OTHER": "no such tag for this sender",
    }
    assert (result.accepted, Alarm.objects.count(), Position.objects.count()) == (0, 0, 3)


def test_a_position_ahead_of_the_centres_clock_is_refused(park):
    result = send(Positioning(), [park.fix("TAG-1", 3600, 0.0, 0.0)], 0)
    assert result.refused == {"TAG-1": "the time is ahead of the centre's clock"}


def test_six_people_within_15_m_for_61_s_raise_one_crowd_alarm_that_clears_once_they_walk_apart(park):
    positioning = Positioning()
    ring = [(0.0, 10.0), (8.7, 5.0), (8.7, -5.0), (0.0, -10.0), (-8.7, -5.0), (-8.7, 5.0)]  # 10 m round (0, 100)
    for t in range(0, 80):
        spread = 1.0 if t < 62 else 1.0 + 0.4 * (t - 61)  # from t = 62 they walk apart at 4 m/s
        items = [park.fix(f"TAG-{i + 1}", t, dx * spread, 100.0 + dy * spread) for i, (dx, dy) in enumerate(ring)]
        send(positioning, items, t)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.level, alarm.value, alarm.threshold, alarm.tag, alarm.fence) == (
        "crowd",
        1,
        6.0,
        5.0,
        None,
        None,
    )
    # more than 1 minute after first seen (t = 0); at t = 63 the ring is 18 m and no 15 m disc holds five
    assert (alarm.started_at, alarm.ended_at) == (at(61), at(73))
    assert alarm.message == "6 people gathered within 15 m for more than 60 s (outside any fence)"
    assert alarm.location.distance(park.frame.points([(0.0, 100.0)])[0]) < 1e-5


def test_over_crowding_of_an_area_uses_the_fences_maximum(park):
    positioning = Positioning()
    for t in range(0, 15):
        send(positioning, [park.fix(f"TAG-{i}", t, -42.0 + 4 * i, 20.0) for i in range(1, 5)], t)
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.fence, alarm.value, alarm.threshold, alarm.started_at) == (
        "overcrowd",
        park.hazardous,
        4.0,
        3.0,
        at(11),
    )
    assert alarm.message == "罐区危险区域: 4 people inside (at most 3)"


def test_a_restarted_centre_clears_an_alarm_raised_before_once_and_does_not_raise_it_again(park):
    walk(Positioning(), park, "TAG-1", line(0, 15, -10.5, 4.5))
    assert Alarm.objects.filter(ended_at__isnull=True).count() == 1
    restarted = Positioning()
    walk(restarted, park, "TAG-1", line(16, 20, 5.5, 9.5) + line(21, 35, 10.5, 38.5))
    assert list(Alarm.objects.values_list("kind", "started_at", "ended_at")) == [("fence_entry", at(12), at(29))]


def test_a_message_whose_transaction_fails_loses_no_alarm_the_next_messages_raise_it(park, monkeypatch):
    positioning = Positioning()
    track = line(0, 20, -10.5, 9.5)  # into the restricted area at x = 0 (t = 10.5)
    walk(positioning, park, "TAG-1", track[:11])

    def busy(rows):
        raise OperationalError("database is locked")  # what SQLite says when another writer holds it

    with monkeypatch.context() as patch:
        patch.setattr(positioning_track, "store", busy)
        for t, x, y in track[11:13]:  # the two fixes that would confirm the entry (t = 11, 12)
            with pytest.raises(OperationalError):
                send(positioning, [park.fix("TAG-1", t, x, y)], t)
    assert not Alarm.objects.exists() and Position.objects.count() == 11  # nothing of them was stored
    walk(positioning, park, "TAG-1", track[13:])
    # read again from the database (last position t = 10), the site confirms the entry with t = 13 and 14
    assert list(Alarm.objects.values_list("kind", "started_at", "ended_at")) == [("fence_entry", at(14), None)]


@pytest.mark.django_db(transaction=True)
def test_a_message_the_database_refuses_as_busy_is_tried_again_and_stored(monkeypatch):
    park = Park()
    positioning = Positioning()
    track = line(0, 20, -10.5, 9.5)
    walk(positioning, park, "TAG-1", track[:12])  # inside from t = 11: the next fix (t = 12) would confirm it
    store, calls = positioning_track.store, []

    def busy_once(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise OperationalError("database is locked")
        store(rows)

    monkeypatch.setattr(positioning_track, "store", busy_once)
    t, x, y = track[12]
    result = send(positioning, [park.fix("TAG-1", t, x, y)], t)
    assert (calls, result.accepted, result.refused) == ([1, 1], 1, {})  # stored at the second attempt
    assert Position.objects.count() == 13
    # read again from the database, the site has forgotten the vote of t = 11: t = 13 confirms the entry
    walk(positioning, park, "TAG-1", track[13:14])
    assert list(Alarm.objects.values_list("kind", "started_at")) == [("fence_entry", at(13))]


def test_deactivating_a_fence_clears_its_open_alarm_at_the_next_position(park):
    positioning = Positioning()
    walk(positioning, park, "TAG-1", line(0, 15, -10.5, 4.5))
    park.restricted.active = False
    park.restricted.save()
    positioning.forget()
    walk(positioning, park, "TAG-1", [(16, 5.5, 10.0)])
    assert list(Alarm.objects.values_list("started_at", "ended_at")) == [(at(12), at(16))]


def test_a_tag_assigned_to_the_restricted_area_enters_without_alarm(park):
    rule = FenceRule.objects.create(fence=park.restricted)
    rule.assigned_tags.add(park.tags["TAG-1"])
    walk(Positioning(), park, "TAG-1", line(0, 50, -10.5, 39.5))
    assert not Alarm.objects.exists()


def test_plant_grid_positions_are_placed_by_the_enterprises_grid(park):
    # the grid's origin at the site's centre, x pointing north: plant (10, 0) is 10 m north of the centre
    centre = park.enterprise.site.centroid
    PlantGrid.objects.create(enterprise=park.enterprise, origin=centre, x_bearing_deg=0.0)
    fix = {"tag": "TAG-1", "time": at(0).isoformat(), "x": 10.0, "y": 0.0}
    result = Positioning().ingest(messages.parse(json.dumps(fix))[0], now=at(0))
    assert result.accepted == 1
    assert PersonnelTag.objects.get(code="TAG-1").location.distance(park.frame.points([(0.0, 10.0)])[0]) < 1e-7


def test_plant_grid_positions_without_a_grid_are_refused(park):
    fixes, _ = messages.parse(json.dumps({"tag": "TAG-1", "time": at(0).isoformat(), "x": 1, "y": 2}))
    assert Positioning().ingest(fixes, now=at(0)).refused == {
        "TAG-1": "plant x/y given, but the enterprise has no plant grid"
    }


def test_positions_reach_the_live_stream_at_most_every_two_seconds_of_the_tags_time(park):
    positioning = Positioning()
    for n in range(0, 20):
        send(positioning, [park.fix("TAG-1", n * 0.25, -100.0, 10.0)], n * 0.25)
    send(positioning, [park.fix("TAG-1", 5.0, -100.0, 10.0, sos=True)], 5.0)  # SOS: at once
    events = Event.objects.filter(collection="personnel", feature_id=park.tags["TAG-1"].pk)
    assert [e.properties["position_time"] for e in events] == [
        at(s).isoformat().replace("+00:00", "Z") for s in (0, 2, 4, 5)
    ]
    assert events.last().enterprise_id == park.enterprise.pk and events.last().regional_roles == ",emergency,"


def test_fence_rule_settings_are_checked_with_clear_messages(park):
    with pytest.raises(ValidationError) as error:
        FenceRule(
            fence=park.hazardous,
            confirm_k=4,
            confirm_n=3,
            crowd_first_people=8,
            crowd_second_people=6,
            crowd_source="企业规定",
        ).full_clean()
    assert error.value.message_dict == {
        "confirm_k": ["Cannot be more than the number of fixes looked at (n)."],
        "crowd_second_people": ["Must be more than the first-level head-count."],
    }
    with pytest.raises(ValidationError) as error:
        FenceRule(fence=park.hazardous, crowd_first_people=5).full_clean()
    assert error.value.message_dict == {
        "crowd_source": ["Say where the crowd head-counts come from: no official values are published."]
    }


def test_crowd_levels_of_a_fence_rule_apply_inside_the_fence(park):
    FenceRule.objects.create(fence=park.hazardous, crowd_first_people=3, crowd_source="企业《人员聚集管理规定》2024")
    positioning = Positioning()
    for t in range(0, 63):
        send(positioning, [park.fix(f"TAG-{i}", t, -45.0 + 3 * i, 20.0) for i in range(1, 4)], t)
    alarm = Alarm.objects.get(kind="crowd")
    assert (alarm.fence, alarm.level, alarm.value, alarm.threshold, alarm.started_at) == (
        park.hazardous,
        1,
        3.0,
        3.0,
        at(61),
    )


def test_the_admin_refuses_assigning_another_enterprises_tag_to_a_fence(park, admin_client):
    response = admin_client.post(
        "/admin/acquisition/fencerule/add/",
        {
            "fence": park.restricted.pk,
            "entry_alarm": "on",
            "assigned_tags": [park.outsider.pk],
            "people_deadband": 0,
            "dwell_s": 10,
            "edge_m": 3,
            "confirm_k": 2,
            "confirm_n": 3,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {  # in the admin's language, Chinese by default
        "assigned_tags": ["这些标签不属于该围栏所在的企业：TAG-OTHER"]
    }
