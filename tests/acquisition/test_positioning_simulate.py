"""The demo's positioning engine (acquisition.positioning.simulate) and its walks (acquisition.positioning.walks).

Most tests run the model over the demo park (loaded once, rolled back after the class) and evaluate its
fixes with the fence rules in memory (``rules.Site`` built by ``positioning.sites.build``, as the centre
does), so that an hour of the park costs a few seconds: routine work raises no alarm, every scripted
incident raises the alarm it is meant to, for its tags. Times are Asia/Shanghai, a day in 2030, so that
no position stored by another test is later than the model's.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import statistics
from collections import defaultdict

import pytest
import shapely
from django.db import transaction
from django.utils import timezone

from acquisition.positioning import simulate, sites
from acquisition.positioning.ingest import Positioning
from acquisition.positioning.mqtt import PositionListener
from acquisition.positioning.rules import RAISE, Settings
from acquisition.positioning.walks import Ground, length
from geo.demo.loader import load
from geo.models import Alarm, PersonnelTag, Position
from tests.acquisition import test_mqtt
from tests.acquisition.test_positioning_ingest import Park
from tests.acquisition.test_uplink import wait_for

BROKER = test_mqtt.BROKER
names = test_mqtt.names


def local(hhmm: str) -> float:
    """Seconds since the epoch of ``hhmm`` on 2030-05-06 in Asia/Shanghai."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(2030, 5, 6, hour, minute, tzinfo=simulate.PARK_TZ).timestamp()


# --- walks ------------------------------------------------------------------------------------------


def test_the_shortest_way_around_an_obstacle_runs_by_its_nearer_corners():
    ground = Ground([shapely.box(0, -5, 20, 10)])  # the way over the top (y = 10) is shorter than below (y = -5)
    assert ground.route((-10, 5), (30, 5)) == [(-10.0, 5.0), (0.0, 10.0), (20.0, 10.0), (30.0, 5.0)]
    assert length(ground.route((-10, 5), (30, 5))) == pytest.approx(2 * math.hypot(10, 5) + 20)


def test_a_clear_way_is_straight_and_a_start_inside_an_obstacle_leaves_it_by_the_nearest_edge():
    ground = Ground([shapely.box(0, 0, 20, 10)])
    assert ground.route((-10, 20), (30, 20)) == [(-10.0, 20.0), (30.0, 20.0)]
    way = ground.route((10, 9), (10, 30))  # 1 m below the top edge
    assert way[0] == (10.0, 9.0) and way[1][1] == pytest.approx(10.1) and way[-1] == (10.0, 30.0)


# --- the model over the demo park ---------------------------------------------------------------------


