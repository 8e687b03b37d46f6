"""Site plans in the domain: a checked upload becomes a :class:`~geo.models.SitePlan`, control points a
fit with residuals, and the fit a COG — each step all or nothing.

The work itself is ``plant_plans``'s (plain values, rasterio and pyproj); this module keeps the files
under ``HAZMAP_VAR_DIR/plans/`` and the rows in step with them:

- :func:`create` checks the file (format, limits, decodes to the end; a PDF page rendered) in a fresh
  folder and creates the row; on any failure the folder is removed and no row exists;
- :func:`set_control_points` fits the transform and stores points, transform and residuals (or raises,
  storing nothing);
- :func:`claim_write` marks a plan ``writing`` unless another write of it is under way, and
  :func:`write` warps it: the COG replaces the old one only when complete, then the row says ``ready``;
  a failure says ``failed`` with the reason and leaves the previous COG, if any, in place.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from geo.models import ConstructionGridDefinition, Enterprise, SitePlan
from geo.models.plans import PLANS_DIR
from plant_plans import coords, georef, images
from plant_plans.errors import PlanError

log = logging.getLogger(__name__)

MAX_CONTROL_POINTS = 200
STALE_WRITE = dt.timedelta(minutes=30)  # a write "under way" for longer than this died with its process
COG_NAME = "plan.tif"
PREVIEW_NAME = "preview.png"
PREVIEW_SIDE = 2048  # pixels: the longer side of the image a browser shows to place control points on
UNEXPECTED = gettext_noop(
    "The plan could not be written (a fault of the server, logged there); try again or report it."
)


def limits() -> dict:
    """The upload limits of the settings, as ``plant_plans.images.prepare`` takes them."""
    return {
        "max_bytes": settings.HAZMAP_PLAN_MAX_MB * 2**20,
        "max_pixels": settings.HAZMAP_PLAN_MAX_MPX * 1_000_000,
        "dpi": float(settings.HAZMAP_PLAN_PDF_DPI),
    }


def new_folder() -> tuple[str, Path]:
    """A fresh folder for a plan's files: its path relative to the var dir, and the absolute one."""
    relative = f"{PLANS_DIR}/{uuid.uuid4().hex}"
    absolute = Path(settings.VAR_DIR) / relative
    absolute.mkdir(parents=True)
    return relative, absolute


def create(
    enterprise: Enterprise,
    upload: Path,
    folder: str,
    *,
    original_name: str,
    name: str,
    page: int = 1,
    opacity: float | None = None,
    user=None,
) -> SitePlan:
    """Check ``upload`` (already in ``folder``) and create its plan; :class:`PlanError` or ``ValidationError``
    leave neither the folder nor a row behind."""
    absolute = Path(settings.VAR_DIR) / folder
    try:
        image = images.prepare(upload, absolute / "page.tif", page=page, **limits())
        fields = {"opacity": opacity} if opacity is not None else {}
        with transaction.atomic():
            return SitePlan.objects.create(
                enterprise=enterprise,
                name=name,
                original_name=original_name[:255],
                source_format=image.format,
                folder=folder,
                source_path=str(Path(folder) / image.path.name),
                width=image.width,
                height=image.height,
                pdf_page=image.page,
                pdf_dpi=image.dpi,
                created_by=user if getattr(user, "pk", None) else None,
                **fields,
            )
    except BaseException:
        shutil.rmtree(absolute, ignore_errors=True)
        raise


def points_of(raw: list[dict]) -> list[georef.ControlPoint]:
    """Stored or given points ``[{col, row, x, y}, …]`` as control points (values already checked as numbers)."""
    return [georef.ControlPoint(float(p["col"]), float(p["row"]), float(p["x"]), float(p["y"])) for p in raw]


def construction_grid(enterprise_id: int) -> coords.ConstructionGrid | None:
    """The construction grid of an enterprise (what ``GRID`` coordinates are in), None when it has none."""
    definition = ConstructionGridDefinition.objects.filter(enterprise_id=enterprise_id).first()
    return definition.grid() if definition is not None else None


