"""Site plans over HTTP (mounted at /app/plans): upload a raster plan, place it by control points, read the
residuals, write its COG, list and delete plans. The tiles are served by ``tiles.plans``.

Authentication as for the OGC API (``layers.auth``): an API token (``Authorization: Bearer …``) or the
browser session, whose POST/PUT/PATCH/DELETE must pass the CSRF check. A user sees the plans of the
enterprises in their scope (``geo.scope``) and may add and change plans of those enterprises: an
enterprise's account only its own. Errors are JSON (``{"code": …, "description": …}``): 400 bad input,
401, 403, 404 (no such plan in the user's scope), 405, 409 (a write under way, or no control points
yet), 413 (file over the limits), 422 (control points that make no transform); never a 500, and
nothing is kept of a refused request.

================================  ======  ==========================================================
path                              method  what
================================  ======  ==========================================================
``plans``                         GET     the plans the user may see (``?enterprise=<id>``)
``plans``                         POST    multipart upload: ``file`` (PNG, JPEG, TIFF, PDF), ``enterprise``
                                          (id; an enterprise account's own by default), ``name``,
                                          ``page`` (of a PDF, from 1), ``opacity`` (0–1) → 201 the plan
``plans/{id}``                    GET     the plan: status, size, control points, residuals, tile URLs
``plans/{id}``                    PATCH   JSON ``{"name": …, "opacity": …}``
``plans/{id}``                    DELETE  the plan and its files → 204
``plans/{id}/control-points``     PUT     JSON ``{"crs": "GCJ02", "transform": "affine", "points":
                                          [{"col": …, "row": …, "x": …, "y": …}, …]}`` → the residual
                                          report (each point in m and px, RMS); stored for the write
``plans/{id}/control-points``     GET     the stored points and their report
``plans/{id}/image.png``          GET     the plan's image as a PNG at most 2048 px on its longer side, to
                                          place control points on (columns, rows scale by ``width`` over
                                          the PNG's width)
``plans/{id}/cog``                POST    write the COG: 202 and ``status: writing`` (poll the plan;
                                          ``stage`` says reading/warping/writing), or with
                                          ``{"wait": true}`` 200 once ``ready`` (422 if it failed)
================================  ======  ==========================================================
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from http import HTTPStatus
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geo import plans
from geo.models import Enterprise, SitePlan
from geo.scope import scoped
from layers.auth import AuthenticationFailed, csrf_refusal, request_user
from layers.views import exception
from plant_plans import coords
from plant_plans.errors import ControlPointError, PlanError, PlanFileError

MULTIPART_OVERHEAD = 1 * 2**20  # bytes of a multipart body beyond its file (boundaries, other fields)


class Refused(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def bad(description: str) -> Refused:
    return Refused(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", description)


def _refusal_of(error: PlanError) -> Refused:
    """The HTTP refusal of a ``plant_plans`` error, its message in the request's language."""
    message = error.translated(_)
    if isinstance(error, PlanFileError) and error.too_large:
        return Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge", message)
    if isinstance(error, ControlPointError):
        return Refused(HTTPStatus.UNPROCESSABLE_ENTITY, "InvalidControlPoints", message)
    return bad(message)


def _answer(view):
    """Run a view: its ``Refused`` (or a ``plant_plans`` error) becomes the JSON error, a dict the JSON answer."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            answer = view(request, *args, **kwargs)
        except PlanError as error:
            refused = _refusal_of(error)
            return exception(refused.status, refused.code, refused.description)
        except Refused as error:
            return exception(error.status, error.code, error.description)
        if isinstance(answer, HttpResponse):
            return answer
        status, body = answer
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _user(request: HttpRequest):
    """The signed-in user (token or session); a session's writes must pass the CSRF check."""
    try:
        user, by_token = request_user(request)
    except AuthenticationFailed as error:
        raise Refused(HTTPStatus.UNAUTHORIZED, "Unauthorized", str(error)) from None
    if not user.is_authenticated:
        raise Refused(
            HTTPStatus.UNAUTHORIZED,
            "Unauthorized",
            _("Sign in, or send an API token as “Authorization: Bearer <token>”, to use this resource."),
        )
    if request.method not in ("GET", "HEAD") and not by_token:
        reason = csrf_refusal(request)
        if reason:
            raise Refused(HTTPStatus.FORBIDDEN, "Forbidden", _("CSRF check failed: %(reason)s") % {"reason": reason})
    return user


