"""Importing vector plans over HTTP (mounted at ``/app/plans/vector/``): upload and preview, map and import, undo.

=================================  ======  ===========================================================
path                               method  what
=================================  ======  ===========================================================
``uploads``                        POST    multipart ``file`` (DXF, zipped Shapefile, GeoPackage,
                                           GeoJSON, KML), ``enterprise`` (id; an enterprise account's
                                           own by default), ``crs`` (optional EPSG code): 201 with the
                                           preview (layers, attributes, geometry types, counts, CRS,
                                           bounds, a sample as GeoJSON) and the upload ``token``
``uploads/{token}/import``         POST    JSON mapping (``plant_plans.vector``), ``"dry_run": true`` to
                                           check it: 200 with what would be imported; else 201 with
                                           the import, written in one transaction
``imports``                        GET     the imports the user may see, newest first (``enterprise``,
                                           ``limit`` ≤ 1000, default 100)
``imports/{id}``                   GET     one import, with its report
``imports/{id}/undo``              POST    delete the import's features (one transaction): 200
=================================  ======  ===========================================================

Authentication as for the OGC API (``layers.auth``): an API token or the browser session, whose POSTs
pass the CSRF check. Writing (upload, import, undo) is for an enterprise's accounts on their own
enterprise, regulators (role ``regulator``) on the enterprises in their region, and superusers; reading
the imports is for whoever sees the enterprise (``geo.scope``).

The uploaded file waits under ``HAZMAP_VAR_DIR/plans/vector/{token}/`` (one per upload, with who sent
it for which enterprise) until it is imported or 24 hours have passed; the preview writes nothing else.
The import reads the file again with the mapping, rejects what cannot be stored (``plant_plans.vector``:
geometry, name, more than ``HAZMAP_PLAN_SITE_TOLERANCE_M`` outside the site) and writes nothing when
anything is rejected, unless the mapping says ``"skip_rejected": true``; then it stores the import and
every feature in one transaction (``geo.layout``) and publishes them when it commits.

Errors are JSON (``{"code", "description"}``, with ``reason`` and ``field`` for refusals of the file or
the mapping): 400 (no file, bad JSON), 401, 403, 404 (unknown upload or import), 405, 409 (an upload
imported already, an import undone already), 413 (file, unpacked zip or features over the limits),
415 (format), 422 (corrupt file, CRS, mapping, rejected features). Nothing is written on any of them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import secrets
import shutil
from http import HTTPStatus
from pathlib import Path

import shapely
import shapely.geometry
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geo import layout
from geo import plans as site_plans
from geo.models import Enterprise, Event, LayoutFeature, PlanImport, User
from geo.scope import scoped
from layers.registry import COLLECTIONS
from layers.signals import publish_stored
from plant_plans import vector
from web.api import ApiError, body, endpoint

UPLOAD_TTL = dt.timedelta(hours=24)
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
REJECTED_SHOWN = 100  # rejected features listed in a 422 or a dry run
LIST_LIMIT, LIST_MAX = 100, 1000
CODES = {  # the OGC-style code of each refusal of plant_plans.vector
    vector.UnsupportedFormat: "UnsupportedFormat",
    vector.TooLarge: "PayloadTooLarge",
    vector.CorruptFile: "CorruptFile",
    vector.CrsError: "InvalidCRS",
    vector.MappingError: "InvalidMapping",
}


def _plan_errors(view):
    """A refusal of ``plant_plans.vector`` becomes the JSON error (its status, code, reason and field)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, user, *args, **kwargs):
        try:
            return view(request, user, *args, **kwargs)
        except vector.PlanError as error:
            details = {"reason": error.reason, "field": error.field}
            code = CODES.get(type(error), "InvalidParameterValue")
            raise ApiError(error.status, code, translated(error), details) from None

    return wrapped


def translated(error: vector.PlanError | vector.Rejected) -> str:
    """The message of a refusal or a rejected feature in the user's language (kinds by their label)."""
    params = dict(error.params)
    if params.get("kind") in LayoutFeature.Kind.values:
        params["kind"] = LayoutFeature.Kind(params["kind"]).label
    if error.reason == "too_long":  # "name" or "code": the field's own name
        params["field"] = LayoutFeature._meta.get_field(params["field"]).verbose_name
    return _(error.template) % params if params else _(error.template)


def _rejected(rejected: list[vector.Rejected]) -> list[dict]:
    return [{**r.as_dict(), "message": translated(r)} for r in rejected[:REJECTED_SHOWN]]


