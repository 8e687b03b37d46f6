"""A year of history for the demo's hazard sources: alarms, hidden dangers, inspections and accidents.

Loaded with the ``nation`` scale (``HISTORY_SCALES``), where the analytics and the risk list are measured
(tests/bench/bench_analytics.py); every draw comes from a ``random.Random`` of the seed and the park, so a
load with the same seed gives the same rows, their times counted back from the moment of the load.

Per hazard source and year, on average:

- 25 alarms of its sensors (more in summer and by day: ``SEASON_WEIGHT``, ``HOUR_WEIGHT``), high and
  high-high on gas detectors, temperatures and pressures, any limit on levels, now and then a sensor
  gone stale or offline; all handled to closure except half of those of the last two days;
- 2 hidden dangers (one in ten major), rectified within their due date (30 days) unless found lately;
- an inspection due on the first of each month, done on time but for one in thirty;
- an accident with probability 1 %, its kind one the unit may cause, its toll mostly small, and in three
  cases out of five one to four alarms at the unit in the 72 hours before it.

Every unit also gets its possible deaths in an accident (可能引发事故死亡人数), at every scale: 0–9 for
most, fewer in each higher class, not given for one in fifty.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from geo.models import Accident, Alarm, HazardSource, HiddenDanger, Inspection, Sensor

HISTORY_SCALES = ("nation",)
DAYS = 365
ALARMS_PER_SOURCE = 25.0
DANGERS_PER_SOURCE = 2.0
ACCIDENT_CHANCE = 0.01
PRECURSOR_CHANCE = 0.6
OPEN_RECENT_S = 2 * 86_400  # alarms of the last two days: half of them not closed yet
# Relative alarm rate by month (1–12) and by hour of day (Asia/Shanghai, UTC+8).
SEASON_WEIGHT = {1: 0.8, 2: 0.8, 3: 0.9, 4: 1.0, 5: 1.1, 6: 1.3, 7: 1.5, 8: 1.5, 9: 1.2, 10: 1.0, 11: 0.9, 12: 0.8}
HOUR_WEIGHT = [0.6] * 7 + [1.0] * 2 + [1.4] * 9 + [1.0] * 4 + [0.6] * 2
CST = dt.timezone(dt.timedelta(hours=8))
KINDS = {
    Sensor.Kind.COMBUSTIBLE_GAS: ("hi", "hi", "hihi"),
    Sensor.Kind.TOXIC_GAS: ("hi", "hi", "hihi"),
    Sensor.Kind.TEMPERATURE: ("hi", "hi", "hihi"),
    Sensor.Kind.PRESSURE: ("hi", "hi", "hihi", "lo"),
    Sensor.Kind.LEVEL: ("hi", "lo", "hihi", "lolo"),
    Sensor.Kind.FLOW: ("hi", "lo"),
}
DEVICE_KINDS = ("stale", "offline")
DANGERS = (
    "防火堤伸缩缝破损",
    "可燃气体探测器未按期检定",
    "安全阀超期未校验",
    "静电接地线松脱",
    "紧急切断阀未投用",
    "消防通道堆放杂物",
    "储罐液位计显示偏差",
    "作业票证填写不规范",
)
DEATH_CLASSES = ((0.60, 0, 9), (0.25, 10, 29), (0.10, 30, 99), (0.03, 100, 300))  # then 2 %: not given


@dataclass
class History:
    """The unsaved history rows of one park, in insertion order."""

    alarms: list[Alarm] = field(default_factory=list)
    dangers: list[HiddenDanger] = field(default_factory=list)
    inspections: list[Inspection] = field(default_factory=list)
    accidents: list[Accident] = field(default_factory=list)

    def stages(self) -> list[tuple[str, list]]:
        return [
            ("alarms", self.alarms),
            ("hidden dangers", self.dangers),
            ("inspections", self.inspections),
            ("accidents", self.accidents),
        ]


def possible_deaths(sources: list[HazardSource], rng: random.Random) -> None:
    """Set each unit's possible deaths in an accident (None for one in fifty)."""
    for source in sources:
        draw, value = rng.random(), None
        for share, low, high in DEATH_CLASSES:
            if draw < share:
                value = rng.randint(low, high)
                break
            draw -= share
        source.potential_fatalities = value


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth), for the small means used here."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _moment(rng: random.Random, now: dt.datetime) -> dt.datetime:
    """A time of the last ``DAYS`` days, more likely in summer and by day (rejection sampling)."""
    top = max(SEASON_WEIGHT.values()) * max(HOUR_WEIGHT)
    while True:
        moment = now - dt.timedelta(seconds=rng.uniform(0, DAYS * 86_400))
        local = moment.astimezone(CST)
        if rng.random() * top < SEASON_WEIGHT[local.month] * HOUR_WEIGHT[local.hour]:
            return moment.replace(microsecond=rng.randrange(1_000_000))


