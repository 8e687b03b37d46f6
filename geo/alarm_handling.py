"""Alarm handling to closure (报警处置): every alarm is seen, its situation verified, the plan applied, a report
written and then closed (销账), with the responsible people told at each step and the level above when a
step is late.

The national construction guide for major-hazard-source monitoring asks for exactly these functions at the
county/park level — "信息查看、情况核实、预案处置、报告生成" — and a province's application adds that the
alarm is sent to the responsible people of the enterprise and the regulator, who handle it, write the report
and close it (销账). hazmap's steps and states (``Alarm.state``):

===========  ===========================  =====================  =========================================
step         from state                   to state               payload
===========  ===========================  =====================  =========================================
see          new                          seen                   —
verify       seen                         verified               ``finding``: real / false_alarm / test
apply_plan   verified                     plan_applied           ``measures`` (list of text), ``plan``
report       plan_applied; or verified    reported               ``text`` (what was done), ``cause``,
             when not a real alarm                               ``corrective`` (整改措施)
close        reported, condition cleared  closed                 —
===========  ===========================  =====================  =========================================

Every step may carry a ``comment``. A false alarm or a test may go from verified straight to the report.
An alarm whose condition still lasts (``ended_at`` empty) cannot be closed.

**Who may take each step** is the table ``WHO_MAY``: the alarm's own enterprise first (its operators, for
its alarms only), the regulators and emergency commanders of the regions that cover the alarm (its region
and every region above), inspectors for seeing and verifying on site. An enterprise reports up and a
regulator or commander closes: an enterprise does not close its own alarm. A superuser may take any step.

Each step (``take_step``) checks scope, role and order — refusing with ``geo.audit.Refused`` (403 not
allowed, 409 out of order), recorded in the audit log outside the step's transaction — then, in one
transaction: moves the alarm's state, writes an ``AlarmHandling`` record, an audit entry and notifications
to the responsible people (``responsible_people``).

**Time limits.** Each step has a limit counted from the alarm's start, per alarm level
(``settings.HAZMAP_ALARM_LIMITS``; level 2 is the higher set point): by default a first-level alarm is to
be seen within 5 min, verified within 15 min, its plan applied within 1 h, reported within 24 h and closed
within 3 days; a second-level alarm within 3 min, 10 min, 30 min, 12 h and 2 days. These are hazmap's
choice: no official limits are published.

**Escalation.** When the next step of an open alarm is not taken by its deadline, the alarm escalates to the
level above its region (a park's alarm to its county): that region's people are told, and an ``escalate``
record notes the step and the region. Each further limit's length overdue moves it one level higher (the
city after twice the limit, then the province …), up to the national level; each step escalates once per
level. ``check`` (run by ``hazmap serve`` every ``HAZMAP_ALARM_CHECK_INTERVAL_S`` and by ``hazmap
escalate-alarms``) also announces new alarms to their responsible people, once (a ``raised`` record).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo import audit, notify
from geo.audit import Refused
from geo.models import Alarm, AlarmHandling, Region
from geo.scope import ancestor_paths, scoped

log = logging.getLogger("hazmap.alarms")

State = Alarm.State
STEPS = ("see", "verify", "apply_plan", "report", "close")

# step: (the states it may be taken from, the state it leads to)
ORDER: dict[str, tuple[tuple[str, ...], str]] = {
    "see": ((State.NEW,), State.SEEN),
    "verify": ((State.SEEN,), State.VERIFIED),
    "apply_plan": ((State.VERIFIED,), State.PLAN_APPLIED),
    "report": ((State.PLAN_APPLIED, State.VERIFIED), State.REPORTED),
    "close": ((State.REPORTED,), State.CLOSED),
}


@dataclasses.dataclass(frozen=True)
class Who:
    """The roles that may take a step: accounts of the alarm's enterprise, and accounts of the covering regions."""

    enterprise: frozenset[str]
    regions: frozenset[str]


