"""Alarm handling and tasks over HTTP (``geo.alarm_handling``, ``geo.tasks``), narrowed to the user's scope.

========================================  ======  ==============================================================
path                                      method  what
========================================  ======  ==============================================================
``app/alarms/todo``                       GET     the open alarms whose next step the user may take, soonest
                                                  deadline first (``all=1``: every open alarm in scope; ``limit``
                                                  1–500, default 100)
``app/alarms/<id>/handling``              GET     the alarm, its next step and deadline, the steps the user may
                                                  take, and its handling timeline
``app/alarms/<id>/<step>``                POST    take ``see``, ``verify``, ``apply_plan``, ``report`` or ``close``:
                                                  ``{"comment": …}`` plus the step's fields (``finding``;
                                                  ``measures``, ``plan``; ``text``, ``cause``, ``corrective``);
                                                  answers the new timeline
``app/alarms/<id>/report.pdf``            GET     the report document of a closed alarm (404 until closed), in
                                                  the pages' language (Chinese unless the language cookie says
                                                  English)
``app/tasks``                             GET     the tasks the user may see (``state``; ``limit``)
``app/tasks``                             POST    issue: ``{"title", "text", "due_at"`` (ISO 8601 with offset),
                                                  ``"enterprise"`` (id) or ``"region"`` (code), optional ``"alarm"``,
                                                  ``"hazard_source"`` (ids)``}``
``app/tasks/<id>``                        GET     one task and the steps the user may take
``app/tasks/<id>/<step>``                 POST    ``acknowledge``, ``report`` (``{"text"}``) or ``close``
                                                  (``{"comment"}``)
========================================  ======  ==============================================================

A step that may not be taken is answered 403 (role, scope) or 409 (order) with the reason, and recorded in
the audit log; bad fields are 422 naming the field; an alarm or task outside the user's scope is 404 when
read.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo import alarm_handling as handling
from geo import tasks
from geo.alarm_report import alarm_report_pdf
from geo.models import Alarm, AlarmHandling, Enterprise, HazardSource, Region, Task
from geo.scope import scoped
from web.api import ApiError, body, endpoint, known_parameters, limit_parameter
from web.views import chosen_language


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _alarm_or_404(user, pk: int) -> Alarm:
    alarm = scoped(Alarm.objects.select_related("region", "enterprise", "hazard_source"), user).filter(pk=pk).first()
    if alarm is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("You have no alarm %(id)s.") % {"id": pk})
    return alarm


def _alarm(alarm: Alarm, user, escalated: list[Region], now: dt.datetime) -> dict:
    step = handling.next_step(alarm)
    due = handling.deadline(alarm, step) if step else None
    return {
        "id": alarm.pk,
        "kind": alarm.kind,
        "kind_label": alarm.get_kind_display(),
        "level": alarm.level,
        "level_label": alarm.get_level_display(),
        "state": alarm.state,
        "state_label": alarm.get_state_display(),
        "finding": alarm.finding or None,
        "message": alarm.message,
        "region": {"code": alarm.region.code, "name": alarm.region.name},
        "enterprise": {"id": alarm.enterprise_id, "name": alarm.enterprise.name} if alarm.enterprise_id else None,
        "hazard_source": (
            {"id": alarm.hazard_source_id, "code": alarm.hazard_source.code, "name": alarm.hazard_source.name}
            if alarm.hazard_source_id
            else None
        ),
        "started_at": _iso(alarm.started_at),
        "ended_at": _iso(alarm.ended_at),
        "closed_at": _iso(alarm.closed_at),
        "next_step": step,
        "next_step_label": handling.step_label(step) if step else None,
        "waiting": handling.waiting_reason(alarm),
        "deadline": _iso(due),
        "overdue": due is not None and now >= due,
        "steps": handling.allowed_steps(alarm, user, in_scope=True),
        "escalated_to": [{"code": r.code, "name": r.name} for r in escalated],
        "report_pdf": f"/app/alarms/{alarm.pk}/report.pdf" if alarm.state == Alarm.State.CLOSED else None,
    }


def _record(record: AlarmHandling) -> dict:
    return {
        "step": record.step,
        "label": record.get_step_display(),
        "time": _iso(record.time),
        "actor": record.actor_name,
        "comment": record.comment,
        "payload": record.payload,
        "overdue_step": record.overdue_step or None,
        "region": {"code": record.region.code, "name": record.region.name} if record.region_id else None,
    }


def _timeline(alarm: Alarm, user) -> dict:
    records = list(alarm.handling.select_related("region").order_by("time", "id"))
    escalated = sorted(
        {r.region.pk: r.region for r in records if r.region_id}.values(), key=lambda region: -len(region.path)
    )
    return {"alarm": _alarm(alarm, user, escalated, timezone.now()), "timeline": [_record(r) for r in records]}


@endpoint("GET")
def todo(request: HttpRequest, user) -> dict:
    """The open alarms in scope the user may take the next step of, with their deadlines."""
    known_parameters(request, {"all", "limit", "token"})
    limit = limit_parameter(request, 100, 500)
    every = request.GET.get("all") in ("1", "true")
    now = timezone.now()
    rows = scoped(Alarm.objects.exclude(state=Alarm.State.CLOSED), user).select_related(
        "region", "enterprise", "hazard_source"
    )
    listed = []
    for alarm in rows.order_by("started_at", "pk").iterator(chunk_size=500):
        if every or handling.allowed_steps(alarm, user, in_scope=True):
            listed.append(alarm)
            if len(listed) == limit:
                break
    escalated: dict[int, dict[int, Region]] = {a.pk: {} for a in listed}
    for record in AlarmHandling.objects.filter(alarm__in=listed, step="escalate").select_related("region"):
        escalated[record.alarm_id][record.region_id] = record.region
    answers = [_alarm(a, user, sorted(escalated[a.pk].values(), key=lambda r: -len(r.path)), now) for a in listed]
    answers.sort(key=lambda a: (a["deadline"] is None, a["deadline"] or "", a["id"]))
    return {"alarms": answers, "limits": _limits()}


def _limits() -> dict:
    """The time limits in force, in seconds from the alarm's start, by level and step."""
    return {str(level): limits for level, limits in settings.HAZMAP_ALARM_LIMITS.items()}


