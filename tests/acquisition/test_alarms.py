"""Alarm rules on every sample: each alarm raised once and cleared once, with its value and threshold."""

from __future__ import annotations

import datetime as dt
import time

from acquisition import pointmap
from acquisition.agent import MAX_AGE_S, Collector
from acquisition.alarms import Limits, Rules
from acquisition.batch import BAD, GOOD, UNCERTAIN, Sample
from acquisition.outbox import Outbox

T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
KEY = "91310116000000001X/GD-001"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def feed(rules: Rules, *values, start: float = 0.0, step: float = 1.0, quality: int = GOOD) -> list:
    """Samples at ``start``, ``start + step`` … s, each arriving at the agent at the time it is dated."""
    changes = []
    for n, value in enumerate(values):
        changes += rules.sample(Sample(KEY, at(start + n * step), value, quality), arrived=start + n * step)
    return changes


def tick(rules: Rules, seconds: float) -> list:
    """The agent's clock tick ``seconds`` after T0 (the rules' monotonic clock started at 0 with T0)."""
    return rules.tick(at(seconds), monotonic=seconds)


def gas(**limits) -> Rules:
    """A combustible gas detector with GB/T 50493 set points 25 / 50 %LEL."""
    return Rules({KEY: Limits(hi=25.0, hihi=50.0, **limits)}, start=T0, monotonic=0.0)


def test_a_value_crossing_the_high_limit_raises_one_alarm_with_value_and_threshold():
    rules = gas()
    changes = feed(rules, 10.0, 30.0, 31.0, 32.0)
    assert [(c.kind, c.level, c.started_at, c.value, c.threshold, c.ended_at) for c in changes] == [
        ("hi", 1, at(1), 30.0, 25.0, None)
    ]
    assert rules.state(KEY) == "hi"


def test_the_second_level_alarm_follows_the_higher_set_point():
    rules = gas()
    changes = feed(rules, 30.0, 55.0)
    assert [(c.kind, c.level, c.threshold) for c in changes] == [("hi", 1, 25.0), ("hihi", 2, 50.0)]
    assert rules.state(KEY) == "hihi"


def test_an_alarm_clears_once_only_below_limit_minus_deadband():
    rules = gas(deadband=2.0)
    raised = feed(rules, 30.0)
    assert feed(rules, 24.0, 23.5, start=1) == []  # inside the deadband: still raised
    cleared = feed(rules, 22.9, 10.0, 5.0, start=3)
    assert len(cleared) == 1
    assert (cleared[0].kind, cleared[0].started_at, cleared[0].ended_at) == ("hi", raised[0].started_at, at(3))
    assert rules.state(KEY) == "normal"


def test_low_limits_raise_at_or_below_and_clear_above_plus_deadband():
    rules = Rules({KEY: Limits(lolo=5.0, lo=10.0, deadband=1.0)}, start=T0, monotonic=0.0)
    changes = feed(rules, 20.0, 10.0, 4.0, 5.5, 6.5, 11.5)
    assert [(c.kind, c.ended_at is None) for c in changes] == [
        ("lo", True),
        ("lolo", True),
        ("lolo", False),  # 6.5 > 5 + 1
        ("lo", False),  # 11.5 > 10 + 1
    ]


def test_an_on_delay_raises_only_when_the_condition_lasted_and_dates_it_when_the_delay_ran_out():
    rules = gas(on_delay_s=5.0)
    assert feed(rules, 30.0, 31.0, 32.0) == []  # 0, 1, 2 s
    assert feed(rules, 10.0, start=3) == []  # back below before 5 s: nothing
    changes = feed(rules, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0, start=4)  # from 4 s on, for 5 s
    assert [(c.kind, c.started_at) for c in changes] == [("hi", at(9))]


def test_a_delay_runs_out_on_the_clock_even_without_a_new_sample():
    rules = gas(on_delay_s=5.0)
    feed(rules, 30.0)
    assert tick(rules, 4.9) == []
    changes = tick(rules, 7)
    assert [(c.kind, c.started_at, c.value) for c in changes] == [("hi", at(5), 30.0)]
    assert tick(rules, 8) == []


def test_an_off_delay_keeps_the_alarm_until_the_value_stayed_back():
    rules = gas(off_delay_s=10.0)
    feed(rules, 30.0)
    assert feed(rules, 10.0, 10.0, start=1) == []
    assert feed(rules, 30.0, start=3) == []  # returned: the clear is off
    assert feed(rules, 10.0, start=4) == []
    changes = tick(rules, 20)
    assert [(c.kind, c.ended_at) for c in changes] == [("hi", at(14))]


def test_rate_of_change_is_measured_between_consecutive_values():
    rules = Rules({KEY: Limits(rate_limit=2.0)}, start=T0, monotonic=0.0)  # 2 units per second
    changes = feed(rules, 10.0, 11.0, 20.0, 21.0, 21.5)
    assert [(c.kind, c.value, c.threshold, c.ended_at) for c in changes] == [
        ("rate", 9.0, 2.0, None),
        ("rate", 9.0, 2.0, at(3)),
    ]


def test_bad_quality_raises_its_alarm_and_never_moves_a_limit_alarm():
    rules = gas()
    feed(rules, 30.0)
    changes = feed(rules, None, None, start=1, quality=BAD)
    assert [c.kind for c in changes] == ["bad_quality"]
    assert rules.state(KEY) == "bad_quality"
    changes = feed(rules, 10.0, start=3)
    assert sorted((c.kind, c.ended_at is not None) for c in changes) == [("bad_quality", True), ("hi", True)]


def test_uncertain_values_are_still_judged_against_the_limits():
    rules = gas()
    assert [c.kind for c in feed(rules, 30.0, quality=UNCERTAIN)] == ["hi"]


