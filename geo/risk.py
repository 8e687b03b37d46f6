"""Risk level of hazard sources — red, orange, yellow or blue — from five factors, each with its points.

**hazmap's own model, not an official formula.** No national formula for a hazard source's risk index
is published (the workspace's ``shared/data/other_standards.md``, §4): the colours are standard (red /
orange / yellow / blue = 重大 / 较大 / 一般 / 低 risk, dual prevention 双重预防), the arithmetic behind them is
not. The weights are therefore a setting, ``HAZMAP_RISK_WEIGHTS``, and every answer says so.

The score is a sum of points, higher is worse; each factor's points are capped (defaults):

- grade: GB 18218-2018 grade 1 / 2 / 3 / 4 → 40 / 30 / 20 / 10; no grade (not a major hazard source) → 0;
- alarms: each alarm of the source not closed, second level → 25, first level → 10; at most 50;
- monitoring: each sensor of the source stale, offline or of bad quality (its alarm state or quality), or
  silent for more than ``sensor_silent_after_s`` (900 s) → 5; at most 20;
- hidden dangers: each not rectified, major → 35, general → 5; at most 60;
- inspections: each due and not done → 5; at most 15.

Level: red from 70 points, orange from 45, yellow from 25, blue below. For example a grade-1 source
(40) with one second-level alarm open (25) is orange (65); add one first-level alarm (10) and it is red
(75). A grade-4 source (10) with a major hidden danger (35) is orange (45).

Choices made here (the factors' details state them too):

- an alarm is "live" until it is closed (销账): one whose condition cleared but that nobody handled yet
  still counts;
- alarms of the device itself (stale data, offline, bad quality) are left out of the alarms factor,
  since the monitoring factor counts the same sensors;
- a sensor that never reported (no value time) is taken as not yet in service and not counted;
- alarms with no hazard source (a person's tag outside any unit) belong to no source's level.

Counting is done in the database for many sources at once: ``annotate`` adds six counts to a queryset
of hazard sources (correlated ``COUNT`` subqueries, one query for the whole list), ``assess`` turns a
row's counts into its points, level and explained factors in plain Python, and ``level_expression`` is
the same arithmetic as one SQL expression (the ``risk_level`` attribute of the ``hazard-sources``
collection).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    Case,
    CharField,
    Count,
    Expression,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.models import Alarm, HazardSource, HiddenDanger, Inspection, Quality, Sensor


class Level(TextChoices):
    """The four risk levels, worst first."""

    RED = "red", gettext_lazy("red: major risk")
    ORANGE = "orange", gettext_lazy("orange: considerable risk")
    YELLOW = "yellow", gettext_lazy("yellow: general risk")
    BLUE = "blue", gettext_lazy("blue: low risk")


LEVELS = tuple(Level.values)  # worst first

NOTE = gettext_lazy(
    "The risk level is hazmap's own model, not an official formula: no national formula for the risk of a "
    "hazard source is published. Its weights are set with HAZMAP_RISK_WEIGHTS."
)

# Points and thresholds in force unless HAZMAP_RISK_WEIGHTS sets some of them (whole numbers ≥ 0).
DEFAULT_WEIGHTS: dict[str, object] = {
    "grade": {"1": 40, "2": 30, "3": 20, "4": 10},  # points of each GB 18218 grade; no grade: 0
    "alarm_second_level": 25,  # each second-level alarm of the source not closed
    "alarm_first_level": 10,  # each first-level alarm not closed
    "alarms_max": 50,
    "sensor_faulty": 5,  # each sensor stale, offline, of bad quality or silent
    "sensors_max": 20,
    "sensor_silent_after_s": 900,  # a sensor that reported once and not for this long (s) is silent
    "danger_major": 35,  # each major hidden danger not rectified
    "danger_general": 5,  # each general hidden danger not rectified
    "dangers_max": 60,
    "inspection_overdue": 5,  # each inspection due and not done
    "inspections_max": 15,
    "levels": {"red": 70, "orange": 45, "yellow": 25},  # lowest points of each level; below yellow: blue
}

# Alarms of the measuring device itself, counted by the monitoring factor instead of the alarms factor.
DEVICE_ALARM_KINDS = (Alarm.Kind.STALE, Alarm.Kind.OFFLINE, Alarm.Kind.BAD_QUALITY)
FAULTY_STATES = (Sensor.AlarmState.STALE, Sensor.AlarmState.OFFLINE, Sensor.AlarmState.BAD_QUALITY)


@dataclass(frozen=True)
class Weights:
    """The points of each factor and the thresholds of the levels (see ``DEFAULT_WEIGHTS``)."""

    grade: dict[int, int]
    alarm_second_level: int
    alarm_first_level: int
    alarms_max: int
    sensor_faulty: int
    sensors_max: int
    sensor_silent_after_s: int
    danger_major: int
    danger_general: int
    dangers_max: int
    inspection_overdue: int
    inspections_max: int
    levels: dict[str, int]

    def as_setting(self) -> dict[str, object]:
        """The weights as HAZMAP_RISK_WEIGHTS writes them (JSON)."""
        data = {name: getattr(self, name) for name in DEFAULT_WEIGHTS}
        data["grade"] = {str(grade): points for grade, points in self.grade.items()}
        return data

    def level_of(self, points: int) -> str:
        """The level of a score: the first whose threshold it reaches, else blue."""
        for level in ("red", "orange", "yellow"):
            if points >= self.levels[level]:
                return level
        return "blue"


def _refuse(message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"HAZMAP_RISK_WEIGHTS: {message}")


def _points(name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _refuse(f"{name} is {value!r}; give a whole number ≥ {minimum}.")
    return value


def parse_weights(overrides: Mapping | None) -> Weights:
    """The weights of ``overrides`` (any of ``DEFAULT_WEIGHTS``' keys) over the defaults, checked.

    Raises ``ImproperlyConfigured`` naming the key and what is wrong: an unknown key or grade or level,
    a value that is not a whole number ≥ 0, thresholds not falling from red to orange to yellow.
    """
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise _refuse(f"give a JSON object of weights, not {overrides!r}.")
    unknown = sorted(set(overrides) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise _refuse(f"unknown key {unknown[0]!r}; the keys are {', '.join(DEFAULT_WEIGHTS)}.")
    merged = {**DEFAULT_WEIGHTS, **overrides}
    for name in ("grade", "levels"):
        given = merged[name]
        if not isinstance(given, Mapping):
            raise _refuse(f"{name} is {given!r}; give an object such as {DEFAULT_WEIGHTS[name]}.")
        merged[name] = {**DEFAULT_WEIGHTS[name], **{str(key): value for key, value in given.items()}}
        extra = sorted(set(merged[name]) - set(DEFAULT_WEIGHTS[name]))
        if extra:
            raise _refuse(f"{name} has no {extra[0]!r}; its keys are {', '.join(DEFAULT_WEIGHTS[name])}.")
    grade = {int(key): _points(f"grade {key}", value) for key, value in merged["grade"].items()}
    levels = {key: _points(f"levels {key}", value, minimum=1) for key, value in merged["levels"].items()}
    if not levels["red"] > levels["orange"] > levels["yellow"]:
        raise _refuse(
            f"the thresholds must fall from red to orange to yellow, not red {levels['red']}, "
            f"orange {levels['orange']}, yellow {levels['yellow']}."
        )
    numbers = {
        name: _points(name, merged[name], minimum=1 if name == "sensor_silent_after_s" else 0)
        for name in DEFAULT_WEIGHTS
        if name not in ("grade", "levels")
    }
    return Weights(grade=grade, levels=levels, **numbers)


def weights() -> Weights:
    """The weights in force: ``settings.HAZMAP_RISK_WEIGHTS`` over the defaults (checked at start-up)."""
    return parse_weights(getattr(settings, "HAZMAP_RISK_WEIGHTS", None))


# --- counting, in the database ----------------------------------------------------------------------

COUNTS = (
    "risk_alarms_second",
    "risk_alarms_first",
    "risk_sensors_faulty",
    "risk_dangers_major",
    "risk_dangers_general",
    "risk_inspections_overdue",
)


def _count(rows: QuerySet) -> Expression:
    """The number of ``rows`` (filtered on ``hazard_source=OuterRef("pk")``) as a subquery, 0 when none."""
    counted = rows.order_by().values("hazard_source").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def count_expressions(w: Weights, now: dt.datetime) -> dict[str, Expression]:
    """The six counts of a hazard source at time ``now``, as expressions on a ``HazardSource`` queryset."""
    source = OuterRef("pk")
    alarms = Alarm.objects.filter(hazard_source=source).exclude(state=Alarm.State.CLOSED)
    alarms = alarms.exclude(kind__in=DEVICE_ALARM_KINDS)
    silent_since = now - dt.timedelta(seconds=w.sensor_silent_after_s)
    faulty = Q(alarm_state__in=FAULTY_STATES) | Q(quality=Quality.BAD) | Q(value_time__lt=silent_since)
    dangers = HiddenDanger.objects.filter(hazard_source=source, rectified_at__isnull=True)
    return {
        "risk_alarms_second": _count(alarms.filter(level=Alarm.Level.SECOND)),
        "risk_alarms_first": _count(alarms.filter(level=Alarm.Level.FIRST)),
        "risk_sensors_faulty": _count(Sensor.objects.filter(faulty, hazard_source=source)),
        "risk_dangers_major": _count(dangers.filter(level=HiddenDanger.Level.MAJOR)),
        "risk_dangers_general": _count(dangers.filter(level=HiddenDanger.Level.GENERAL)),
        "risk_inspections_overdue": _count(
            Inspection.objects.filter(hazard_source=source, done_at__isnull=True, due_at__lt=now)
        ),
    }


def annotate(rows: QuerySet[HazardSource], now: dt.datetime | None = None) -> QuerySet[HazardSource]:
    """``rows`` with the six counts ``assess`` reads (``COUNTS``), at ``now`` (default: the present)."""
    return rows.annotate(**count_expressions(weights(), now or timezone.now()))


def level_expression(w: Weights, now: dt.datetime) -> Expression:
    """The risk level of each hazard source as one SQL expression (the arithmetic of ``assess``)."""
    counts = count_expressions(w, now)

    def capped(total: Expression, cap: int) -> Expression:
        return Least(total, Value(cap))

    grade = Case(
        *(When(gb_grade=grade, then=Value(points)) for grade, points in w.grade.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    points = (
        grade
        + capped(
            counts["risk_alarms_second"] * Value(w.alarm_second_level)
            + counts["risk_alarms_first"] * Value(w.alarm_first_level),
            w.alarms_max,
        )
        + capped(counts["risk_sensors_faulty"] * Value(w.sensor_faulty), w.sensors_max)
        + capped(
            counts["risk_dangers_major"] * Value(w.danger_major)
            + counts["risk_dangers_general"] * Value(w.danger_general),
            w.dangers_max,
        )
        + capped(counts["risk_inspections_overdue"] * Value(w.inspection_overdue), w.inspections_max)
    )
    return Case(
        *(
            When(GreaterThanOrEqual(points, Value(w.levels[level])), then=Value(level))
            for level in ("red", "orange", "yellow")
        ),
        default=Value("blue"),
        output_field=CharField(),
    )


class RiskLevel(Expression):
    """``level_expression`` built when a query is (the weights in force, the present time): the
    ``risk_level`` attribute of the ``hazard-sources`` collection, computed as it is read."""

    verbose_name = gettext_lazy("risk level")

    def __init__(self) -> None:
        super().__init__(output_field=CharField(max_length=6, choices=Level.choices))

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        built = level_expression(weights(), timezone.now())
        return built.resolve_expression(query, allow_joins, reuse, summarize, for_save)


# --- explaining, in Python --------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One factor of a source's level: what was counted and the points it gives."""

    key: str
    title: str
    detail: str
    counts: dict[str, int]
    points: int
    max_points: int

    def as_json(self) -> dict[str, object]:
        return {
            "factor": self.key,
            "title": self.title,
            "detail": self.detail,
            "counts": self.counts,
            "points": self.points,
            "max_points": self.max_points,
        }


@dataclass(frozen=True)
class Assessment:
    """A hazard source's level, its points and the factors that make them up."""

    level: str
    points: int
    factors: tuple[Factor, ...]

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)

    def as_json(self) -> dict[str, object]:
        return {
            "level": self.level,
            "level_label": self.level_label,
            "points": self.points,
            "factors": [f.as_json() for f in self.factors],
        }