@endpoint("GET")
def timeline(request: HttpRequest, user, pk: int) -> dict:
    """One alarm's handling: where it stands and every record."""
    return _timeline(_alarm_or_404(user, pk), user)


@endpoint("POST")
def step(request: HttpRequest, user, pk: int, name: str) -> dict:
    """Take the step ``name`` on alarm ``pk``."""
    if name not in handling.STEPS:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "NotFound",
            _("There is no step “%(step)s”; the steps are %(steps)s.")
            % {"step": name, "steps": ", ".join(handling.STEPS)},
        )
    data = body(request)
    if not Alarm.objects.filter(pk=pk).exists():
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("You have no alarm %(id)s.") % {"id": pk})
    comment = data.pop("comment", "")
    handling.take_step(pk, name, user, comment=comment, payload=data)
    return _timeline(_alarm_or_404(user, pk), user)


@endpoint("GET")
def report_pdf(request: HttpRequest, user, pk: int) -> HttpResponse:
    """The PDF report of a closed alarm."""
    alarm = _alarm_or_404(user, pk)
    if alarm.state != Alarm.State.CLOSED:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "NotFound",
            _("Alarm %(id)s is not closed: its report comes with closing.") % {"id": pk},
        )
    with translation.override("en" if chosen_language(request) == "en" else "zh-hans"):  # as the pages speak
        pdf = alarm_report_pdf(alarm)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="alarm-{alarm.pk}.pdf"'
    return response


# --- tasks -----------------------------------------------------------------------------------------


