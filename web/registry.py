"""The registry workflow over HTTP (``geo.registry_workflow``): steps, history, to-do list, statistics.

==================================  ======  ========================================================
path                                method  what
==================================  ======  ========================================================
``app/registry/<id>/<step>``        POST    take a step on hazard source ``id`` (``apply``, ``register``,
                                            ``return``, ``cancel_apply``, ``cancel_register``,
                                            ``cancel_return``); body ``{"comment": "…"}`` (optional,
                                            required to return or to apply for cancellation). 200 with
                                            the source and the event; 403/409 with the reason of a
                                            refusal (recorded in the audit log); 422 for a bad comment
``app/registry/<id>/history``       GET     the source, the steps the user may take now and its history,
                                            oldest first (404 outside the user's scope)
``app/registry/todo``               GET     the sources waiting for the user (their 待办), each with its
                                            open steps; ``limit`` 1–500, default 100
``app/registry/stats``              GET     counts in the user's scope: by status, by region and status,
                                            steps taken in ``year`` (default this year)
==================================  ======  ========================================================
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest
from django.utils.translation import gettext as _

from geo import registry_workflow as workflow
from geo.models import HazardSource, RegistryEvent
from geo.scope import scoped
from web.api import ApiError, body, endpoint, known_parameters, limit_parameter

SOURCE_RELATIONS = ("enterprise__region__parent",)


def _source(source: HazardSource, user, in_scope: bool) -> dict:
    region = workflow.registering_region(source)
    return {
        "id": source.pk,
        "code": source.code,
        "name": source.name,
        "enterprise": {"id": source.enterprise_id, "name": source.enterprise.name},
        "registering_region": {"code": region.code, "name": region.name},
        "is_major": source.is_major,
        "grade": source.gb_grade,
        "gb_s": source.gb_s,
        "gb_r": source.gb_r,
        "registry_status": source.registry_status,
        "registry_status_label": source.get_registry_status_display(),
        "registered_on": source.registered_on.isoformat() if source.registered_on else None,
        "steps": workflow.steps_open_to(source, user, in_scope=in_scope),
    }


def _event(event: RegistryEvent) -> dict:
    return {
        "id": str(event.uid),
        "step": event.step,
        "step_label": event.get_step_display(),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "time": event.time.isoformat(),
        "actor": event.actor_name,
        "actor_role": event.actor_role,
        "registry_region": event.registry_region.code,
        "comment": event.comment,
        "payload": event.payload,
    }


def _found(pk: int) -> HazardSource:
    source = HazardSource.objects.select_related(*SOURCE_RELATIONS).filter(pk=pk).first()
    if source is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("There is no hazard source %(id)s.") % {"id": pk})
    return source


@endpoint("POST")
def step(request: HttpRequest, user, pk: int, name: str) -> dict:
    """Take step ``name`` on source ``pk``; a source outside the user's scope is refused (and recorded), not hidden."""
    if name not in workflow.STEPS:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "NotFound",
            _("There is no registry step “%(step)s”; the steps are %(steps)s.")
            % {"step": name, "steps": ", ".join(workflow.STEPS)},
        )
    data = body(request)
    unknown = sorted(set(data) - {"comment"})
    if unknown:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidBody", _("Unknown field “%(name)s”.") % {"name": unknown[0]})
    source = _found(pk)
    event = workflow.take(name, source, user, data.get("comment", ""))
    return {"source": _source(source, user, in_scope=False), "event": _event(event)}


@endpoint("GET")
def history(request: HttpRequest, user, pk: int) -> dict:
    """A source in the user's scope with the steps open to the user and its history, oldest first."""
    known_parameters(request, {"token"})
    source = scoped(HazardSource.objects.select_related(*SOURCE_RELATIONS), user).filter(pk=pk).first()
    if source is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("There is no hazard source %(id)s.") % {"id": pk})
    events = source.registry_events.select_related("registry_region")
    return {"source": _source(source, user, in_scope=True), "history": [_event(e) for e in events]}


@endpoint("GET")
def todo(request: HttpRequest, user) -> dict:
    """The sources waiting for a step by the user, by enterprise and code, and how many there are."""
    known_parameters(request, {"limit", "token"})
    limit = limit_parameter(request, 100, 500)
    rows = workflow.awaiting(user).select_related(*SOURCE_RELATIONS).order_by("enterprise__name", "code")
    return {"count": rows.count(), "sources": [_source(s, user, in_scope=True) for s in rows[:limit]]}


@endpoint("GET")
def stats(request: HttpRequest, user) -> dict:
    """The registry statistics (信息统计) of the user's scope."""
    known_parameters(request, {"year", "token"})
    raw = request.GET.get("year")
    if raw is not None and not (raw.isdigit() and 2000 <= int(raw) <= 2100):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("year must be a year from 2000 to 2100, not “%(raw)s”.") % {"raw": raw},
        )
    return workflow.statistics(user, int(raw) if raw else None)