@pytest.fixture(scope="class")
def park(django_db_setup, django_db_blocker):
    """The demo park inside a transaction rolled back after the class's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        load(scale="park", seed=7)
        yield simulate.sites_from_database()
        transaction.set_rollback(True)


class Rules:
    """The fence rules of every site, in memory, fed a model's fixes every ``batch_s`` seconds."""

    def __init__(self, sites_: list[simulate.SimSite], settings: Settings) -> None:
        self.entries = {s.enterprise_id: sites.build(s.enterprise_id, settings) for s in sites_}
        self.ids = {code: (pk, kind) for pk, code, kind in PersonnelTag.objects.values_list("pk", "code", "kind")}
        self.codes = {pk: code for code, (pk, _kind) in self.ids.items()}
        self.raised: list[tuple[str, int, str | None]] = []  # (kind, enterprise, tag code)
        self.cleared: list[tuple[str, int, str | None]] = []
        self.track: dict[str, list[tuple[float, float, float, bool]]] = defaultdict(list)  # code → (t, x, y, moving)

    def run(self, model: simulate.PeopleModel, start: float, seconds: int, batch_s: int = 5) -> None:
        pending: dict[int, list] = defaultdict(list)
        for s in range(seconds):
            t = start + s
            for enterprise_id, fixes in model.step(t).items():
                pending[enterprise_id] += fixes
            if s % batch_s == batch_s - 1:
                for enterprise_id, fixes in pending.items():
                    self._observe(enterprise_id, fixes)
                pending.clear()
                for enterprise_id, entry in self.entries.items():
                    self._record(enterprise_id, entry.site.tick(t))

    def _observe(self, enterprise_id: int, fixes) -> None:
        site = self.entries[enterprise_id].site
        x, y = site.local([f.lon for f in fixes], [f.lat for f in fixes])
        changes, verdicts = site.observe(
            [self.ids[f.tag][0] for f in fixes],
            [self.ids[f.tag][1] for f in fixes],
            [f.time.timestamp() for f in fixes],
            x,
            y,
            [f.battery_pct for f in fixes],
            [f.sos for f in fixes],
            [f.moving for f in fixes],
        )
        assert set(verdicts) == {"ok"}  # no fix late, off the site or a jump
        for f, xi, yi in zip(fixes, x.tolist(), y.tolist(), strict=True):
            self.track[f.tag].append((f.time.timestamp(), xi, yi, f.moving))
        self._record(enterprise_id, changes)

    def _record(self, enterprise_id: int, changes) -> None:
        for change in changes:
            key = (change.kind, enterprise_id, self.codes.get(change.tag_id))
            (self.raised if change.action == RAISE else self.cleared).append(key)


def distance(track: list[tuple]) -> float:
    """How far a tag went along its fixes (m)."""
    return sum(math.dist(a[1:3], b[1:3]) for a, b in itertools.pairwise(track))


def quiet_model(sites_: list[simulate.SimSite], seed: int = 7) -> simulate.PeopleModel:
    return simulate.PeopleModel(sites_, Settings(), seed=seed, first_event_s=1e9)


@pytest.mark.django_db
class TestTheDemoPark:
    @pytest.mark.parametrize("start", ["07:45", "17:15"])  # day workers arrive at 08:00 and leave at 17:30
    def test_routine_work_raises_no_alarm_and_everyone_on_site_moves(self, park, start):
        rules = Rules(park, Settings())
        rules.run(quiet_model(park), local(start), 30 * 60)
        assert rules.raised == []  # no crowd, no under-staffing, no restricted area, no overspeed …
        tags = [t for s in park for t in s.tags]
        operators = [t.code for t in tags if not t.vehicle and not t.day_worker]
        assert len(tags) == 110 and len(operators) == 60
        assert all(rules.track[code] for code in operators)  # on site round the clock
        assert min(distance(rules.track[code]) for code in operators) > 50.0  # m in 30 min: all went somewhere
        last = [rules.track[t.code][-1][0] if rules.track[t.code] else None for t in tags if t.day_worker]
        if start == "07:45":  # every day worker came and reports to the end
            assert all(t is not None and t > local("08:10") for t in last)
        else:  # every day worker left at 17:30 by the gate and reported nothing since
            assert all(t is not None and local("17:30") <= t < local("17:40") for t in last)

        def speed(code: str) -> float:
            """The median speed between fixes of a tag that says it moves (m/s)."""
            pts = rules.track[code]
            moving = [math.dist(a[1:3], b[1:3]) / (b[0] - a[0]) for a, b in itertools.pairwise(pts) if a[3] and b[3]]
            return statistics.median(moving) if moving else math.nan

        people = [v for v in (speed(t.code) for t in tags if not t.vehicle) if not math.isnan(v)]
        vehicles = [v for v in (speed(t.code) for t in tags if t.vehicle) if not math.isnan(v)]
        assert len(people) >= 60 and vehicles  # the others stood, loaded or were away all the time
        assert 1.0 <= statistics.median(people) <= 1.5  # 1.0–1.4 m/s (a walking pace) and the noise of fixes
        assert max(people) < min(vehicles)  # and the vehicles raised no overspeed alarm (above)

    def test_every_scripted_incident_raises_its_alarm_for_its_tags_and_it_clears(self, park):
        rules = Rules(park, Settings())
        model = simulate.PeopleModel(park, Settings(), first_event_s=20.0, event_every_s=150.0, max_incidents=8)
        rules.run(model, local("10:00"), 25 * 60)
        kinds = [i.kind for i in model.incidents]
        assert kinds == list(simulate.SCRIPT)  # at 10:00 every incident of the script can happen
        expected = []
        for incident in model.incidents:
            if incident.kind == "crowd":
                expected.append(("crowd", incident.enterprise_id, None))
            else:
                expected += [(incident.kind, incident.enterprise_id, tag) for tag in incident.tags]
        assert sorted(set(rules.raised)) == sorted(set(expected))
        assert sorted(rules.cleared) == sorted(rules.raised)  # and every one ended

    def test_the_same_seed_gives_the_same_positions_and_another_seed_others(self, park):
        def fixes(seed: int) -> list:
            model = quiet_model(park, seed)
            return [f for s in range(120) for group in model.step(local("10:00") + s).values() for f in group]

        assert fixes(7) == fixes(7)
        assert fixes(7) != fixes(8)

    def test_fixes_delivered_in_process_move_the_tags_and_store_the_incidents_alarm(self, park):
        start = timezone.now().timestamp() - 60
        model = simulate.PeopleModel(park, Settings(), first_event_s=10.0)  # a low battery first
        deliver = simulate.InProcess(Positioning())
        by_id = {s.enterprise_id: s for s in park}
        for s in range(40):
            deliver(model.step(start + s), by_id)
        low = model.incidents[0]
        assert low.kind == "low_battery"
        assert PersonnelTag.objects.filter(position_time__isnull=False).count() >= 60  # the operators at least
        assert Position.objects.count() >= 60 * 8  # each reports at least every 5 s
        alarm = Alarm.objects.get(kind="low_battery")
        assert (alarm.tag.code, alarm.value, alarm.threshold) == (low.tags[0], 19.0, 20.0)