def _methods(request: HttpRequest, *allowed: str) -> None:
    if request.method not in allowed:
        raise Refused(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            _("Use %(methods)s here, not %(method)s.") % {"methods": ", ".join(allowed), "method": request.method},
        )


def _plan(user, pk: int) -> SitePlan:
    plan = scoped(SitePlan.objects.select_related("enterprise"), user).filter(pk=pk).first()
    if plan is None:
        raise Refused(HTTPStatus.NOT_FOUND, "NotFound", _("No site plan %(id)s that you may see.") % {"id": pk})
    return plan


def _enterprise(user, raw: str | None) -> Enterprise:
    visible = scoped(Enterprise.objects.all(), user)
    if raw in (None, ""):
        if user.enterprise_id is None:
            raise bad(_("Give the enterprise (its id) the plan belongs to."))
        raw = str(user.enterprise_id)
    if not raw.isascii() or not raw.isdigit():
        raise bad(_("enterprise must be the id of an enterprise, not “%(value)s”.") % {"value": raw[:40]})
    found = visible.filter(pk=int(raw)).first()
    if found is None:
        raise Refused(HTTPStatus.NOT_FOUND, "NotFound", _("No enterprise %(id)s that you may see.") % {"id": raw[:40]})
    return found


def _number(raw, name: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise bad(_("%(name)s must be a number.") % {"name": name})
    try:
        value = float(raw)
    except ValueError:
        raise bad(_("%(name)s must be a number, not “%(value)s”.") % {"name": name, "value": str(raw)[:40]}) from None
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise bad(_("%(name)s must be a number from %(low)g to %(high)g.") % {"name": name, "low": low, "high": high})
    return value


def _json_body(request: HttpRequest, required: bool = True) -> dict:
    if not required and (not request.body or (request.content_type != "application/json" and not request.POST)):
        return {}  # an empty body, or an empty form a client sends with every POST
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise bad(_("The body must be a JSON object.")) from None
    if not isinstance(body, dict):
        raise bad(_("The body must be a JSON object."))
    return body


def _error_message(plan: SitePlan) -> str:
    if not plan.error:
        return ""
    template = _(plan.error.get("template", ""))
    params = plan.error.get("params") or {}
    try:
        return template % params if params else template
    except (KeyError, TypeError, ValueError):
        return plan.error.get("template", "")


def describe(request: HttpRequest, plan: SitePlan) -> dict:
    """A plan as the API answers it."""
    ready = bool(plan.cog_path)
    tilejson = request.build_absolute_uri(reverse("tiles:plan-tilejson", args=[plan.pk])) if ready else None
    return {
        "id": plan.pk,
        "enterprise": plan.enterprise_id,
        "enterprise_name": plan.enterprise.name,
        "name": plan.name,
        "original_name": plan.original_name,
        "format": plan.source_format,
        "width": plan.width,
        "height": plan.height,
        "page": plan.pdf_page,
        "dpi": plan.pdf_dpi,
        "opacity": plan.opacity,
        "status": plan.status,
        "stage": plan.stage,
        "message": _error_message(plan),
        "control_points": {
            "crs": plan.control_crs or None,
            "transform": plan.transform_kind or None,
            "points": plan.control_points,
        },
        "residuals": {"points": plan.residuals, "rms_m": plan.rms_m, "rms_px": plan.rms_px} if plan.residuals else None,
        "bounds": json.loads(plan.bounds.geojson) if plan.bounds else None,
        "minzoom": plan.min_zoom,
        "maxzoom": plan.max_zoom,
        "tilejson": tilejson,
        "image": reverse("plan-image", args=[plan.pk]),
        "created_by": plan.created_by.get_username() if plan.created_by_id else None,
        "created_at": plan.created_at.isoformat() if plan.created_at else None,
        "written_at": plan.written_at.isoformat() if plan.written_at else None,
    }


# --- the views -----------------------------------------------------------------------------------


@_answer
def plan_list(request: HttpRequest):
    """GET the plans the user may see; POST a new one (multipart)."""
    _methods(request, "GET", "POST")
    user = _user(request)
    if request.method == "POST":
        return _upload(request, user)
    rows = scoped(SitePlan.objects.select_related("enterprise", "created_by"), user)
    if request.GET.get("enterprise"):
        rows = rows.filter(enterprise=_enterprise(user, request.GET["enterprise"]))
    return HTTPStatus.OK, {"plans": [describe(request, plan) for plan in rows]}


def _upload(request: HttpRequest, user):
    limit = settings.HAZMAP_PLAN_MAX_MB * 2**20
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + MULTIPART_OVERHEAD:
        raise Refused(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "PayloadTooLarge",
            _("The upload has %(size).1f MB; plans may have at most %(limit)d MB.")
            % {"size": length / 2**20, "limit": settings.HAZMAP_PLAN_MAX_MB},
        )
    if not request.content_type.startswith("multipart/form-data"):
        raise bad(_("Upload the plan as multipart/form-data with the image in the field “file”."))
    try:
        upload = request.FILES.get("file")
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as error:
        raise bad(_("The multipart body cannot be read: %(reason)s") % {"reason": str(error)[:200]}) from None
    if upload is None:
        raise bad(_("Upload the plan as multipart/form-data with the image in the field “file”."))
    enterprise = _enterprise(user, request.POST.get("enterprise"))
    page = request.POST.get("page", "1")
    if not page.isascii() or not page.isdigit() or int(page) < 1:
        raise bad(_("page must be a page number of the PDF, from 1, not “%(value)s”.") % {"value": page[:40]})
    opacity = request.POST.get("opacity")
    opacity = _number(opacity, "opacity", 0.0, 1.0) if opacity not in (None, "") else None
    original = Path(upload.name or "plan").name
    name = (request.POST.get("name") or Path(original).stem or original).strip()[:200]
    folder, absolute = plans.new_folder()
    path = absolute / "upload"
    try:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        plan = plans.create(
            enterprise, path, folder, original_name=original, name=name, page=int(page), opacity=opacity, user=user
        )
    except ValidationError as error:
        raise bad(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
        ) from None
    except BaseException:
        shutil.rmtree(absolute, ignore_errors=True)
        raise
    response = JsonResponse(
        describe(request, plan), status=HTTPStatus.CREATED, json_dumps_params={"ensure_ascii": False}
    )
    response["Location"] = request.build_absolute_uri(reverse("plan", args=[plan.pk]))
    return response


@_answer
def plan_detail(request: HttpRequest, pk: int):
    """GET, PATCH (name, opacity) or DELETE one plan."""
    _methods(request, "GET", "PATCH", "DELETE")
    user = _user(request)
    plan = _plan(user, pk)
    if request.method == "DELETE":
        if plans.busy(plan):
            raise Refused(HTTPStatus.CONFLICT, "Conflict", _("The plan is being written; delete it when that is done."))
        plan.delete()
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    if request.method == "PATCH":
        body = _json_body(request)
        unknown = sorted(set(body) - {"name", "opacity"})
        if unknown:
            raise bad(_("Only name and opacity may be changed, not “%(name)s”.") % {"name": unknown[0]})
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise bad(_("name must be a text that is not empty."))
            plan.name = body["name"].strip()[:200]
        if "opacity" in body:
            plan.opacity = _number(body["opacity"], "opacity", 0.0, 1.0)
        plan.save(update_fields=["name", "opacity"])
    return HTTPStatus.OK, describe(request, plan)


@_answer
def plan_image(request: HttpRequest, pk: int):
    """GET the plan's image, reduced (``geo.plans.preview``); it never changes, so browsers keep it a day."""
    _methods(request, "GET")
    plan = _plan(_user(request), pk)
    response = HttpResponse(plans.preview(plan).read_bytes(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _points(body: dict) -> tuple[list, str, str]:
    unknown = sorted(set(body) - {"crs", "transform", "points"})
    if unknown:
        raise bad(_("Unknown field “%(name)s”: give crs, transform and points.") % {"name": unknown[0]})
    crs = body.get("crs", "EPSG:4326")
    if not isinstance(crs, str | int) or isinstance(crs, bool):
        raise bad(_("crs must be a CRS code such as EPSG:4326, GCJ02 or BD09."))
    kind = body.get("transform", "affine")
    raw = body.get("points")
    if not isinstance(raw, list) or not raw:
        raise bad(_("points must be a list of {col, row, x, y}."))
    if len(raw) > plans.MAX_CONTROL_POINTS:
        raise bad(_("At most %(limit)d control points, please.") % {"limit": plans.MAX_CONTROL_POINTS})
    points = []
    for number, point in enumerate(raw, start=1):
        if not isinstance(point, dict) or set(point) != {"col", "row", "x", "y"}:
            raise bad(_("Control point %(number)d must be {col, row, x, y} and nothing else.") % {"number": number})
        values = {}
        for key in ("col", "row", "x", "y"):
            value = point[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise bad(
                    _("%(key)s of control point %(number)d must be a finite number.") % {"key": key, "number": number}
                )
            values[key] = float(value)
        points.append(values)
    return plans.points_of(points), coords.parse_crs(crs), str(kind)


@_answer
def control_points(request: HttpRequest, pk: int):
    """PUT control points (→ the residual report, stored); GET the stored ones and their report."""
    _methods(request, "GET", "PUT")
    user = _user(request)
    plan = _plan(user, pk)
    if request.method == "PUT":
        points, crs, kind = _points(_json_body(request))
        plans.set_control_points(plan, points, crs, kind)
    elif not plan.control_points:
        return HTTPStatus.OK, {"crs": None, "transform": None, "points": [], "report": None}
    report = plans.fit(plan, plans.points_of(plan.control_points), plan.control_crs, plan.transform_kind).report()
    return HTTPStatus.OK, {"crs": plan.control_crs, "transform": plan.transform_kind, "report": report}


@_answer
def write_cog(request: HttpRequest, pk: int):
    """POST: write the plan's COG (202 at once, or 200 when done with ``{"wait": true}``)."""
    _methods(request, "POST")
    user = _user(request)
    plan = _plan(user, pk)
    body = _json_body(request, required=False)
    unknown = sorted(set(body) - {"wait"})
    if unknown or not isinstance(body.get("wait", False), bool):
        raise bad(_('The body may hold only {"wait": true|false}.'))
    if not plan.control_points:
        raise Refused(HTTPStatus.CONFLICT, "Conflict", _("Set the control points first (PUT …/control-points)."))
    if not plans.claim_write(plan):
        raise Refused(HTTPStatus.CONFLICT, "Conflict", _("The plan is being written already; wait for it."))
    if body.get("wait"):
        plan = plans.write(plan.pk)
        status = HTTPStatus.OK if plan.status == SitePlan.Status.READY else HTTPStatus.UNPROCESSABLE_ENTITY
        return status, describe(request, plan)
    threading.Thread(target=plans.write, args=(plan.pk, True), name=f"plan-{plan.pk}", daemon=True).start()
    plan.refresh_from_db()
    response = JsonResponse(
        describe(request, plan), status=HTTPStatus.ACCEPTED, json_dumps_params={"ensure_ascii": False}
    )
    response["Location"] = request.build_absolute_uri(reverse("plan", args=[plan.pk]))
    return response