def _alarm(source: HazardSource, sensor: Sensor, kind: str, started: dt.datetime, now: dt.datetime, rng) -> Alarm:
    ended = started + dt.timedelta(seconds=rng.uniform(30, 3600))
    recent = (now - started).total_seconds() < OPEN_RECENT_S
    if (recent and rng.random() < 0.5) or ended > now:
        state, closed = Alarm.State.NEW if rng.random() < 0.5 else Alarm.State.SEEN, None
        ended = ended if ended <= now else None
    else:
        state, closed = Alarm.State.CLOSED, min(now, ended + dt.timedelta(seconds=rng.uniform(60, 86_400)))
    level = Alarm.Level.SECOND if kind in ("hihi", "lolo") else Alarm.Level.FIRST
    return Alarm(
        region_id=source.enterprise.region_id,
        enterprise=source.enterprise,
        hazard_source=source,
        sensor=sensor,
        kind=kind,
        level=level,
        state=state,
        started_at=started,
        ended_at=ended,
        closed_at=closed,
        location=sensor.location,
        unit="s" if kind == "stale" else sensor.unit,
    )


def build(sources: list[HazardSource], sensors: list[Sensor], rng: random.Random, now: dt.datetime) -> History:
    """The year before ``now`` of the saved ``sources`` and their saved ``sensors``."""
    history = History()
    of_source: dict[int, list[Sensor]] = defaultdict(list)
    for sensor in sensors:
        if sensor.hazard_source_id is not None and sensor.kind in KINDS:
            of_source[sensor.hazard_source_id].append(sensor)
    seen: set[tuple[int, str, dt.datetime]] = set()

    def add_alarm(source: HazardSource, started: dt.datetime) -> None:
        sensor = rng.choice(of_source[source.pk])
        kind = rng.choice(DEVICE_KINDS) if rng.random() < 0.05 else rng.choice(KINDS[sensor.kind])
        if (sensor.pk, kind, started) not in seen:  # the one alarm per sensor, kind and start (a constraint)
            seen.add((sensor.pk, kind, started))
            history.alarms.append(_alarm(source, sensor, kind, started, now, rng))

    first_of_month = [
        dt.datetime(year, month, 1, 1, tzinfo=CST)
        for year in (now.year - 1, now.year, now.year + 1)
        for month in range(1, 13)
    ]
    for source in sources:
        if of_source[source.pk]:
            for _ in range(_poisson(rng, ALARMS_PER_SOURCE)):
                add_alarm(source, _moment(rng, now))
        for _ in range(_poisson(rng, DANGERS_PER_SOURCE)):
            found = _moment(rng, now)
            due = found + dt.timedelta(days=30)
            fixed = found + dt.timedelta(days=rng.uniform(1, 30))
            history.dangers.append(
                HiddenDanger(
                    hazard_source=source,
                    level=HiddenDanger.Level.MAJOR if rng.random() < 0.1 else HiddenDanger.Level.GENERAL,
                    description=rng.choice(DANGERS),
                    found_at=found,
                    due_on=due.astimezone(CST).date(),
                    rectified_at=fixed if fixed < now else None,
                )
            )
        for due in first_of_month:
            if now - dt.timedelta(days=DAYS) <= due <= now + dt.timedelta(days=31):
                done = due - dt.timedelta(hours=rng.uniform(1, 72)) if due <= now and rng.random() > 1 / 30 else None
                inspector = source.operational_name if done else ""
                inspection = Inspection(hazard_source=source, due_at=due, done_at=done, inspector=inspector)
                history.inspections.append(inspection)
        if rng.random() < ACCIDENT_CHANCE:
            occurred = _moment(rng, now)
            kinds = [k for k in ("fire", "explosion", "poisoning") if getattr(source, f"accident_{k}")] or ["other"]
            deaths = rng.choice((0, 0, 0, 0, 1, 1, 2, 3, 5, 12))
            history.accidents.append(
                Accident(
                    region_id=source.enterprise.region_id,
                    enterprise=source.enterprise,
                    hazard_source=source,
                    occurred_at=occurred,
                    kind=rng.choice(kinds),
                    deaths=deaths,
                    injured=deaths * 2 + rng.randint(0, 5),
                    description=f"演示事故：{source.name}",
                )
            )
            if of_source[source.pk] and rng.random() < PRECURSOR_CHANCE:
                for _ in range(rng.randint(1, 4)):
                    add_alarm(source, occurred - dt.timedelta(seconds=rng.uniform(60, 72 * 3600)))
    return history
