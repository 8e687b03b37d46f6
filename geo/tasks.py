"""Tasks between levels and enterprises (任务下达 / 任务报告): a region issues, the enterprise or lower region reports.

The national guide's task management: "安全管理任务逐级下发和逐级汇报" — tasks go down level by level and
reports come back up. A ``Task`` goes from a region's regulators or emergency commanders to an enterprise
in their region or to a region below theirs, optionally about an alarm or a hazard source of the target,
with a due date. Its steps, each checked for role, scope and order like the alarm steps
(``geo.alarm_handling``), recorded in the audit log (refusals too) and told to the other side:

===========  ======================================  ============  ===========  ==========================
step         who                                     from          to           who is told
===========  ======================================  ============  ===========  ==========================
issue        regulator / emergency of a region       —             issued       the target's people
acknowledge  the target: the enterprise's operators  issued        acknowledged the issuer and its region's
             or the target region's regulators and                              regulators and commanders
             commanders
report       the target, with the report text        acknowledged  reported     the issuing side
close        the issuing region's regulators and     reported      closed       the target's people
             commanders (or the issuer)
===========  ======================================  ============  ===========  ==========================

A task is seen (``visible_tasks``) by the regions from the target up (so the issuer's too) and by the
target enterprise; an enterprise sees only the tasks addressed to it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo import audit, notify
from geo.audit import Refused
from geo.models import Alarm, Enterprise, HazardSource, Region, Task
from geo.scope import scoped

ISSUER_ROLES = ("regulator", "emergency")
TARGET_ENTERPRISE_ROLES = ("enterprise",)
TARGET_REGION_ROLES = ("regulator", "emergency")
MAX_TEXT = 20_000

# step: (the state it is taken from, the state it leads to)
ORDER = {
    "acknowledge": (Task.State.ISSUED, Task.State.ACKNOWLEDGED),
    "report": (Task.State.ACKNOWLEDGED, Task.State.REPORTED),
    "close": (Task.State.REPORTED, Task.State.CLOSED),
}
STEPS = ("issue", *ORDER)


def step_label(step: str) -> str:
    """The step's name for people: the state it leads to."""
    return str(Task.State.ISSUED.label if step == "issue" else Task.State(ORDER[step][1]).label)


def visible_tasks(user) -> QuerySet[Task]:
    """The tasks ``user`` may see: those of their region and below, or an enterprise's own."""
    rows = scoped(Task.objects.select_related("from_region", "region", "enterprise"), user)
    if user.enterprise_id is not None and not user.is_superuser:
        rows = rows.filter(enterprise_id=user.enterprise_id)
    return rows