# --- who asks, for which enterprise ---------------------------------------------------------------


def may_write(user, enterprise: Enterprise) -> bool:
    """Whether ``user`` may import plans into ``enterprise``'s layout and undo them (see the module docstring)."""
    if user.is_superuser:
        return True
    if user.enterprise_id is not None:
        return user.enterprise_id == enterprise.pk
    return user.role == User.Role.REGULATOR and scoped(Enterprise.objects.filter(pk=enterprise.pk), user).exists()


def _writable_enterprise(user, raw: str | None) -> Enterprise:
    if raw in (None, ""):
        if user.enterprise_id is None:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "MissingParameterValue",
                _("Give the enterprise (its id) whose plan this is."),
            )
        raw = str(user.enterprise_id)
    try:
        pk = int(raw)
    except ValueError:
        pk = None
    enterprise = scoped(Enterprise.objects.all(), user).filter(pk=pk).first() if pk is not None else None
    if enterprise is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("No enterprise %(id)s that you may see.") % {"id": raw})
    if not may_write(user, enterprise):
        raise ApiError(
            HTTPStatus.FORBIDDEN,
            "Forbidden",
            _("Only the enterprise's own accounts and the regulators of its region may import its plans."),
        )
    return enterprise


# --- uploads waiting under the var dir ------------------------------------------------------------


def uploads_dir() -> Path:
    return Path(settings.VAR_DIR) / "plans" / "vector"


def _prune(now: dt.datetime) -> None:
    """Remove uploads older than ``UPLOAD_TTL``."""
    root = uploads_dir()
    if not root.is_dir():
        return
    cutoff = (now - UPLOAD_TTL).timestamp()
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _upload(token: str, user) -> tuple[dict, Path]:
    """The waiting upload ``token`` of ``user``: its description and its file; 404 or 409 otherwise."""
    if not TOKEN.fullmatch(token):
        token = ""  # no upload has it
    imported = PlanImport.objects.filter(upload=token).values_list("pk", flat=True).first() if token else None
    if imported is not None:
        raise ApiError(
            HTTPStatus.CONFLICT,
            "Conflict",
            _("This upload was imported already (import %(id)d); undo that import, or upload the plan again.")
            % {"id": imported},
        )
    folder = uploads_dir() / token
    meta_path = folder / "upload.json"
    meta = json.loads(meta_path.read_text()) if token and meta_path.is_file() else None
    expired = meta is not None and dt.datetime.fromisoformat(meta["created_at"]) < timezone.now() - UPLOAD_TTL
    if meta is None or meta["user_id"] != user.pk or expired:
        raise ApiError(
            HTTPStatus.NOT_FOUND,
            "NotFound",
            _("No upload %(token)s of yours: upload the plan first (an upload is kept 24 hours).") % {"token": token},
        )
    return meta, folder / meta["stored"]


def _max_bytes() -> int:
    return settings.HAZMAP_PLAN_VECTOR_MAX_MB * 2**20


def _too_large(size: int) -> ApiError:
    limit = settings.HAZMAP_PLAN_VECTOR_MAX_MB
    return ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "PayloadTooLarge",
        _("The file is %(size_mb).1f MB; at most %(max_mb).1f MB is accepted.")
        % {"size_mb": size / 2**20, "max_mb": float(limit)},
        {"reason": "file_too_large"},
    )


def _save(uploaded, path: Path) -> int:
    """Write the uploaded file to ``path``, stopping at the size limit; its size in bytes."""
    written = 0
    with path.open("wb") as out:
        for chunk in uploaded.chunks():
            written += len(chunk)
            if written > _max_bytes():
                raise _too_large(written)
            out.write(chunk)
    return written


# --- views ---------------------------------------------------------------------------------------


def kinds() -> list[dict]:
    """The kinds a rule may give, in the user's language, with what each needs and links to."""
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "area": kind.value in vector.AREA_KINDS,
            "name_required": kind.value in vector.NAME_REQUIRED,
            "links": layout.LINKS.get(kind.value),
        }
        for kind in LayoutFeature.Kind
    ]