def _who(enterprise: tuple[str, ...], regions: tuple[str, ...]) -> Who:
    return Who(frozenset(enterprise), frozenset(regions))


WHO_MAY: dict[str, Who] = {
    #                   the alarm's enterprise   the regions covering the alarm
    "see": _who(("enterprise",), ("regulator", "emergency", "inspector")),
    "verify": _who(("enterprise",), ("regulator", "emergency", "inspector")),
    "apply_plan": _who(("enterprise",), ("emergency",)),
    "report": _who(("enterprise",), ("emergency",)),
    "close": _who((), ("regulator", "emergency")),
}

# The people told of an alarm: the roles that take part in some step, on either side.
ENTERPRISE_ROLES = sorted(set().union(*(w.enterprise for w in WHO_MAY.values())))
REGION_ROLES = sorted(set().union(*(w.regions for w in WHO_MAY.values())))

MAX_MEASURES = 50
MAX_TEXT = 20_000


def step_label(step: str) -> str:
    """The step's name for people (the state it leads to: 已查看, 已核实 …; 报警 for the announcement)."""
    if step in ORDER:
        return str(State(ORDER[step][1]).label)
    return str(AlarmHandling.Step(step).label)


# --- where an alarm stands -------------------------------------------------------------------------


def next_step(alarm: Alarm) -> str | None:
    """The step the alarm waits for (None once closed); after verifying, a real alarm waits for its plan."""
    if alarm.state == State.VERIFIED:
        return "apply_plan" if alarm.finding == Alarm.Finding.REAL else "report"
    for step, (before, _after) in ORDER.items():
        if alarm.state == before[0]:
            return step
    return None


def limit(alarm: Alarm, step: str) -> dt.timedelta:
    """The time the step is given from the alarm's start, for the alarm's level."""
    limits = settings.HAZMAP_ALARM_LIMITS.get(alarm.level, settings.HAZMAP_ALARM_LIMITS[1])
    return dt.timedelta(seconds=limits[step])


def deadline(alarm: Alarm, step: str | None = None) -> dt.datetime | None:
    """When ``step`` (default: the next one) is due: the alarm's start plus its limit."""
    step = step or next_step(alarm)
    return None if step is None else alarm.started_at + limit(alarm, step)


def covering_regions(alarm: Alarm) -> list[Region]:
    """The alarm's region and the regions above it, nearest first."""
    paths = [*ancestor_paths(alarm.region.path), alarm.region.path]
    return sorted(Region.objects.filter(path__in=paths), key=lambda r: -len(r.path))


# --- who may act -----------------------------------------------------------------------------------


def check_allowed(alarm: Alarm, step: str, user, in_scope: bool = False) -> None:
    """Raise ``Refused`` (403) unless ``user`` may take ``step`` on ``alarm`` by scope and role (not order).

    ``in_scope``: the alarm was read through ``scoped`` for this user already (lists), so scope is not asked again.
    """
    if user.is_superuser:
        return
    if not in_scope and not scoped(Alarm.objects.filter(pk=alarm.pk), user).exists():
        raise Refused(_("This alarm is outside your area of responsibility."), "OutOfScope", 403)
    who = WHO_MAY[step]
    if user.enterprise_id is not None:
        if alarm.enterprise_id != user.enterprise_id:
            raise Refused(
                _("This alarm is not your enterprise's: its handling is for the regulators of its region."),
                "OutOfScope",
                403,
            )
        allowed = user.role in who.enterprise
    else:
        allowed = user.role in who.regions
    if not allowed:
        raise Refused(
            _("The role “%(role)s” may not take the step “%(step)s”.")
            % {"role": user.get_role_display(), "step": step_label(step)},
            "Forbidden",
            403,
        )