def assess(row: Mapping[str, object], w: Weights | None = None) -> Assessment:
    """The level of one hazard source, every factor explained, from a row of an ``annotate``-d queryset read
    with ``.values("gb_grade", *COUNTS)`` (more keys may be there). The labels are in the active language."""
    w = w or weights()
    grade = row["gb_grade"]
    second, first = row["risk_alarms_second"], row["risk_alarms_first"]
    major, general = row["risk_dangers_major"], row["risk_dangers_general"]
    faulty, overdue = row["risk_sensors_faulty"], row["risk_inspections_overdue"]
    grade_points = 0 if grade is None else w.grade.get(grade, 0)
    if grade is None:
        grade_detail = _("not graded: not a major hazard source under GB 18218-2018")
    else:
        grade_detail = _("GB 18218-2018 grade %(grade)d") % {"grade": grade}
    factors = (
        Factor(
            "grade",
            _("GB 18218 grade"),
            grade_detail,
            {"grade": grade},
            grade_points,
            max(w.grade.values()),
        ),
        Factor(
            "alarms",
            _("alarms not closed"),
            _("%(second)d second-level and %(first)d first-level alarms not closed (device alarms not counted)")
            % {"second": second, "first": first},
            {"second_level": second, "first_level": first},
            min(second * w.alarm_second_level + first * w.alarm_first_level, w.alarms_max),
            w.alarms_max,
        ),
        Factor(
            "monitoring",
            _("monitoring out of service"),
            _(
                "%(count)d sensors stale, offline, of bad quality or silent for more than %(seconds)d s "
                "(sensors that never reported not counted)"
            )
            % {"count": faulty, "seconds": w.sensor_silent_after_s},
            {"sensors": faulty},
            min(faulty * w.sensor_faulty, w.sensors_max),
            w.sensors_max,
        ),
        Factor(
            "hidden_dangers",
            _("hidden dangers not rectified"),
            _("%(major)d major and %(general)d general hidden dangers not rectified")
            % {"major": major, "general": general},
            {"major": major, "general": general},
            min(major * w.danger_major + general * w.danger_general, w.dangers_max),
            w.dangers_max,
        ),
        Factor(
            "inspections",
            _("inspections overdue"),
            _("%(count)d inspections due and not done") % {"count": overdue},
            {"overdue": overdue},
            min(overdue * w.inspection_overdue, w.inspections_max),
            w.inspections_max,
        ),
    )
    points = sum(f.points for f in factors)
    return Assessment(w.level_of(points), points, factors)
