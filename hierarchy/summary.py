"""Each centre's periodic summary of its region, sent to its parent like any forwarded row, and the parent's view.

**What.** Every ``HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S`` seconds (default 3600) a centre with a parent counts,
in the database, what its region (``HAZMAP_CENTRE_REGION`` and every region below) holds at that moment,
and what happened since its previous summary (the *period*; the first covers one interval)::

    {"hazard_sources": {"total", "major", "by_grade": {"1", "2", "3", "4", "none"},
                        "by_status": {"draft", "applied", "registered", "cancel_applied", "cancelled"},
                        "by_risk_level": {"red", "orange", "yellow", "blue"}},
     "alarms": {"open", "open_by_level": {"1", "2"}, "overdue",
                "raised", "raised_by_level": {"1", "2"}},
     "sensors": {"total", "online", "stale", "offline", "never_reported"}}

- hazard sources by GB 18218 grade (``none``: not graded, not a major hazard source), registry status and
  risk level (``geo.risk``, the weights in force);
- alarms not closed (销账), by level, and how many of them wait for a handling step past its deadline
  (``geo.alarm_handling.overdue``); alarms that started in the period, by level (an alarm delivered after
  the summary of the period it started in is counted in no period's ``raised``, but among ``open``);
- sensors by state, each in one class: ``offline`` (alarm state offline), ``stale`` (alarm state stale, or
  silent longer than the risk weights' ``sensor_silent_after_s``, 900 s), ``never_reported`` (no value yet:
  not in service), ``online`` (the others).

Each class is one ``GROUP BY`` or one aggregate (about eight queries, whatever the size of the region).

**How it travels.** The summary is a ``geo.Summary`` row saved here (``summarise``); its ``post_save``
queues it for the parent in the same transaction (``hierarchy.forward``), so it goes up through the
same uplink as every change — kept through outages until acknowledged, applied once
(``hierarchy.kinds.SummaryKind``: known by centre and time). The parent keeps every summary it receives
(the history) and forwards it to its own parent as it does every row of its region. A summary is made at
once when the last is an interval old or there is none — at the forwarder's start too, so a centre
that was down makes one when it comes back, and one restarted within the interval makes none — and by
``hazmap hierarchy --resync``.

**At the parent.** ``latest`` lists, in a user's scope, the latest summary of each centre below with how
old it is (``GET /app/hierarchy/summaries``); ``history`` one centre's summaries, newest first
(``GET /app/hierarchy/summaries/{centre}``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Case, Count, Expression, F, Q, QuerySet, Value, When
from django.utils import timezone

from geo import risk
from geo.alarm_handling import overdue
from geo.models import Alarm, HazardSource, Region, Sensor, Summary
from geo.scope import scoped
from hierarchy import conf

log = logging.getLogger(__name__)

NONE = "none"  # the key of rows without a value (a hazard source without a grade)
SENSOR_STATES = ("online", "stale", "offline", "never_reported")
RETRY_S = 60.0  # a summary that failed (database busy, gone) is tried again this many seconds later


# --- counting, in the database -------------------------------------------------------------------------


def within(rows: QuerySet, path: str) -> QuerySet:
    """The part of ``rows`` that lies in the region of ``path`` and below (by the model's ``scope_region``)."""
    return rows.filter(**{f"{rows.model.scope_region}__startswith": path})


def counted(rows: QuerySet, key: Expression | str, keys: Iterable) -> dict[str, int]:
    """How many of ``rows`` have each of ``keys`` as ``key`` (one ``GROUP BY``): every key, 0 when none has it,
    written as text (None as ``"none"``)."""
    expression = F(key) if isinstance(key, str) else key
    found = {row["key"]: row["n"] for row in rows.order_by().values(key=expression).annotate(n=Count("pk"))}
    return {NONE if k is None else str(k): found.get(k, 0) for k in keys}


def sensor_state(now: dt.datetime, silent_after_s: int) -> Case:
    """The class of a sensor at ``now``: offline, stale (or silent longer than ``silent_after_s``), never
    reported, online."""
    return Case(
        When(alarm_state=Sensor.AlarmState.OFFLINE, then=Value("offline")),
        When(
            Q(alarm_state=Sensor.AlarmState.STALE) | Q(value_time__lt=now - dt.timedelta(seconds=silent_after_s)),
            then=Value("stale"),
        ),
        When(value_time__isnull=True, then=Value("never_reported")),
        default=Value("online"),
    )


def figures(path: str, since: dt.datetime, until: dt.datetime) -> dict:
    """The figures of the region of ``path`` at ``until``, with the alarms that started from ``since`` to
    ``until`` (see the module docstring)."""
    weights = risk.weights()
    sources = within(HazardSource.objects.all(), path)
    alarms = within(Alarm.objects.all(), path)
    open_alarms = alarms.exclude(state=Alarm.State.CLOSED)
    raised = alarms.filter(started_at__gte=since, started_at__lt=until)
    sensors = within(Sensor.objects.all(), path)
    open_by_level = counted(open_alarms, "level", Alarm.Level.values)
    raised_by_level = counted(raised, "level", Alarm.Level.values)
    by_state = counted(sensors, sensor_state(until, weights.sensor_silent_after_s), SENSOR_STATES)
    return {
        "hazard_sources": {
            **sources.aggregate(total=Count("pk"), major=Count("pk", filter=Q(is_major=True))),
            "by_grade": counted(sources, "gb_grade", [*HazardSource.Grade.values, None]),
            "by_status": counted(sources, "registry_status", HazardSource.RegistryStatus.values),
            "by_risk_level": counted(sources, risk.level_expression(weights, until), risk.LEVELS),
        },
        "alarms": {
            "open": sum(open_by_level.values()),
            "open_by_level": open_by_level,
            "overdue": open_alarms.filter(overdue(until)).count(),
            "raised": sum(raised_by_level.values()),
            "raised_by_level": raised_by_level,
        },
        "sensors": {"total": sum(by_state.values()), **by_state},
    }


# --- this centre's summaries -----------------------------------------------------------------------------


def last_own() -> Summary | None:
    """The latest summary this centre made (None before its first)."""
    return Summary.objects.filter(received_from="").order_by("-period_end").first()


def summarise(now: dt.datetime | None = None) -> Summary | None:
    """Make this centre's summary of its region at ``now`` (default: the present) and save it, which queues it for
    the parent; None (logged) when HAZMAP_CENTRE_REGION names no region here."""
    now = now or timezone.now()
    code = conf.centre_region()
    region = Region.objects.filter(code=code).first()
    if region is None:
        log.error("hierarchy: HAZMAP_CENTRE_REGION=%r is no region here; no summary is made", code)
        return None
    interval_s = settings.HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S
    last = last_own()
    since = last.period_end if last is not None and last.period_end < now else now - dt.timedelta(seconds=interval_s)
    summary = Summary(
        centre=conf.centre_code(),
        region=region,
        period_start=since,
        period_end=now,
        interval_s=interval_s,
        figures=figures(region.path, since, now),
    )
    summary.save()
    log.info("hierarchy: summary of %s at %s queued for the parent", region.code, now.isoformat())
    return summary


def due_in(now: dt.datetime | None = None) -> float:
    """Seconds until this centre's next summary is due (0: due now), at most one interval."""
    now = now or timezone.now()
    interval_s = settings.HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S
    last = last_own()
    if last is None:
        return 0.0
    left = (last.period_end - now).total_seconds() + interval_s
    return min(max(left, 0.0), float(interval_s))


class SummaryClock:
    """A daemon thread that makes this centre's summary whenever one is due (``due_in``), until ``stop``; a failure
    is logged and tried again ``RETRY_S`` later."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hazmap-hierarchy-summary", daemon=True)

    def tick(self, now: dt.datetime | None = None) -> float:
        """Make the summary if it is due at ``now``; seconds until the next one."""
        if due_in(now) == 0.0 and summarise(now) is None:
            return float(settings.HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S)
        return max(due_in(now), 1.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                close_old_connections()
                wait = self.tick()
            except Exception:  # the database busy or gone: logged, tried again soon
                log.exception("hierarchy: the summary failed; trying again in %.0f s", RETRY_S)
                wait = RETRY_S
            self._stop.wait(wait)
        connection.close()

    def start(self) -> SummaryClock:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


# --- the parent's view ----------------------------------------------------------------------------------


def received(user) -> QuerySet[Summary]:
    """The summaries from centres below this one that ``user`` may see."""
    return scoped(Summary.objects.exclude(received_from=""), user).select_related("region")


def describe(summary: Summary, now: dt.datetime) -> dict:
    """A summary as the endpoints answer it: its centre, region, period, how old it is at ``now`` (``age_s``,
    whole seconds; ``late`` when older than two of its centre's intervals) and its figures."""
    age_s = int((now - summary.period_end).total_seconds())
    return {
        "centre": summary.centre,
        "region": {"code": summary.region.code, "name": summary.region.name, "name_en": summary.region.name_en},
        "received_from": summary.received_from,
        "period_start": summary.period_start.isoformat(),
        "period_end": summary.period_end.isoformat(),
        "received_at": summary.received_at.isoformat() if summary.received_at else None,
        "interval_s": summary.interval_s,
        "age_s": age_s,
        "late": age_s > 2 * summary.interval_s,
        "figures": summary.figures,
    }


def latest(user, now: dt.datetime | None = None) -> list[dict]:
    """The latest summary of each centre below this one in ``user``'s scope, by region code (one query)."""
    now = now or timezone.now()
    rows = received(user).latest_of_each_centre().order_by("region__code", "centre")
    return [describe(summary, now) for summary in rows]


def history(user, centre: str, limit: int, now: dt.datetime | None = None) -> list[dict]:
    """Centre ``centre``'s summaries in ``user``'s scope, newest first, at most ``limit``."""
    now = now or timezone.now()
    rows = received(user).filter(centre=centre).order_by("-period_end")[:limit]
    return [describe(summary, now) for summary in rows]