@endpoint("POST")
@_plan_errors
def upload(request: HttpRequest, user):
    """POST a plan file: its preview and the token to import it with (201)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django's parser reads what comes
    if declared > _max_bytes() + 2**20:  # the file and a little multipart around it
        raise _too_large(declared)
    try:
        uploaded = request.FILES.get("file")
        enterprise_raw, crs_raw = request.POST.get("enterprise"), request.POST.get("crs")
    except (MultiPartParserError, RequestDataTooBig) as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", str(error)) from None
    if uploaded is None:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "MissingParameterValue",
            _("Send the plan as the multipart/form-data field “file”."),
        )
    enterprise = _writable_enterprise(user, enterprise_raw)
    fmt = vector.detect_format(uploaded.name)
    crs = vector.parse_crs(crs_raw, grid=site_plans.construction_grid(enterprise.pk)) if crs_raw else None
    now = timezone.now()
    _prune(now)
    token = secrets.token_urlsafe(24)
    folder = uploads_dir() / token
    folder.mkdir(parents=True)
    stored = folder / ("plan" + Path(uploaded.name).suffix.lower())
    try:
        size = _save(uploaded, stored)
        source = vector.open_source(stored, fmt, _max_bytes())
        layers = vector.describe(source, settings.HAZMAP_PLAN_VECTOR_MAX_FEATURES, crs=crs)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    meta = {
        "token": token,
        "user_id": user.pk,
        "enterprise_id": enterprise.pk,
        "file_name": uploaded.name,
        "format": fmt,
        "stored": stored.name,
        "size_bytes": size,
        "crs": vector.crs_label(crs),
        "created_at": now.isoformat(),
    }
    (folder / "upload.json").write_text(json.dumps(meta, ensure_ascii=False))
    body = {
        **{key: meta[key] for key in ("token", "enterprise_id", "file_name", "format", "size_bytes", "crs")},
        "enterprise_name": enterprise.name,
        "expires_at": (now + UPLOAD_TTL).isoformat(),
        "layers": [layer.as_dict() for layer in layers],
        "kinds": kinds(),
        "import": request.build_absolute_uri(reverse("plans-vector-import", args=[token])),
    }
    return HTTPStatus.CREATED, body


@endpoint("POST")
@_plan_errors
def import_upload(request: HttpRequest, user, token: str):
    """POST the mapping of an upload: 201 with the import (200 and nothing written for a dry run)."""
    meta, path = _upload(token, user)
    enterprise = _writable_enterprise(user, str(meta["enterprise_id"]))
    data = body(request)
    dry_run = data.pop("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidParameterValue", _("dry_run must be true or false."))
    if "crs" not in data and meta["crs"]:
        data["crs"] = meta["crs"]  # the CRS chosen with the upload, unless the mapping names another
    source = vector.open_source(path, meta["format"], _max_bytes())
    mapping = vector.parse_mapping(data, source, site_plans.construction_grid(enterprise.pk))
    site = shapely.from_wkb(bytes(enterprise.site.wkb))
    reading = vector.read(
        source,
        mapping,
        settings.HAZMAP_PLAN_VECTOR_MAX_FEATURES,
        site=site,
        tolerance_m=settings.HAZMAP_PLAN_SITE_TOLERANCE_M,
    )
    summary = {
        "features_read": reading.read,
        "features_unmapped": reading.unmapped,
        "features_rejected": len(reading.rejected),
        "features_repaired": reading.repaired(),
        "by_kind": reading.by_kind(),
        "crs": reading.crs,
        "rejected": _rejected(reading.rejected),
    }
    if not reading.features:
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "NothingToImport",
            _("The mapping takes no feature that can be imported from this plan."),
            summary,
        )
    if reading.rejected and not mapping.skip_rejected:
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "FeaturesRejected",
            _(
                "%(count)d features cannot be imported (see “rejected”); nothing was written. Correct the plan "
                "or the mapping, or send “skip_rejected”: true to import the others."
            )
            % {"count": len(reading.rejected)},
            summary,
        )
    if dry_run:
        rows = layout.layout_rows(enterprise, reading)
        sample = [
            {
                "type": "Feature",
                "properties": {"kind": f.kind, "name": f.name, "code": f.code, "layer": f.layer, "fid": f.fid},
                "geometry": shapely.geometry.mapping(f.geometry),
            }
            for f in reading.features[: vector.SAMPLE_SIZE]
        ]
        summary.update(
            dry_run=True,
            features_imported=len(rows.rows),
            features_linked=rows.linked,
            unmatched_codes=sorted(rows.unmatched),
            ambiguous_codes=sorted(rows.ambiguous),
            sample={"type": "FeatureCollection", "features": sample},
        )
        return HTTPStatus.OK, summary
    try:
        with transaction.atomic():
            plan_import, pks = layout.import_features(
                enterprise, user, token, meta["file_name"], meta["format"], mapping, reading
            )
            entry = COLLECTIONS["layout-features"]
            transaction.on_commit(functools.partial(publish_stored, entry, pks, Event.Action.CREATE), robust=True)
    except ValidationError as error:
        raise ApiError(HTTPStatus.UNPROCESSABLE_ENTITY, "InvalidFeature", "; ".join(error.messages), summary) from None
    except IntegrityError:  # the same upload imported at the same time by another request
        raise ApiError(HTTPStatus.CONFLICT, "Conflict", _("This upload was imported already.")) from None
    shutil.rmtree(path.parent, ignore_errors=True)
    return HTTPStatus.CREATED, {"import": as_json(plan_import, request), "rejected": summary["rejected"]}


def as_json(plan_import: PlanImport, request: HttpRequest) -> dict:
    """An import as the API gives it, with the OGC API items of its features."""
    items = request.build_absolute_uri("/ogc/collections/layout-features/items") + f"?plan_import_id={plan_import.pk}"
    return {
        "id": plan_import.pk,
        "enterprise_id": plan_import.enterprise_id,
        "enterprise_name": plan_import.enterprise.name,
        "file_name": plan_import.file_name,
        "format": plan_import.format,
        "source_crs": plan_import.source_crs,
        "mapping": plan_import.mapping,
        "features_read": plan_import.features_read,
        "features_imported": plan_import.features_imported,
        "features_rejected": plan_import.features_rejected,
        "features_repaired": plan_import.features_repaired,
        "features_linked": plan_import.features_linked,
        "by_kind": plan_import.by_kind,
        "report": plan_import.report,
        "created_by": plan_import.created_by.get_username() if plan_import.created_by else None,
        "created_at": plan_import.created_at.isoformat(),
        "undone_at": plan_import.undone_at.isoformat() if plan_import.undone_at else None,
        "undone_by": plan_import.undone_by.get_username() if plan_import.undone_by else None,
        "features": items,
    }


def _visible_import(user, pk: int) -> PlanImport:
    found = scoped(PlanImport.objects.select_related("enterprise", "created_by", "undone_by"), user).filter(pk=pk)
    plan_import = found.first()
    if plan_import is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("No plan import %(id)d that you may see.") % {"id": pk})
    return plan_import


@endpoint("GET")
@_plan_errors
def imports(request: HttpRequest, user):
    """GET the imports the user may see, newest first."""
    rows = scoped(PlanImport.objects.select_related("enterprise", "created_by", "undone_by"), user)
    unknown = sorted(set(request.GET) - {"enterprise", "limit", "token"})
    if unknown:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("Unknown parameter “%(name)s”.") % {"name": unknown[0]},
        )
    try:
        limit = int(request.GET.get("limit", LIST_LIMIT))
        enterprise = int(request.GET["enterprise"]) if request.GET.get("enterprise") else None
        if not 1 <= limit <= LIST_MAX:
            raise ValueError
    except ValueError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("enterprise is an id and limit a whole number from 1 to %(max)d.") % {"max": LIST_MAX},
        ) from None
    if enterprise is not None:
        rows = rows.filter(enterprise_id=enterprise)
    page = list(rows[: limit + 1])
    return HTTPStatus.OK, {"imports": [as_json(p, request) for p in page[:limit]], "more": len(page) > limit}


@endpoint("GET")
@_plan_errors
def import_detail(request: HttpRequest, user, pk: int):
    """GET one import."""
    return HTTPStatus.OK, {"import": as_json(_visible_import(user, pk), request)}


@endpoint("POST")
@_plan_errors
def undo(request: HttpRequest, user, pk: int):
    """POST: delete the features of an import, in one transaction (200); 409 when it was undone before."""
    plan_import = _visible_import(user, pk)
    if not may_write(user, plan_import.enterprise):
        raise ApiError(
            HTTPStatus.FORBIDDEN,
            "Forbidden",
            _("Only the enterprise's own accounts and the regulators of its region may undo its imports."),
        )
    try:
        deleted = layout.undo(plan_import, user)
    except layout.AlreadyUndone as error:
        (undone_at,) = error.args
        raise ApiError(
            HTTPStatus.CONFLICT,
            "Conflict",
            _("Import %(id)d was undone already, at %(time)s.")
            % {"id": pk, "time": timezone.localtime(undone_at).isoformat()},
        ) from None
    return HTTPStatus.OK, {"import": as_json(plan_import, request), "deleted": deleted}