def test_stale_data_is_raised_when_no_sample_came_for_the_set_time_and_cleared_by_the_next():
    rules = Rules({KEY: Limits(stale_after_s=10.0)}, start=T0, monotonic=0.0)
    feed(rules, 1.0)
    assert tick(rules, 9) == []
    changes = tick(rules, 12)
    assert [(c.kind, c.started_at, c.threshold) for c in changes] == [("stale", at(10), 10.0)]
    assert tick(rules, 30) == []
    cleared = feed(rules, 2.0, start=31)
    assert [(c.kind, c.ended_at) for c in cleared] == [("stale", at(31))]


def test_an_offline_device_raises_offline_once_and_its_next_answer_clears_it():
    rules = gas()
    assert [c.kind for c in rules.offline(KEY, at(5))] == ["offline"]
    assert rules.offline(KEY, at(6)) == []
    assert rules.state(KEY) == "offline"
    changes = feed(rules, 12.0, start=30)
    assert [(c.kind, c.started_at, c.ended_at) for c in changes] == [("offline", at(5), at(30))]


def test_a_snapshot_restores_raised_alarms_so_a_restarted_agent_clears_them_once():
    rules = gas()
    raised = feed(rules, 30.0)
    restarted = gas()
    restarted.restore(rules.snapshot())
    assert restarted.state(KEY) == "hi"
    assert feed(restarted, 31.0, start=1) == []
    cleared = feed(restarted, 5.0, start=2)
    assert [(c.kind, c.started_at) for c in cleared] == [("hi", raised[0].started_at)]


def test_a_point_without_rules_raises_nothing():
    rules = Rules({}, start=T0, monotonic=0.0)
    assert rules.sample(Sample("other/TT-1", T0, 1e9)) == []
    assert rules.state("other/TT-1") == "normal"


def test_bad_quality_restarts_a_pending_on_delay_so_bad_data_never_raises_a_limit_alarm():
    rules = gas(on_delay_s=5.0)
    assert feed(rules, 30.0) == []  # 0 s: above hi, the on-delay starts
    assert feed(rules, None, None, start=1, quality=BAD) == []  # 1, 2 s: the value is not known
    assert [(c.kind, c.started_at) for c in tick(rules, 6)] == [("bad_quality", at(6))]
    changes = feed(rules, 30.0, 30.0, start=7, step=5.0)  # good again from 7 s: the delay starts over
    assert [(c.kind, c.started_at, c.ended_at) for c in changes] == [
        ("bad_quality", at(6), at(7)),
        ("hi", at(12), None),
    ]


def test_bad_quality_restarts_a_pending_off_delay_so_bad_data_never_clears_a_limit_alarm():
    rules = gas(off_delay_s=5.0)
    assert [c.kind for c in feed(rules, 30.0)] == ["hi"]  # raised at 0 s
    assert feed(rules, 10.0, start=1) == []  # back below at 1 s: the clear waits 5 s
    assert [c.kind for c in feed(rules, None, start=2, quality=BAD)] == ["bad_quality"]
    assert tick(rules, 7) == []  # the value is not known to have stayed back
    feed(rules, 10.0, start=8)  # good and below again at 8 s: the clear starts over
    assert sorted((c.kind, c.ended_at) for c in tick(rules, 13)) == [("bad_quality", at(13)), ("hi", at(13))]


def test_bad_quality_restarts_a_pending_rate_of_change_alarm():
    rules = Rules({KEY: Limits(rate_limit=2.0, on_delay_s=5.0)}, start=T0, monotonic=0.0)
    assert feed(rules, 10.0, 20.0) == []  # 10 units/s at 1 s: the on-delay starts
    feed(rules, None, start=2, quality=BAD)
    assert [c.kind for c in tick(rules, 7)] == ["bad_quality"]


def test_a_device_clock_running_behind_raises_no_stale_alarm_while_its_samples_keep_arriving(tmp_path):
    point_map = pointmap.loads(
        """
owner: 91310116000000001X
devices:
  - name: plc
    protocol: modbus-tcp
    host: 127.0.0.1
    points:
      - {sensor: GD-001, address: 0, stale_after_s: 0.5}
"""
    )
    collector = Collector(point_map, Outbox(tmp_path / "outbox.sqlite3"))
    behind = dt.timedelta(seconds=MAX_AGE_S - 600)  # an old clock the agent still accepts
    for _ in range(10):  # a sample every 0.1 s for 1 s, twice the stale time
        collector.samples([Sample(KEY, dt.datetime.now(dt.UTC) - behind, 1.0)])
        collector.tick()
        time.sleep(0.1)
    assert collector._changes == []
    time.sleep(0.6)  # then silence
    collector.tick()
    assert [c.kind for c in collector._changes] == ["stale"]


def test_stale_data_is_judged_by_arrival_at_the_agent_and_dated_on_the_agent_clock():
    rules = Rules({KEY: Limits(stale_after_s=10.0)}, start=T0, monotonic=0.0)
    behind = dt.timedelta(minutes=20)
    for n in range(5):  # a sample a second, each dated 20 minutes ago by the device
        assert rules.sample(Sample(KEY, at(n) - behind, 1.0), arrived=float(n)) == []
        assert rules.tick(at(n + 0.5), monotonic=n + 0.5) == []
    raised = rules.tick(at(15), monotonic=15.0)  # silent since it arrived at 4 s
    assert [(c.kind, c.started_at) for c in raised] == [("stale", at(14))]
    cleared = rules.sample(Sample(KEY, at(20) - behind, 1.0), arrived=20.0)
    assert [(c.kind, c.started_at, c.ended_at) for c in cleared] == [("stale", at(14), at(20))]