def check_order(alarm: Alarm, step: str) -> None:
    """Raise ``Refused`` (409) unless the alarm's state allows ``step`` now."""
    if alarm.state == State.CLOSED:
        raise Refused(_("The alarm is already closed."), "OutOfOrder")
    before, _after = ORDER[step]
    if alarm.state not in before:
        needed = " / ".join(f"“{State(s).label}”" for s in before)
        raise Refused(
            _("The step “%(step)s” cannot be taken now: the alarm is “%(state)s”, and the step needs it %(needed)s.")
            % {"step": step_label(step), "state": State(alarm.state).label, "needed": needed},
            "OutOfOrder",
        )
    if step == "report" and alarm.state == State.VERIFIED and alarm.finding == Alarm.Finding.REAL:
        raise Refused(_("A real alarm needs its plan applied before the report is written."), "OutOfOrder")
    if step == "close" and alarm.ended_at is None:
        raise Refused(_("The alarm's condition still lasts: it can be closed once it has cleared."), "ConditionLasts")


def waiting_reason(alarm: Alarm) -> str | None:
    """Why nobody can take the alarm's next step yet (its condition lasts), or None."""
    if next_step(alarm) == "close" and alarm.ended_at is None:
        return _("The alarm's condition still lasts: it can be closed once it has cleared.")
    return None


def allowed_steps(alarm: Alarm, user, in_scope: bool = False) -> list[str]:
    """The steps ``user`` may take on ``alarm`` now, by scope, role and order (``in_scope``: see ``check_allowed``)."""
    steps = []
    for step in STEPS:
        try:
            check_allowed(alarm, step, user, in_scope)
            check_order(alarm, step)
        except Refused:
            continue
        steps.append(step)
    return steps


# --- the payload of each step ----------------------------------------------------------------------