def fit(plan: SitePlan, points: list[georef.ControlPoint], crs: str, kind: str) -> georef.Fit:
    """The transform of ``points`` on ``plan``'s image (raises :class:`PlanError`); points in ``GRID`` are in
    the construction grid of the plan's enterprise."""
    grid = construction_grid(plan.enterprise_id) if coords.parse_crs(crs) == coords.GRID else None
    return georef.fit(points, crs, kind, plan.width, plan.height, grid)


def set_control_points(plan: SitePlan, points: list[georef.ControlPoint], crs: str, kind: str) -> georef.Fit:
    """Fit ``points`` and store them with the residuals; the plan becomes ``fitted`` (its COG, if any, stays)."""
    result = fit(plan, points, crs, kind)
    report = result.report()
    plan.control_points = [{"col": p.col, "row": p.row, "x": p.x, "y": p.y} for p in points]
    plan.control_crs = result.crs
    plan.transform_kind = kind
    plan.residuals = report["points"]
    plan.rms_m, plan.rms_px = report["rms_m"], report["rms_px"]
    if plan.status != SitePlan.Status.WRITING:
        plan.status = SitePlan.Status.FITTED
    plan.save()
    return result


def preview(plan: SitePlan) -> Path:
    """The plan's image reduced to at most ``PREVIEW_SIDE`` pixels (a PNG), written on first use and kept
    in its folder: what the georeferencing page shows (pixel coordinates scale by width / preview width)."""
    path = plan.directory / PREVIEW_NAME
    if not path.exists():
        images.write_preview(plan.path(plan.source_path), path, PREVIEW_SIDE)
    return path


def busy(plan: SitePlan) -> bool:
    """True while a write of ``plan`` is under way (started less than ``STALE_WRITE`` ago)."""
    since = timezone.now() - STALE_WRITE
    return SitePlan.objects.filter(pk=plan.pk, status=SitePlan.Status.WRITING, write_started_at__gt=since).exists()


def claim_write(plan: SitePlan) -> bool:
    """Mark ``plan`` as being written, unless a write of it is under way (False then): one UPDATE decides."""
    now = timezone.now()
    updated = (
        SitePlan.objects.filter(pk=plan.pk)
        .exclude(status=SitePlan.Status.WRITING, write_started_at__gt=now - STALE_WRITE)
        .update(status=SitePlan.Status.WRITING, stage="", error={}, write_started_at=now)
    )
    return updated == 1


def write(plan_id: int, in_thread: bool = False) -> SitePlan:
    """Warp the claimed plan ``plan_id`` to its COG and record the outcome (``ready`` or ``failed``)."""
    if in_thread:
        close_old_connections()
    try:
        plan = SitePlan.objects.get(pk=plan_id)
        try:
            result = fit(plan, points_of(plan.control_points), plan.control_crs, plan.transform_kind)

            def stage(name: str) -> None:
                SitePlan.objects.filter(pk=plan_id).update(stage=name)

            cog = georef.write_cog(result, plan.path(plan.source_path), plan.directory / COG_NAME, progress=stage)
        except PlanError as error:
            SitePlan.objects.filter(pk=plan_id).update(
                status=SitePlan.Status.FAILED, stage="", error={"template": error.template, "params": error.params}
            )
        except Exception:
            log.exception("site plan %s: the COG could not be written", plan_id)
            SitePlan.objects.filter(pk=plan_id).update(
                status=SitePlan.Status.FAILED, stage="", error={"template": UNEXPECTED, "params": {}}
            )
        else:
            bounds = GEOSGeometry(memoryview(cog.outline.wkb), srid=4326)
            SitePlan.objects.filter(pk=plan_id).update(
                status=SitePlan.Status.READY,
                stage="",
                error={},
                cog_path=str(Path(plan.folder) / COG_NAME),
                bounds=bounds,
                min_zoom=cog.min_zoom,
                max_zoom=cog.max_zoom,
                written_at=timezone.now(),
            )
        return SitePlan.objects.get(pk=plan_id)
    finally:
        if in_thread:
            close_old_connections()
            from django.db import connection

            connection.close()