def _text(value, field: str, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({field: _("This field is required.")}, code="required")
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Give text.")}, code="invalid")
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": MAX_TEXT}}, code="max_length")
    return value.strip()


def _target_people(task: Task) -> list:
    if task.enterprise_id is not None:
        return list(notify.people_of(enterprise=task.enterprise, roles=TARGET_ENTERPRISE_ROLES))
    return list(notify.people_of(region=task.region, roles=TARGET_REGION_ROLES))


def _issuing_people(task: Task) -> list:
    people = list(notify.people_of(region=task.from_region, roles=ISSUER_ROLES))
    if task.issued_by is not None:
        people.append(task.issued_by)
    return people


def _tell(people: list, actor, task: Task, step: str, body: str = "") -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Task %(step)s: %(title)s") % {"step": step_label(step), "title": task.title}
    notify.notify([p for p in people if p.pk != actor.pk], subject, body, task)


# --- issue -----------------------------------------------------------------------------------------


def _check_issue(user, enterprise: Enterprise | None, region: Region | None) -> None:
    if not user.is_superuser and (user.enterprise_id is not None or user.role not in ISSUER_ROLES):
        raise Refused(_("Only the regulators and emergency commanders of a region issue tasks."), "Forbidden", 403)
    if user.region_id is None:
        raise Refused(_("Your account belongs to no region to issue tasks from."), "Forbidden", 403)
    if (enterprise is None) == (region is None):
        raise ValidationError(_("Give the enterprise or the lower region the task goes to: one of them."), "target")
    if enterprise is not None and not enterprise.region.path.startswith(user.region.path):
        raise Refused(_("The enterprise lies outside your region."), "OutOfScope", 403)
    if region is not None and (region.pk == user.region_id or not region.path.startswith(user.region.path)):
        raise Refused(_("Tasks go down: the region must lie below yours."), "OutOfScope", 403)


def _check_subject(enterprise: Enterprise | None, region: Region | None, alarm, hazard_source) -> None:
    """The alarm or hazard source a task is about must be the target's."""
    path = (enterprise.region if enterprise else region).path
    if alarm is not None:
        if (enterprise is not None and alarm.enterprise_id != enterprise.pk) or not alarm.region.path.startswith(path):
            raise ValidationError({"alarm": _("The alarm is not one of the task's target.")}, code="target")
    if hazard_source is not None:
        owner = hazard_source.enterprise
        if (enterprise is not None and owner.pk != enterprise.pk) or not owner.region.path.startswith(path):
            raise ValidationError(
                {"hazard_source": _("The hazard source is not one of the task's target.")}, code="target"
            )


def issue(
    user,
    *,
    title: str,
    text: str,
    due_at: dt.datetime,
    enterprise: Enterprise | None = None,
    region: Region | None = None,
    alarm: Alarm | None = None,
    hazard_source: HazardSource | None = None,
    now: dt.datetime | None = None,
) -> Task:
    """Issue a task from ``user``'s region to ``enterprise`` or the lower ``region``; return it."""
    now = now or timezone.now()
    try:
        _check_issue(user, enterprise, region)
    except Refused as error:
        audit.record_refusal(user, "task.issue", enterprise or region, error)
        raise
    title, text = _text(title, "title")[:200], _text(text, "text")
    if not isinstance(due_at, dt.datetime) or timezone.is_naive(due_at):
        raise ValidationError({"due_at": _("Give the due date with its time zone.")}, code="invalid")
    if due_at <= now:
        raise ValidationError({"due_at": _("The due date must be after the task is issued.")}, code="time_order")
    _check_subject(enterprise, region, alarm, hazard_source)
    with transaction.atomic():
        task = Task(
            from_region=user.region,
            issued_by=user,
            issued_by_name=user.get_username(),
            enterprise=enterprise,
            region=region if enterprise is None else enterprise.region,
            alarm=alarm,
            hazard_source=hazard_source,
            title=title,
            text=text,
            due_at=due_at,
            issued_at=now,
        )
        task.save()
        audit.record(user, "task.issue", task, detail=task_detail(task))
        _tell(_target_people(task), user, task, "issue", text)
    return task


def task_detail(task: Task) -> dict:
    """The task as plain data (for the audit log and, later, for the parent centre)."""
    return {
        "from_region": task.from_region.code,
        "to_region": task.region.code,
        "to_enterprise": task.enterprise.credit_code if task.enterprise_id else None,
        "alarm": task.alarm_id,
        "hazard_source": task.hazard_source_id,
        "title": task.title,
        "due_at": task.due_at.isoformat(),
    }


# --- acknowledge, report, close --------------------------------------------------------------------


def _is_target(task: Task, user) -> bool:
    if task.enterprise_id is not None:
        return user.enterprise_id == task.enterprise_id and user.role in TARGET_ENTERPRISE_ROLES
    return user.enterprise_id is None and user.region_id == task.region_id and user.role in TARGET_REGION_ROLES


def _is_issuer(task: Task, user) -> bool:
    if task.issued_by_id is not None and task.issued_by_id == user.pk:
        return True
    return user.enterprise_id is None and user.region_id == task.from_region_id and user.role in ISSUER_ROLES


def check_allowed(task: Task, step: str, user) -> None:
    """Raise ``Refused`` (403) unless ``user`` may take ``step`` on ``task``."""
    if user.is_superuser:
        return
    if step == "close":
        if not _is_issuer(task, user):
            raise Refused(_("Only the issuing region closes a task."), "Forbidden", 403)
    elif not _is_target(task, user):
        raise Refused(_("This task is not addressed to you."), "Forbidden", 403)


def check_order(task: Task, step: str) -> None:
    """Raise ``Refused`` (409) unless the task's state allows ``step``."""
    before, _after = ORDER[step]
    if task.state != before:
        raise Refused(
            _("The step “%(step)s” cannot be taken now: the task is “%(state)s”, and the step needs it “%(needed)s”.")
            % {"step": step_label(step), "state": Task.State(task.state).label, "needed": Task.State(before).label},
            "OutOfOrder",
        )


def allowed_steps(task: Task, user) -> list[str]:
    """The steps ``user`` may take on ``task`` now."""
    steps = []
    for step in ORDER:
        try:
            check_allowed(task, step, user)
            check_order(task, step)
        except Refused:
            continue
        steps.append(step)
    return steps


def take_step(
    task: Task | int, step: str, user, *, text: str = "", comment: str = "", now: dt.datetime | None = None
) -> Task:
    """Acknowledge, report (with ``text``) or close ``task`` as ``user``; refusals are recorded and raised."""
    if step not in ORDER:
        raise ValueError(f"unknown task step {step!r}")
    task_id = task if isinstance(task, int) else task.pk
    now = now or timezone.now()
    try:
        with transaction.atomic():
            task = Task.objects.select_for_update(of=("self",)).select_related("from_region", "region").get(pk=task_id)
            check_allowed(task, step, user)
            check_order(task, step)
            name = user.get_username()
            before, task.state = task.state, ORDER[step][1]
            fields = ["state"]
            if step == "acknowledge":
                task.acknowledged_at, task.acknowledged_by_name = now, name
                fields += ["acknowledged_at", "acknowledged_by_name"]
            elif step == "report":
                task.report = _text(text, "text")
                task.reported_at, task.reported_by_name = now, name
                fields += ["report", "reported_at", "reported_by_name"]
            else:
                task.comment = _text(comment, "comment", required=False)
                task.closed_at, task.closed_by_name = now, name
                fields += ["comment", "closed_at", "closed_by_name"]
            task.save(update_fields=fields)
            audit.record(user, f"task.{step}", task, detail={"from": before, "to": task.state})
            people = _target_people(task) if step == "close" else _issuing_people(task)
            _tell(people, user, task, step, task.report if step == "report" else comment)
            return task
    except Refused as error:
        audit.record_refusal(user, f"task.{step}", Task.objects.filter(pk=task_id).first(), error)
        raise