def _text(value, field: str, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise ValidationError({field: _("This field is required.")}, code="required")
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Give text.")}, code="invalid")
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": MAX_TEXT}}, code="max_length")
    return value.strip()


def clean_payload(step: str, payload: dict | None) -> dict:
    """The step's payload checked and normalised; ``ValidationError`` naming the field otherwise."""
    payload = dict(payload or {})
    fields = {"see": (), "verify": ("finding",), "apply_plan": ("measures", "plan"), "close": ()}
    fields["report"] = ("text", "cause", "corrective")
    unknown = sorted(set(payload) - set(fields[step]))
    if unknown:
        message = _("The step “%(step)s” takes no “%(field)s”.") % {"step": step_label(step), "field": unknown[0]}
        raise ValidationError({unknown[0]: message}, code="unknown")
    if step == "verify":
        finding = payload.get("finding")
        if finding not in Alarm.Finding.values:
            choices = ", ".join(Alarm.Finding.values)
            raise ValidationError(
                {"finding": _("Say what was found: one of %(choices)s.") % {"choices": choices}}, code="invalid"
            )
        return {"finding": finding}
    if step == "apply_plan":
        measures = payload.get("measures")
        if isinstance(measures, str):
            measures = [measures]
        if not isinstance(measures, list) or not measures or len(measures) > MAX_MEASURES:
            raise ValidationError(
                {"measures": _("List the measures taken (1 to %(n)d).") % {"n": MAX_MEASURES}}, code="invalid"
            )
        cleaned = [_text(m, "measures", required=True) for m in measures]
        return {"measures": cleaned, "plan": _text(payload.get("plan"), "plan", required=False)}
    if step == "report":
        return {
            "text": _text(payload.get("text"), "text", required=True),
            "cause": _text(payload.get("cause"), "cause", required=False),
            "corrective": _text(payload.get("corrective"), "corrective", required=False),
        }
    return {}


# --- who is told -----------------------------------------------------------------------------------


def escalated_regions(alarm: Alarm) -> list[Region]:
    """The regions the alarm has been escalated to, nearest first."""
    rows = AlarmHandling.objects.filter(alarm=alarm, step=AlarmHandling.Step.ESCALATE).select_related("region")
    regions = {r.region.pk: r.region for r in rows if r.region is not None}
    return sorted(regions.values(), key=lambda r: -len(r.path))


class People:
    """The people of regions and enterprises, each read once (a check tells many alarms of the same places)."""

    def __init__(self) -> None:
        self._regions: dict[int, list] = {}
        self._enterprises: dict[int, list] = {}

    def of_region(self, region: Region) -> list:
        """The regulators, commanders and inspectors placed in ``region``."""
        if region.pk not in self._regions:
            self._regions[region.pk] = list(notify.people_of(region=region, roles=REGION_ROLES))
        return self._regions[region.pk]

    def of_enterprise(self, enterprise) -> list:
        """The operators of ``enterprise``."""
        if enterprise.pk not in self._enterprises:
            self._enterprises[enterprise.pk] = list(notify.people_of(enterprise=enterprise, roles=ENTERPRISE_ROLES))
        return self._enterprises[enterprise.pk]


def responsible_people(alarm: Alarm, escalated: list[Region] | None = None, people: People | None = None) -> list:
    """Who answers for the alarm: its enterprise's operators, the regulators, commanders and inspectors placed in
    its region, and those of every region it has been escalated to (``escalated``: read when not given)."""
    people = people or People()
    told = people.of_enterprise(alarm.enterprise) if alarm.enterprise_id is not None else []
    for region in [alarm.region, *(escalated_regions(alarm) if escalated is None else escalated)]:
        told = told + people.of_region(region)
    return list({p.pk: p for p in told}.values())


def _where(alarm: Alarm) -> str:
    return alarm.enterprise.name if alarm.enterprise_id else alarm.region.name


def _describe(alarm: Alarm) -> str:
    return f"{alarm.message or alarm.get_kind_display()}（{_where(alarm)}）"


# --- taking a step ---------------------------------------------------------------------------------


def take_step(
    alarm: Alarm | int,
    step: str,
    user,
    *,
    comment: str = "",
    payload: dict | None = None,
    now: dt.datetime | None = None,
) -> AlarmHandling:
    """Take ``step`` on ``alarm`` as ``user``; return the handling record.

    Refused steps raise ``Refused`` and are recorded in the audit log (call this outside any transaction
    of your own, or the refusal is rolled back with it); a bad payload raises ``ValidationError``.
    """
    if step not in ORDER:
        raise ValueError(f"unknown alarm handling step {step!r}")
    alarm_id = alarm if isinstance(alarm, int) else alarm.pk
    now = now or timezone.now()
    comment = _text(comment, "comment", required=False)
    try:
        with transaction.atomic():
            alarm = (
                Alarm.objects.select_for_update(of=("self",)).select_related("region", "enterprise").get(pk=alarm_id)
            )
            check_allowed(alarm, step, user)
            check_order(alarm, step)
            data = clean_payload(step, payload)
            before, due = alarm.state, deadline(alarm, step)
            alarm.state = ORDER[step][1]
            fields = ["state"]
            if step == "verify":
                alarm.finding = data["finding"]
                fields.append("finding")
            if step == "close":
                alarm.closed_at = max(now, alarm.started_at)
                fields.append("closed_at")
            alarm.save(update_fields=fields)
            record = AlarmHandling.objects.create(
                alarm=alarm,
                step=step,
                time=now,
                actor=user,
                actor_name=user.get_username(),
                comment=comment,
                payload={**data, "from": before, "deadline": _iso(due), "late": now > due},
            )
            audit.record(user, f"alarm.{step}", alarm, detail={"from": before, "to": alarm.state, **data})
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Alarm %(step)s: %(alarm)s") % {"step": step_label(step), "alarm": _describe(alarm)}
                body = _("%(actor)s, %(time)s.") % {"actor": user.get_username(), "time": _local(now)}
                if comment:
                    body += "\n" + comment
            notify.notify([p for p in responsible_people(alarm) if p.pk != user.pk], subject, body, alarm)
            return record
    except Refused as error:
        stored = Alarm.objects.filter(pk=alarm_id).first()
        audit.record_refusal(user, f"alarm.{step}", stored, error)
        raise


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


# --- announcing and escalating (periodic) ----------------------------------------------------------


@dataclasses.dataclass
class CheckResult:
    """What one ``check`` did: alarms announced, escalations recorded, notifications written."""

    announced: int = 0
    escalated: int = 0
    notified: int = 0


def _recent(now: dt.datetime):
    return Alarm.objects.exclude(state=State.CLOSED).filter(
        started_at__gt=now - dt.timedelta(days=settings.HAZMAP_ALARM_HORIZON_DAYS), started_at__lte=now
    )


def _escalations_of(alarms) -> dict[int, list[Region]]:
    """The regions each of ``alarms`` (a queryset or list) has been escalated to, nearest first, in one query."""
    found: dict[int, dict[int, Region]] = defaultdict(dict)
    rows = AlarmHandling.objects.filter(alarm__in=alarms, step=AlarmHandling.Step.ESCALATE).select_related("region")
    for record in rows:
        found[record.alarm_id][record.region_id] = record.region
    return {pk: sorted(regions.values(), key=lambda r: -len(r.path)) for pk, regions in found.items()}


def announce_new(now: dt.datetime, batch: int = 500) -> CheckResult:
    """Tell the responsible people of each open alarm not yet announced (once; a ``raised`` record)."""
    result = CheckResult()
    pending = list(
        _recent(now)
        .exclude(handling__step=AlarmHandling.Step.RAISED)
        .select_related("region", "enterprise")
        .order_by("started_at", "pk")[:batch]
    )
    escalated = _escalations_of(pending)
    people = People()
    for alarm in pending:
        told = responsible_people(alarm, escalated.get(alarm.pk, []), people)
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("%(level)s: %(alarm)s") % {"level": alarm.get_level_display(), "alarm": _describe(alarm)}
            body = _("Started %(time)s; to be seen by %(deadline)s.") % {
                "time": _local(alarm.started_at),
                "deadline": _local(deadline(alarm, "see")),
            }
        try:
            with transaction.atomic():
                AlarmHandling.objects.create(
                    alarm=alarm,
                    step=AlarmHandling.Step.RAISED,
                    time=now,
                    actor_name="hazmap",
                    payload={"notified": sorted(p.get_username() for p in told)},
                )
                result.notified += len(notify.notify(told, subject, body, alarm))
        except IntegrityError:  # announced meanwhile by another checker
            continue
        result.announced += 1
    return result


# Each open state, as a condition, and the step an alarm in it waits for (``next_step`` in SQL).
WAITING: tuple[tuple[Q, str], ...] = (
    (Q(state=State.NEW), "see"),
    (Q(state=State.SEEN), "verify"),
    (Q(state=State.VERIFIED, finding=Alarm.Finding.REAL), "apply_plan"),
    (Q(state=State.VERIFIED) & ~Q(finding=Alarm.Finding.REAL), "report"),
    (Q(state=State.PLAN_APPLIED), "report"),
    (Q(state=State.REPORTED), "close"),
)


def overdue(now: dt.datetime, unless: Callable[[str], Q] | None = None) -> Q:
    """Open alarms whose next step's deadline has passed by ``now``, in one condition per level and state;
    ``unless(step)``, when given, leaves out the alarms waiting for ``step`` that it holds."""
    condition = Q(pk__in=[])
    for state, step in WAITING:
        waiting = state if unless is None else state & ~unless(step)
        for level, limits in settings.HAZMAP_ALARM_LIMITS.items():
            cutoff = now - dt.timedelta(seconds=limits[step])
            condition |= Q(level=level, started_at__lte=cutoff) & waiting
    return condition


def _overdue_filter(now: dt.datetime) -> Q:
    """Open alarms whose next step's deadline has passed and has not yet reached the top of its region's chain."""

    def at_the_top(step: str) -> Q:
        escalated = AlarmHandling.objects.filter(
            alarm=OuterRef("pk"), step=AlarmHandling.Step.ESCALATE, overdue_step=step, region__parent__isnull=True
        )
        return Q(Exists(escalated))

    return overdue(now, unless=at_the_top)


def escalations_due(alarm: Alarm, now: dt.datetime) -> int:
    """How many levels up the alarm's next step has escalated by ``now``: 1 at its deadline, one more each
    further limit's length (0 when not yet due)."""
    step = next_step(alarm)
    if step is None:
        return 0
    late = now - deadline(alarm, step)
    if late < dt.timedelta(0):
        return 0
    return 1 + int(late / limit(alarm, step))


def escalate_overdue(now: dt.datetime) -> CheckResult:
    """Escalate every overdue step to the levels above that are due and not yet told (once per step and level)."""
    result = CheckResult()
    overdue = _recent(now).filter(_overdue_filter(now))
    done = defaultdict(set)
    for alarm_id, step, region_id in AlarmHandling.objects.filter(
        alarm__in=overdue.values("pk"), step=AlarmHandling.Step.ESCALATE
    ).values_list("alarm_id", "overdue_step", "region_id"):
        done[alarm_id].add((step, region_id))
    levels_above: dict[int, list[Region]] = {}  # region id → the regions above it, nearest first
    people = People()
    for alarm in overdue.select_related("region", "enterprise").order_by("started_at", "pk"):
        step = next_step(alarm)
        if alarm.region_id not in levels_above:
            levels_above[alarm.region_id] = covering_regions(alarm)[1:]
        above = levels_above[alarm.region_id][: escalations_due(alarm, now)]
        due = [
            (level, region) for level, region in enumerate(above, start=1) if (step, region.pk) not in done[alarm.pk]
        ]
        if due:
            notified = _escalate(alarm, step, due, now, people)
            if notified is not None:
                result.escalated += len(due)
                result.notified += notified
    return result


def _escalate(
    alarm: Alarm, step: str, levels: list[tuple[int, Region]], now: dt.datetime, people: People
) -> int | None:
    """Record the escalations of ``step`` to each of ``levels`` (level number, region) and tell their people, in
    one transaction; return the notifications written, or None if the alarm moved or was escalated meanwhile."""
    due_by = deadline(alarm, step)
    try:
        with transaction.atomic():
            current = Alarm.objects.select_for_update().get(pk=alarm.pk)
            if current.state != alarm.state or next_step(current) != step:
                return None
            written = 0
            for level, region in levels:
                told = people.of_region(region)
                AlarmHandling.objects.create(
                    alarm=alarm,
                    step=AlarmHandling.Step.ESCALATE,
                    time=now,
                    actor_name="hazmap",
                    overdue_step=step,
                    region=region,
                    payload={
                        "level": level,
                        "deadline": _iso(due_by),
                        "escalated_at_due": _iso(due_by + (level - 1) * limit(alarm, step)),
                        "notified": sorted(p.get_username() for p in told),
                    },
                )
                audit.record(
                    None,
                    "alarm.escalate",
                    alarm,
                    actor_name="hazmap",
                    detail={"step": step, "to_region": region.code, "level": level},
                )
                with translation.override(settings.LANGUAGE_CODE):
                    subject = _("Overdue, escalated to %(region)s: %(alarm)s") % {
                        "region": region.name,
                        "alarm": _describe(alarm),
                    }
                    body = _("The step “%(step)s” was due by %(deadline)s and has not been taken.") % {
                        "step": step_label(step),
                        "deadline": _local(due_by),
                    }
                written += len(notify.notify(told, subject, body, alarm))
    except IntegrityError:  # escalated meanwhile by another checker: the next check takes what is left
        return None
    for _level, region in levels:
        log.info("alarm %s: %s overdue, escalated to %s (%s)", alarm.pk, step, region.code, region.name)
    return written


def check(now: dt.datetime | None = None) -> CheckResult:
    """Announce the new alarms and escalate the overdue steps (``hazmap serve`` runs it periodically)."""
    now = now or timezone.now()
    announced = announce_new(now)
    escalated = escalate_overdue(now)
    return CheckResult(announced.announced, escalated.escalated, announced.notified + escalated.notified)
