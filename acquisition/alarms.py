"""Alarm rules, evaluated on every sample at the edge: limits, rate of change, stale data, offline, bad quality.

Plain Python, no Django: the agent feeds each sample to ``Rules.sample`` and calls ``Rules.tick``
about once a second (delays that run out and data that goes stale without a new sample). Each
alarm is raised once and cleared once, as an ``AlarmChange`` that carries the value and threshold
that caused it; ``Rules.state`` is the sensor's alarm state (``geo.Sensor.AlarmState``).

Two clocks: limits, rates and their delays go by the samples' times (the device's clock); stale data
and offline go by the agent's, as they are about the samples arriving at all: a sample's arrival is
the agent's monotonic clock (``time.monotonic``, s) when it came, so that a device whose clock runs
behind (the agent accepts samples up to an hour old) is not stale while its samples keep coming, and
a step of the agent's wall clock makes nothing stale either. Their raise and clear are dated on the
agent's wall clock.

The conditions, for a value v of good or uncertain quality (bad values never move a limit alarm):

========  ==========================  =====================================  =====
kind      raised when                 cleared when                           level
========  ==========================  =====================================  =====
hihi      v ≥ hihi                    v < hihi − deadband                    2
hi        v ≥ hi                      v < hi − deadband                      1
lo        v ≤ lo                      v > lo + deadband                      1
lolo      v ≤ lolo                    v > lolo + deadband                    2
rate      |Δv/Δt| > rate limit        |Δv/Δt| ≤ rate limit                   1
stale     no sample for stale_after   the next sample                        1
offline   the device stops answering  the next sample from the device        1
bad       quality bad                 quality good or uncertain              1
========  ==========================  =====================================  =====

A condition must hold ``on_delay_s`` before its alarm is raised and its clearing condition
``off_delay_s`` before it is cleared (ISA-18.2 on- and off-delays); the alarm's time is the moment
the delay ran out. A bad sample breaks the condition's holding: a pending delay of a limit or rate
alarm starts over with the next usable value, so bad data neither raises nor clears one.

Levels follow GB/T 50493-2019 §5.5: the first-level alarm is the lower set point (hi, lo), the
second-level the higher (hihi, lolo).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from acquisition.batch import BAD, AlarmChange, Sample, from_us, to_us

# In the order of precedence for a sensor's alarm state (geo.Sensor.AlarmState); rate and stale have no state.
STATE_PRECEDENCE = ("offline", "bad_quality", "hihi", "lolo", "hi", "lo")
VALUE_KINDS = ("hihi", "hi", "lo", "lolo", "rate")  # judged on usable values only
LEVEL = {"hihi": 2, "lolo": 2}


@dataclass(frozen=True)
class Limits:
    """The alarm settings of one point, in the sensor's unit (``rate_limit`` in unit per second).

    ``deadband`` is the hysteresis of the limit alarms: an alarm clears only once the value is that
    far back inside its limit.
    """

    lolo: float | None = None
    lo: float | None = None
    hi: float | None = None
    hihi: float | None = None
    deadband: float = 0.0
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0
    rate_limit: float | None = None
    stale_after_s: float | None = None


class _Condition:
    """One alarm of one point: raised or not, and since when its raise or clear has been pending (µs)."""

    __slots__ = ("active", "pending", "started", "threshold", "value")

    def __init__(self) -> None:
        self.active = False
        self.pending: int | None = None
        self.started = 0
        self.value: float | None = None
        self.threshold: float | None = None


class PointRules:
    """The alarms of one point."""

    def __init__(self, key: str, limits: Limits, start_monotonic: float) -> None:
        self.key = key
        self.limits = limits
        self.conditions: dict[str, _Condition] = {}
        self.last_arrival = start_monotonic  # agent's monotonic s of the last sample (or of the start)
        self.last_good: tuple[int, float] | None = None  # (time, value) of the last usable value

    def _condition(self, kind: str) -> _Condition:
        condition = self.conditions.get(kind)
        if condition is None:
            condition = self.conditions[kind] = _Condition()
        return condition

    def _step(
        self, kind: str, on: bool, off: bool, t: int, value: float | None, threshold: float | None, delays: bool = True
    ) -> AlarmChange | None:
        """Advance one condition: ``on`` says the raise condition holds, ``off`` the clear condition."""
        c = self._condition(kind)
        on_delay = int(self.limits.on_delay_s * 1e6) if delays else 0
        off_delay = int(self.limits.off_delay_s * 1e6) if delays else 0
        if not c.active:
            if not on:
                c.pending = None
                return None
            if c.pending is None:
                c.pending = t
            c.value, c.threshold = value, threshold
            if t - c.pending < on_delay:
                return None
            c.active, c.started, c.pending = True, c.pending + on_delay, None
            return AlarmChange(self.key, kind, LEVEL.get(kind, 1), from_us(c.started), None, value, threshold)
        if not off:
            c.pending = None
            return None
        if c.pending is None:
            c.pending = t
        if t - c.pending < off_delay:
            return None
        c.active, ended, c.pending = False, c.pending + off_delay, None
        return AlarmChange(self.key, kind, LEVEL.get(kind, 1), from_us(c.started), from_us(ended), c.value, c.threshold)

    def sample(self, t: int, value: float | None, quality: int, arrived: float, arrived_us: int) -> list[AlarmChange]:
        """Evaluate every rule on one sample: its time ``t`` (µs), its arrival (agent's monotonic s and wall µs)."""
        limits, changes = self.limits, []
        for kind in ("offline", "stale"):
            if kind in self.conditions:
                changes.append(self._step(kind, False, True, arrived_us, value, None, delays=False))
        self.last_arrival = max(self.last_arrival, arrived)
        changes.append(self._step("bad_quality", quality == BAD, quality != BAD, t, value, None))
        if quality == BAD or value is None:
            for kind in VALUE_KINDS:  # not known to have held: delays start over
                if kind in self.conditions:
                    self.conditions[kind].pending = None
        else:
            band = limits.deadband
            if limits.hihi is not None:
                changes.append(
                    self._step("hihi", value >= limits.hihi, value < limits.hihi - band, t, value, limits.hihi)
                )
            if limits.hi is not None:
                changes.append(self._step("hi", value >= limits.hi, value < limits.hi - band, t, value, limits.hi))
            if limits.lo is not None:
                changes.append(self._step("lo", value <= limits.lo, value > limits.lo + band, t, value, limits.lo))
            if limits.lolo is not None:
                changes.append(
                    self._step("lolo", value <= limits.lolo, value > limits.lolo + band, t, value, limits.lolo)
                )
            if limits.rate_limit is not None and self.last_good is not None and t > self.last_good[0]:
                rate = (value - self.last_good[1]) / ((t - self.last_good[0]) / 1e6)
                fast = abs(rate) > limits.rate_limit
                changes.append(self._step("rate", fast, not fast, t, rate, limits.rate_limit))
            if self.last_good is None or t >= self.last_good[0]:
                self.last_good = (t, value)
        return [c for c in changes if c is not None]

    def offline(self, t: int) -> list[AlarmChange]:
        """The device of this point stopped answering at ``t`` (µs)."""
        change = self._step("offline", True, False, t, None, None, delays=False)
        return [change] if change else []

    def tick(self, now: int, monotonic: float) -> list[AlarmChange]:
        """Raise or clear what time alone decides: delays that ran out (``now``, µs), data gone stale (monotonic s)."""
        changes = []
        for kind, c in self.conditions.items():
            if c.pending is None or kind in ("offline", "stale"):
                continue
            delay = self.limits.off_delay_s if c.active else self.limits.on_delay_s
            due = c.pending + int(delay * 1e6)
            if now >= due:
                changes.append(self._step(kind, not c.active, c.active, due, c.value, c.threshold))
        stale = self.limits.stale_after_s
        if stale is not None and not self._active("offline"):
            late = monotonic - (self.last_arrival + stale)
            if late >= 0:
                changes.append(self._step("stale", True, False, now - int(late * 1e6), None, stale, delays=False))
        return [c for c in changes if c is not None]

    def _active(self, kind: str) -> bool:
        condition = self.conditions.get(kind)
        return condition is not None and condition.active

    def state(self) -> str:
        """The sensor's alarm state: the most severe raised alarm, or ``normal``."""
        for kind in STATE_PRECEDENCE:
            if self._active(kind):
                return kind
        return "normal"

    def active(self) -> list[str]:
        """The kinds of the alarms raised now."""
        return [kind for kind, c in self.conditions.items() if c.active]


class Rules:
    """The alarm rules of every point of an agent, by sensor key.

    ``start`` and ``monotonic`` are the agent's wall and monotonic clocks now (defaults: the real
    ones); tests pass their own.
    """

    def __init__(
        self, limits: dict[str, Limits], start: dt.datetime | None = None, monotonic: float | None = None
    ) -> None:
        start_us = to_us(start or dt.datetime.now(dt.UTC))
        start_monotonic = time.monotonic() if monotonic is None else monotonic
        self._anchor = (start_us, start_monotonic)  # the wall clock at a moment of the monotonic one
        self.points = {key: PointRules(key, lim, start_monotonic) for key, lim in limits.items()}

    def _wall_us(self, monotonic: float) -> int:
        """The agent's wall-clock time (µs) of a moment of its monotonic clock."""
        wall_us, at = self._anchor
        return wall_us + int((monotonic - at) * 1e6)

    def sample(self, sample: Sample, arrived: float | None = None) -> list[AlarmChange]:
        """Evaluate the rules of the sample's point; a point without rules raises nothing.

        ``arrived`` is when the sample reached the agent, on its monotonic clock (s; default now).
        """
        rules = self.points.get(sample.key)
        if rules is None:
            return []
        arrived = time.monotonic() if arrived is None else arrived
        return rules.sample(to_us(sample.time), sample.value, sample.quality, arrived, self._wall_us(arrived))

    def offline(self, key: str, time: dt.datetime) -> list[AlarmChange]:
        """The point's device stopped answering at ``time``."""
        rules = self.points.get(key)
        return rules.offline(to_us(time)) if rules else []

    def tick(self, now: dt.datetime, monotonic: float | None = None) -> list[AlarmChange]:
        """Raise and clear what time alone decides, for every point.

        ``now`` is the agent's wall clock, ``monotonic`` its monotonic clock at the same moment (s; default now).
        """
        monotonic = time.monotonic() if monotonic is None else monotonic
        now_us = to_us(now)
        self._anchor = (now_us, monotonic)
        return [change for rules in self.points.values() for change in rules.tick(now_us, monotonic)]

    def state(self, key: str) -> str:
        rules = self.points.get(key)
        return rules.state() if rules else "normal"

    def snapshot(self) -> dict:
        """The raised alarms, as plain data: ``{key: {kind: [started µs, value, threshold]}}``."""
        return {
            key: {kind: [c.started, c.value, c.threshold] for kind, c in rules.conditions.items() if c.active}
            for key, rules in self.points.items()
            if any(c.active for c in rules.conditions.values())
        }

    def restore(self, snapshot: dict) -> None:
        """Raise again the alarms of a snapshot (an agent restarting), without reporting them anew."""
        for key, kinds in snapshot.items():
            rules = self.points.get(key)
            if rules is None:
                continue
            for kind, (started, value, threshold) in kinds.items():
                condition = rules._condition(kind)
                condition.active, condition.started = True, int(started)
                condition.value, condition.threshold = value, threshold