def _task(task: Task, user, now: dt.datetime) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "text": task.text,
        "state": task.state,
        "state_label": task.get_state_display(),
        "from_region": {"code": task.from_region.code, "name": task.from_region.name},
        "issued_by": task.issued_by_name,
        "to_region": {"code": task.region.code, "name": task.region.name},
        "to_enterprise": {"id": task.enterprise_id, "name": task.enterprise.name} if task.enterprise_id else None,
        "alarm": task.alarm_id,
        "hazard_source": task.hazard_source_id,
        "due_at": _iso(task.due_at),
        "overdue": task.state in (Task.State.ISSUED, Task.State.ACKNOWLEDGED) and now >= task.due_at,
        "issued_at": _iso(task.issued_at),
        "acknowledged_at": _iso(task.acknowledged_at),
        "acknowledged_by": task.acknowledged_by_name or None,
        "reported_at": _iso(task.reported_at),
        "reported_by": task.reported_by_name or None,
        "report": task.report,
        "closed_at": _iso(task.closed_at),
        "closed_by": task.closed_by_name or None,
        "comment": task.comment,
        "steps": tasks.allowed_steps(task, user),
    }


def _task_or_404(user, pk: int) -> Task:
    task = tasks.visible_tasks(user).filter(pk=pk).first()
    if task is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("You have no task %(id)s.") % {"id": pk})
    return task


def _lookup(model, field: str, value, key: str = "pk"):
    """The row ``value`` names for ``field``, or a 422 saying there is none."""
    if value is None:
        return None
    usable = isinstance(value, int | str) and not isinstance(value, bool)
    row = model.objects.filter(**{key: value}).first() if usable else None
    if row is None:
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "InvalidValue",
            _("There is no %(field)s “%(value)s”.") % {"field": field, "value": value},
        )
    return row


def _due(value) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "InvalidValue",
            _("due_at must be an ISO 8601 time with its offset, e.g. 2026-05-03T17:00:00+08:00."),
        )
    return moment


TASK_FIELDS = {"title", "text", "due_at", "enterprise", "region", "alarm", "hazard_source"}


@endpoint("GET", "POST")
def task_list(request: HttpRequest, user) -> dict | tuple[int, dict]:
    """The tasks the user may see (GET), or a task issued (POST)."""
    now = timezone.now()
    if request.method == "POST":
        data = body(request)
        unknown = sorted(set(data) - TASK_FIELDS)
        if unknown:
            raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidBody", _("Unknown field “%(name)s”.") % {"name": unknown[0]})
        task = tasks.issue(
            user,
            title=data.get("title", ""),
            text=data.get("text", ""),
            due_at=_due(data.get("due_at")),
            enterprise=_lookup(Enterprise, "enterprise", data.get("enterprise")),
            region=_lookup(Region, "region", data.get("region"), key="code"),
            alarm=_lookup(Alarm, "alarm", data.get("alarm")),
            hazard_source=_lookup(HazardSource, "hazard_source", data.get("hazard_source")),
            now=now,
        )
        return HTTPStatus.CREATED, _task(_task_or_404(user, task.pk), user, now)
    known_parameters(request, {"state", "limit", "token"})
    rows = tasks.visible_tasks(user)
    if "state" in request.GET:
        if request.GET["state"] not in Task.State.values:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "InvalidParameterValue",
                _("state must be one of %(states)s.") % {"states": ", ".join(Task.State.values)},
            )
        rows = rows.filter(state=request.GET["state"])
    limit = limit_parameter(request, 100, 500)
    return {"tasks": [_task(t, user, now) for t in rows[:limit]]}


@endpoint("GET")
def task_detail(request: HttpRequest, user, pk: int) -> dict:
    """One task."""
    return _task(_task_or_404(user, pk), user, timezone.now())


@endpoint("POST")
def task_step(request: HttpRequest, user, pk: int, name: str) -> dict:
    """Acknowledge, report or close task ``pk``."""
    if name not in tasks.ORDER:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "NotFound",
            _("There is no step “%(step)s”; the steps are %(steps)s.")
            % {"step": name, "steps": ", ".join(tasks.ORDER)},
        )
    data = body(request)
    unknown = sorted(set(data) - {"text", "comment"})
    if unknown:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidBody", _("Unknown field “%(name)s”.") % {"name": unknown[0]})
    if not Task.objects.filter(pk=pk).exists():
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("You have no task %(id)s.") % {"id": pk})
    tasks.take_step(pk, name, user, text=data.get("text", ""), comment=data.get("comment", ""))
    return _task(_task_or_404(user, pk), user, timezone.now())
