"""The parent's endpoints: a child centre's live readings, and the summaries of the centres below.

``GET /app/hazard-sources/{id}/live``: the hazard source must be in the user's scope and the user's role
one that watches live values (regulator, emergency commander, inspector; a superuser too). The child
centre asked is the active one whose region holds the source (the deepest, when children nest). Every
opening is recorded in the audit log (``hierarchy.live``), and so is every refusal of the role.

``GET /app/hierarchy/summaries``: the latest summary of each centre below this one whose region is in
the user's scope (``hierarchy.summary``), with its time and how old it is; ``GET
/app/hierarchy/summaries/{centre}?limit=N``: one centre's summaries, newest first (the history). An
enterprise's operators see none (figures of a whole region).
"""

from __future__ import annotations

from http import HTTPStatus

from django.utils.translation import gettext as _

from acquisition import conf as acquisition_conf
from acquisition import keys, sm
from acquisition.models import Gateway
from geo.audit import Refused, record, record_refusal
from geo.models import HazardSource, User
from geo.scope import ancestor_paths, scoped
from hierarchy import conf, summary
from hierarchy.live import LiveError, ask
from web.api import ApiError, endpoint, known_parameters, limit_parameter

LIVE_ROLES = (User.Role.REGULATOR, User.Role.EMERGENCY, User.Role.INSPECTOR)
TIMEOUT_S = 5.0
HISTORY_LIMIT, HISTORY_MOST = 100, 1000


def centre_of(source: HazardSource) -> Gateway | None:
    """The active child centre whose region holds ``source`` (the deepest one)."""
    path = source.enterprise.region.path
    paths = [*ancestor_paths(path), path]
    children = Gateway.objects.filter(kind=Gateway.Kind.CENTRE, active=True, region__path__in=paths)
    return max(children.select_related("region"), key=lambda child: len(child.region.path), default=None)


@endpoint("GET")
def live(request, user, pk: int):
    """The latest readings of the sensors of hazard source ``pk``, asked of the child centre that holds them."""
    if not user.is_superuser and user.role not in LIVE_ROLES:
        refusal = Refused(
            _("Your role may not open a child centre's live readings."), code="Forbidden", status=HTTPStatus.FORBIDDEN
        )
        record_refusal(user, "hierarchy.live", None, refusal, region=user.region)
        raise refusal
    source = scoped(HazardSource.objects.select_related("enterprise__region"), user).filter(pk=pk).first()
    if source is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("No hazard source %(id)s in your scope.") % {"id": pk})
    child = centre_of(source)
    if child is None:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "NoChildCentre",
            _("No child centre answers for %(region)s: this centre's own sensors hold the live readings.")
            % {"region": source.enterprise.region},
        )
    broker = acquisition_conf.broker()
    if broker is None:
        raise ApiError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "NoBroker",
            _("This centre has no broker (HAZMAP_BROKER) to reach its child centres."),
        )
    try:
        answer = ask(
            broker,
            acquisition_conf.mqtt_prefix(),
            conf.centre_code(),
            keys.centre_key(),
            child.code,
            sm.load_credential(child.credential).public_key,
            source.enterprise.credit_code,
            source.code,
            TIMEOUT_S,
        )
    except LiveError as error:
        status = HTTPStatus.GATEWAY_TIMEOUT if error.status == 504 else HTTPStatus.BAD_GATEWAY
        raise ApiError(
            status,
            "ChildCentreUnavailable",
            _("Child centre %(code)s gave no live readings: %(reason)s") % {"code": child.code, "reason": error.reason},
        ) from None
    if "error" in answer:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotAtChildCentre", str(answer["error"]))
    record(user, "hierarchy.live", source, detail={"centre": child.code})
    return {
        "hazard_source": source.pk,
        "centre": child.code,
        "time": answer.get("time"),
        "sensors": answer.get("sensors", []),
        "equipment": answer.get("equipment", []),
    }


@endpoint("GET")
def summaries(request, user):
    """The latest summary of each centre below this one in the user's scope."""
    known_parameters(request, set())
    items = summary.latest(user)
    return {"number_returned": len(items), "items": items}


@endpoint("GET")
def summary_history(request, user, centre: str):
    """Centre ``centre``'s summaries in the user's scope, newest first (``limit``: 1–1000, default 100)."""
    known_parameters(request, {"limit"})
    limit = limit_parameter(request, HISTORY_LIMIT, HISTORY_MOST)
    items = summary.history(user, centre, limit)
    if not items:
        raise ApiError(
            HTTPStatus.NOT_FOUND, "NotFound", _("No summary of centre %(code)s in your scope.") % {"code": centre}
        )
    return {"centre": centre, "number_returned": len(items), "items": items}
