"""Fence rules on scripted trajectories (acquisition.positioning.rules, no database).

The test site is drawn in metres east and north of its centre: a restricted area (0..20, 0..20), a
work area (100..140, 0..40) and a hazardous area (-60..-20, 0..40). Tags report once a second unless
a test says otherwise; times are seconds after T0.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely

from acquisition.positioning.crowd import find_groups
from acquisition.positioning.rules import (
    CLEAR,
    HAZARDOUS,
    LATE,
    OFF_SITE,
    OK,
    PERSON,
    RAISE,
    RESTRICTED,
    TELEPORT,
    UPDATE,
    VEHICLE,
    WORK_AREA,
    Area,
    AreaRule,
    Settings,
    Site,
    default_rule,
)

T0 = 1_750_000_000.0
RESTRICTED_ID, WORK_ID, HAZARD_ID = 1, 2, 3


def site(*areas: Area, **settings) -> Site:
    s = Site((121.33, 30.81), Settings(**settings), bounds=(-200.0, -200.0, 200.0, 200.0))
    s.set_areas(list(areas))
    return s


def restricted(**rule) -> Area:
    return Area(
        RESTRICTED_ID, RESTRICTED, "R", shapely.box(0, 0, 20, 20), dataclasses.replace(default_rule(RESTRICTED), **rule)
    )


def work_area(**rule) -> Area:
    return Area(WORK_ID, WORK_AREA, "W", shapely.box(100, 0, 140, 40), AreaRule(**{"off_post_s": 60.0, **rule}))


def hazardous(**rule) -> Area:
    return Area(HAZARD_ID, HAZARDOUS, "H", shapely.box(-60, 0, -20, 40), AreaRule(**rule))


def walk(s: Site, tag: int, track, kind: str = PERSON, tick: bool = True, **flags) -> list[tuple[float, object]]:
    """Feed (seconds, x, y) fixes one by one, ticking after each; every change with the second it came at."""
    seen = []
    for t, x, y in track:
        changes, _verdicts = s.observe([tag], [kind], [T0 + t], [x], [y], **{k: [v] for k, v in flags.items()})
        if tick:
            changes += s.tick(T0 + t)
        seen += [(t, c) for c in changes]
    return seen


def line(t0: int, t1: int, x0: float, x1: float, y: float = 10.0):
    """One fix a second from (x0, y) at t0 to (x1, y) at t1, at constant speed."""
    return [(t, x0 + (x1 - x0) * (t - t0) / (t1 - t0), y) for t in range(t0, t1 + 1)]


def summary(changes) -> list[tuple]:
    return [
        (t, c.action, c.kind, c.area_id, c.started_at - T0, None if c.ended_at is None else c.ended_at - T0)
        for t, c in changes
    ]


def test_walking_through_a_restricted_area_raises_one_entry_alarm_and_clears_it_once():
    # 1 m/s along y = 10: inside the polygon from x = 0 (t = 10) to x = 20 (t = 30); the edge band is 3 m
    changes = walk(site(restricted()), 7, line(0, 50, -10.0, 40.0))
    # entry confirmed by the 2nd fix inside (x = 1 is the first, x = 2 the second), exit by the 2nd fix
    # beyond the 3 m band (x = 24 the first, x = 25 the second)
    assert summary(changes) == [(12, RAISE, "fence_entry", 1, 12.0, None), (35, CLEAR, "fence_entry", 1, 12.0, 35.0)]


def test_a_tag_assigned_to_a_restricted_area_may_enter_it():
    assert walk(site(restricted(assigned=frozenset({7}))), 7, line(0, 50, -10.0, 40.0)) == []


def test_one_stray_fix_inside_raises_nothing():
    track = [(t, -10.0, 10.0) for t in range(0, 10)] + [(10, 5.0, 10.0)] + [(t, -10.0, 10.0) for t in range(11, 20)]
    assert walk(site(restricted()), 7, track) == []


def test_a_tag_standing_at_the_edge_does_not_flap():
    # its fixes scatter ±2.5 m across the fence's edge at x = 0: it enters once and never leaves
    rng = np.random.default_rng(3)
    track = [(t, float(rng.uniform(-2.5, 2.5)), 10.0) for t in range(0, 300)]
    kinds = [(c.action, c.kind) for _t, c in walk(site(restricted()), 7, track)]
    assert kinds == [(RAISE, "fence_entry")]


def test_positions_late_or_twice_change_nothing():
    s = site(restricted())
    track = line(0, 50, -10.0, 40.0)
    first = walk(s, 7, track)
    # the whole walk again, and once more backwards: every fix is no later than the tag's last
    for t, x, y in track + track[::-1]:
        changes, verdicts = s.observe([7], [PERSON], [T0 + t], [x], [y])
        assert verdicts == [LATE] and changes == []
    assert len(first) == 2


def test_a_batch_out_of_order_is_evaluated_in_time_order():
    track = line(0, 50, -10.0, 40.0)
    shuffled = np.random.default_rng(5).permutation(len(track))
    s = site(restricted())
    t = [T0 + track[i][0] for i in shuffled]
    x = [track[i][1] for i in shuffled]
    y = [track[i][2] for i in shuffled]
    changes, verdicts = s.observe([7] * len(t), [PERSON] * len(t), t, x, y)
    assert set(verdicts) == {OK}
    assert [(c.action, c.started_at - T0, c.ended_at and c.ended_at - T0) for c in changes] == [
        (RAISE, 12.0, None),
        (CLEAR, 12.0, 35.0),
    ]


def test_a_teleporting_fix_is_refused_and_raises_nothing():
    s = site(restricted())
    walk(s, 7, [(t, -50.0, 10.0) for t in range(0, 5)])
    # one fix 60 m away one second later (55 m/s after the 5 m jitter allowance), then back
    changes, verdicts = s.observe([7], [PERSON], [T0 + 5], [10.0], [10.0])
    assert verdicts == [TELEPORT] and changes == []
    changes, verdicts = s.observe([7], [PERSON], [T0 + 6], [-50.0], [10.0])
    assert verdicts == [OK] and changes == []


def test_a_tag_that_really_moved_is_taken_there_after_three_agreeing_fixes():
    s = site(restricted())
    walk(s, 7, [(t, -150.0, 10.0) for t in range(0, 5)])
    verdicts = [s.observe([7], [PERSON], [T0 + t], [10.0], [10.0])[1][0] for t in range(5, 9)]
    assert verdicts == [TELEPORT, TELEPORT, OK, OK]


def test_a_fix_far_outside_the_site_is_refused():
    changes, verdicts = site(restricted()).observe([7], [PERSON], [T0], [900.0], [0.0])
    assert verdicts == [OFF_SITE] and changes == []


def test_an_assigned_worker_away_from_the_work_area_for_the_limit_is_off_post_until_back():
    # in the work area (y < 40) until t = 10, out to y = 50 at 3 m/s, waits, and back at 3 m/s from t = 150
    track = [(t, 120.0, 20.0) for t in range(0, 11)]
    track += [(t, 120.0, 20.0 + 3.0 * (t - 10)) for t in range(11, 21)]
    track += [(t, 120.0, 50.0) for t in range(21, 150)]
    track += [(t, 120.0, 50.0 - 3.0 * (t - 150)) for t in range(150, 161)]
    changes = walk(site(work_area(assigned=frozenset({7}))), 7, track)
    # beyond the 3 m band (y > 43) first at t = 18 (y = 44), confirmed at t = 19: off post 60 s later;
    # back inside (y < 40) at t = 154 (y = 38), confirmed at t = 155
    assert summary(changes) == [(79, RAISE, "off_post", 2, 79.0, None), (155, CLEAR, "off_post", 2, 79.0, 155.0)]


def test_lingering_in_an_area_beyond_its_limit():
    # stands at x = -40 until t = 199, then walks west out of the area (edge at x = -60) at 5 m/s
    track = [(t, -40.0, 20.0) for t in range(0, 200)] + [(t, -40.0 - 5.0 * (t - 199), 20.0) for t in range(200, 207)]
    changes = walk(site(hazardous(linger_s=120.0)), 7, track, tick=False)
    # inside confirmed at t = 1 (second fix): linger from 121 s; beyond the band (x < -63) at t = 204
    # (x = -65), confirmed at t = 205
    assert summary(changes) == [(121, RAISE, "linger", 3, 121.0, None), (205, CLEAR, "linger", 3, 121.0, 205.0)]


def test_a_person_motionless_in_a_hazardous_area_raises_a_static_alarm_until_moving():
    still = [(t, -40.0 + 0.5 * (t % 2), 20.0) for t in range(0, 100)]  # 0.5 m jitter, motion flag off
    moving = [(t, -40.0 + (t - 99) * 1.0, 20.0) for t in range(100, 105)]
    s = site(hazardous(static_s=60.0))
    changes = walk(s, 7, still, moving=False) + walk(s, 7, moving, moving=True)
    assert summary(changes) == [(60, RAISE, "static", 3, 60.0, None), (100, CLEAR, "static", 3, 60.0, 100.0)]


def test_no_static_alarm_outside_areas_that_ask_for_one():
    assert walk(site(hazardous()), 7, [(t, -40.0, 20.0) for t in range(0, 200)], moving=False) == []


def test_over_crowding_is_raised_after_the_dwell_time_and_cleared_when_people_leave():
    s = site(hazardous(max_people=3, dwell_s=10.0))
    changes = []
    for t in range(0, 60):
        ids = list(range(1, 6))  # all five at x = -40; from t = 40 three walk west out of the area at 5 m/s
        xs = [-40.0 if i <= 2 or t < 40 else -40.0 - 5.0 * (t - 39) for i in ids]
        changes += [(t, c) for c in s.observe(ids, [PERSON] * 5, [T0 + t] * 5, xs, [20.0] * 5)[0]]
        changes += [(t, c) for c in s.tick(T0 + t)]
    # 5 inside from t = 1 (second fix): raised 10 s later; three beyond the band (x < -63) at t = 44,
    # confirmed at t = 45: two left, cleared 10 s later
    assert summary(changes) == [(11, RAISE, "overcrowd", 3, 11.0, None), (55, CLEAR, "overcrowd", 3, 11.0, 55.0)]
    assert changes[0][1].value == 5.0 and changes[0][1].threshold == 3.0


def test_a_lone_worker_is_understaffing_an_area_that_needs_two():
    s = site(hazardous(min_people=2, dwell_s=10.0))
    changes = walk(s, 7, [(t, -40.0, 20.0) for t in range(0, 30)])
    assert summary(changes) == [(11, RAISE, "understaff", 3, 11.0, None)]
    assert (changes[0][1].value, changes[0][1].threshold) == (1.0, 2.0)


def crowd(s: Site, n: int, seconds: int, start: int = 0, x: float = 0.0, y: float = 100.0, ring=lambda t: 10.0):
    """n people on a ring of radius ``ring(t)`` m around (x, y), evenly spaced, reporting every second; the changes."""
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    seen = []
    for t in range(start, start + seconds):
        xs, ys = x + ring(t) * np.cos(angles), y + ring(t) * np.sin(angles)
        seen += [(t, c) for c in s.observe(list(range(100, 100 + n)), [PERSON] * n, [T0 + t] * n, xs, ys)[0]]
        seen += [(t, c) for c in s.tick(T0 + t)]
    return seen


def test_a_crowd_within_15_m_for_more_than_a_minute_raises_one_alarm_and_clears_once_they_disperse():
    s = site()
    gathered = crowd(s, 6, 62)
    # first found at t = 0; "more than 1 minute": at t = 61
    assert summary(gathered) == [(61, RAISE, "crowd", None, 61.0, None)]
    alarm = gathered[0][1]
    assert (alarm.level, alarm.value, alarm.threshold) == (1, 6.0, 5.0)
    # they walk apart at 4 m/s from t = 62: at t = 63 the ring is 18 m, and no disc of 15 m holds more
    # than three of six people evenly spaced on it; the crowd is gone from t = 63, cleared 10 s later
    dispersed = crowd(s, 6, 20, start=62, ring=lambda t: 10.0 + 4.0 * (t - 61))
    assert summary(dispersed) == [(73, CLEAR, "crowd", None, 61.0, 73.0)]


def test_a_crowd_of_the_second_level_head_count_raises_a_second_level_alarm():
    (_t, alarm), *_rest = crowd(site(), 12, 62)
    assert (alarm.action, alarm.level, alarm.value, alarm.threshold) == (RAISE, 2, 12.0, 10.0)


def test_a_crowd_that_grows_past_the_second_level_raises_its_level_once():
    s = site()
    crowd(s, 6, 62)
    grown = crowd(s, 11, 5, start=62)
    assert [(c.action, c.level, c.value) for _t, c in grown] == [(UPDATE, 2, 11.0)]


def test_a_crowd_that_breaks_up_before_a_minute_raises_nothing():
    s = site()
    assert crowd(s, 6, 50) + crowd(s, 6, 30, start=50, ring=lambda t: 10.0 + 4.0 * (t - 49)) == []


def test_crowd_levels_of_a_hazardous_area_apply_inside_it():
    s = site(hazardous(crowd_levels=(3, 4)))
    (_t, alarm), *_ = crowd(s, 3, 62, x=-40.0, y=20.0, ring=lambda t: 5.0)
    assert (alarm.area_id, alarm.level, alarm.threshold) == (HAZARD_ID, 1, 3.0)
    # the same three people elsewhere are below the site's default of 5
    assert crowd(site(hazardous(crowd_levels=(3, 4))), 3, 62, ring=lambda t: 5.0) == []


def test_people_15_m_from_a_common_centre_are_one_group_though_none_stands_at_its_centre():
    # five people on a circle of 14.9 m: 29.8 m across, within one 15 m disc
    angles = np.linspace(0, 2 * np.pi, 5, endpoint=False)
    groups = find_groups(14.9 * np.cos(angles), 14.9 * np.sin(angles), 15.0, 5)
    assert len(groups) == 1 and groups[0].members.tolist() == [0, 1, 2, 3, 4]
    assert find_groups(15.2 * np.cos(angles), 15.2 * np.sin(angles), 15.0, 5) == []


def test_a_vehicle_over_the_speed_limit_on_two_of_three_fixes():
    s = site()
    track = [(t, t * 4.0, 0.0) for t in range(0, 5)]  # 4 m/s = 14.4 km/h
    track += [(t, track[-1][1] + (t - 4) * 8.0, 0.0) for t in range(5, 10)]  # 8 m/s = 28.8 km/h
    track += [(t, track[-1][1] + (t - 9) * 4.0, 0.0) for t in range(10, 15)]
    changes = walk(s, 9, track, kind=VEHICLE)
    assert summary(changes) == [(6, RAISE, "overspeed", None, 6.0, None), (11, CLEAR, "overspeed", None, 6.0, 11.0)]
    assert changes[1][1].value == pytest.approx(8.0) and changes[1][1].threshold == pytest.approx(20 / 3.6)


def test_low_battery_below_20_percent_clears_only_once_charged_past_25():
    s = site()
    battery = [30, 21, 19.5, 19, 21, 24, 26, 27]
    changes = []
    for t, pct in enumerate(battery):
        changes += [(t, c) for c in s.observe([7], [PERSON], [T0 + t], [0.0], [100.0], battery=[pct])[0]]
    assert summary(changes) == [(2, RAISE, "low_battery", None, 2.0, None), (6, CLEAR, "low_battery", None, 2.0, 6.0)]


def test_sos_is_raised_at_once_at_the_second_level_and_cleared_when_released():
    s = site()
    changes = []
    for t, pressed in enumerate([False, True, True, True, False]):
        changes += [(t, c) for c in s.observe([7], [PERSON], [T0 + t], [0.0], [100.0], sos=[pressed])[0]]
    assert summary(changes) == [(1, RAISE, "sos", None, 1.0, None), (4, CLEAR, "sos", None, 1.0, 4.0)]
    assert changes[0][1].level == 2


def test_removing_a_fence_clears_its_alarms_once():
    s = site(restricted())
    walk(s, 7, line(0, 15, -10.0, 5.0))
    changes = s.set_areas([], now=T0 + 20)
    assert [(c.action, c.kind, c.ended_at - T0) for c in changes] == [(CLEAR, "fence_entry", 20.0)]
    assert walk(s, 7, line(16, 30, 6.0, 20.0)) == []