# --- over MQTT, on a site that is not the demo's -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_engine_publishes_each_enterprises_fixes_on_its_topic_and_the_centre_stores_them(names):
    prefix, centre_id, engine_id = names
    park = Park()  # one enterprise of 8 people and a vehicle on a 400 m site, no muster point
    sites_ = simulate.sites_from_database()
    assert [s.credit_code for s in sites_] == [park.enterprise.credit_code, park.other.credit_code]
    listener = PositionListener(BROKER, prefix, client_id=centre_id, positioning=Positioning())
    listener.start()
    engine = None
    try:
        wait_for(listener.connected.is_set, what="the listener to connect")
        engine = simulate.MqttEngine(BROKER, prefix, client_id=engine_id)
        wait_for(engine.client.is_connected, what="the engine to connect")
        model = quiet_model(sites_)
        start = timezone.now().timestamp() - 30
        sent = 0
        for s in range(12):
            fixes = model.step(start + s)
            engine(fixes, {site.enterprise_id: site for site in sites_})
            sent += len(fixes)
        wait_for(lambda: listener.received == sent, what="every message to be dealt with")
    finally:
        if engine is not None:
            engine.stop()
        listener.stop()
    moved = set(Position.objects.values_list("tag__code", flat=True))
    operators = {t.code for s in sites_ for t in s.tags if not t.vehicle and not t.day_worker}
    assert operators <= moved
    assert not Alarm.objects.exists()


def test_a_fix_is_sent_as_the_json_a_positioning_engine_sends():
    from acquisition.positioning import messages

    fix = messages.Fix(
        "TAG-1", dt.datetime(2030, 5, 6, 2, 0, tzinfo=dt.UTC), 121.33, 30.8, battery_pct=80.5, moving=True
    )
    text = json.dumps([simulate.as_json(fix)])
    assert messages.parse(text) == ([fix], {})
