"""HTTP endpoints of positioning (mounted at /positioning/): push positions in, and the emergency questions.

Authentication as for the OGC API (``layers.auth``): an API token (``Authorization: Bearer …``) or
the browser session (whose POSTs must pass the CSRF check). Errors are JSON
(``{"code": …, "description": …}``), 400/401/403/404/405/422, never a 500.

=============================  ======  ===============================================================
path                           method  what
=============================  ======  ===============================================================
``positions``                  POST    positions of the token user's enterprise (JSON of ``messages``)
``people``                     GET     who is inside an area now (``zone``, ``fence`` or ``geometry``)
``roll-call``                  GET     … and at ``since`` (the alarm): who left, muster head-counts,
                                       who is unaccounted for
``muster``                     GET     head-count at every muster point the user may see
``track``                      GET     track replay of a ``tag`` or of an area from ``start`` to ``end``
=============================  ======  ===============================================================
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from acquisition.directory import EVERYTHING, Scope
from acquisition.positioning import messages
from acquisition.positioning.ingest import shared
from geo import people
from geo.models import ConsequenceZone, Fence
from geo.scope import scoped
from layers.auth import AuthenticationFailed, csrf_refusal, request_user
from layers.views import exception

MAX_TRACK_WINDOW = dt.timedelta(days=7)


class BadRequest(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def _user(request: HttpRequest):
    try:
        user, by_token = request_user(request)
    except AuthenticationFailed as error:
        raise BadRequest(HTTPStatus.UNAUTHORIZED, "Unauthorized", str(error)) from None
    if not user.is_authenticated:
        raise BadRequest(
            HTTPStatus.UNAUTHORIZED,
            "Unauthorized",
            _("Sign in, or send an API token as “Authorization: Bearer <token>”, to use this resource."),
        )
    return user, by_token


def _answer(view):
    """Run a view; its ``BadRequest`` becomes the JSON error, its dict the JSON answer."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        try:
            status, body = view(request, *args, **kwargs)
        except BadRequest as error:
            return exception(error.status, error.code, error.description)
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _method(request: HttpRequest, allowed: str) -> None:
    if request.method != allowed:
        raise BadRequest(
            HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", _("Use %(method)s here.") % {"method": allowed}
        )


@_answer
def push(request: HttpRequest):
    """POST positions (JSON); 200 with what was accepted and refused, 422 when nothing could be."""
    _method(request, "POST")
    user, by_token = _user(request)
    if not by_token:
        refusal = csrf_refusal(request)
        if refusal:
            raise BadRequest(
                HTTPStatus.FORBIDDEN, "Forbidden", _("CSRF check failed: %(reason)s") % {"reason": refusal}
            )
    if user.is_superuser:
        scope = EVERYTHING
    elif user.enterprise_id is not None:
        scope = Scope(enterprise_id=user.enterprise_id)
    else:
        raise BadRequest(
            HTTPStatus.FORBIDDEN, "Forbidden", _("Only an enterprise's account may push its personnel positions.")
        )
    try:
        fixes, refused = messages.parse(request.body)
    except messages.MessageError as error:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", str(error)) from None
    result = shared().ingest(fixes, scope, source=f"http {user.get_username()}")
    result.refused = {**refused, **result.refused}
    result.positions += len(refused)
    ok = result.accepted or result.late or not result.refused
    return (HTTPStatus.OK if ok else HTTPStatus.UNPROCESSABLE_ENTITY), result.as_dict()


def _moment(request: HttpRequest, name: str) -> dt.datetime:
    raw = request.GET.get(name)
    if not raw:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "MissingParameterValue", _("Give %(name)s.") % {"name": name})
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadRequest(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("%(name)s must be ISO 8601 with a UTC offset, e.g. 2025-05-01T08:00:00+08:00, not %(value)r")
            % {"name": name, "value": raw},
        )
    return moment


def _pk(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(
            HTTPStatus.BAD_REQUEST, "InvalidParameterValue", _("%(name)s must be a number.") % {"name": name}
        ) from None


def _area(request: HttpRequest, user, required: bool = True) -> GEOSGeometry | None:
    """The area of a request: ``zone`` (consequence zone id), ``fence`` (fence id) or ``geometry`` (GeoJSON, WKT)."""
    given = [name for name in ("zone", "fence", "geometry") if request.GET.get(name)]
    if len(given) > 1:
        raise BadRequest(
            HTTPStatus.BAD_REQUEST, "InvalidParameterValue", _("Give only one of zone, fence and geometry.")
        )
    if not given:
        if not required:
            return None
        raise BadRequest(HTTPStatus.BAD_REQUEST, "MissingParameterValue", _("Give zone, fence or geometry."))
    name, raw = given[0], request.GET[given[0]]
    if name in ("zone", "fence"):
        model = ConsequenceZone if name == "zone" else Fence
        row = scoped(model.objects.all(), user).filter(pk=_pk(raw, name)).first()
        if row is None:
            raise BadRequest(
                HTTPStatus.NOT_FOUND, "NotFound", _("No %(name)s %(id)s that you may see.") % {"name": name, "id": raw}
            )
        return row.area
    try:
        geometry = GEOSGeometry(raw, srid=4326)
    except (GEOSException, ValueError, TypeError):
        geometry = None
    if not isinstance(geometry, Polygon | MultiPolygon) or not geometry.valid or geometry.empty:
        raise BadRequest(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("geometry must be a valid polygon (GeoJSON or WKT, longitude and latitude in degrees)."),
        )
    return geometry


@_answer
def people_inside(request: HttpRequest):
    """GET: who is inside the area now (last positions)."""
    _method(request, "GET")
    user, _by_token = _user(request)
    found = people.people_inside(_area(request, user), user)
    return HTTPStatus.OK, {"count": len(found), "people": found}


@_answer
def roll_call(request: HttpRequest):
    """GET: who was inside at ``since`` and is now, who left, the muster head-counts, who is unaccounted for."""
    _method(request, "GET")
    user, _by_token = _user(request)
    return HTTPStatus.OK, people.roll_call(_area(request, user), _moment(request, "since"), user)


@_answer
def muster(request: HttpRequest):
    """GET: the people standing at each muster point now."""
    _method(request, "GET")
    user, _by_token = _user(request)
    points = people.muster_points(user)
    return HTTPStatus.OK, {"count": sum(p["count"] for p in points), "muster_points": points}


@_answer
def track(request: HttpRequest):
    """GET: the track of ``tag``, or of every tag in an area, from ``start`` to ``end`` (GeoJSON)."""
    _method(request, "GET")
    user, _by_token = _user(request)
    start, end = _moment(request, "start"), _moment(request, "end")
    if not start <= end <= start + MAX_TRACK_WINDOW:
        raise BadRequest(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("end must come after start, by at most %(days)d days.") % {"days": MAX_TRACK_WINDOW.days},
        )
    tag = request.GET.get("tag") or None
    area = _area(request, user, required=tag is None)
    return HTTPStatus.OK, people.track(start, end, user, tag_code=tag, area=area)
