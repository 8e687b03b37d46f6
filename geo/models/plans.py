"""Site plans of an enterprise (总平面布置图): a raster plan, its control points, and the COG drawn from it.

A plan's files live under ``HAZMAP_VAR_DIR/plans/<folder>/``: the uploaded file, the raster the control
points refer to (the upload itself, or a PDF's rendered page) and, once written, ``plan.tif``, the
Cloud-Optimized GeoTIFF in EPSG:3857 that ``/tiles/plans/{id}/…`` serves. Paths are stored relative
to the var dir. The fit and the warp are ``plant_plans``'s (no Django there); this model keeps what
they were given and what they answered.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.registry import Enterprise
from geo.validators import validate_geometry

PLANS_DIR = "plans"


class SitePlan(ValidatedModel):
    """A raster site plan of an enterprise, georeferenced by control points and written as a COG."""

    class Transform(models.TextChoices):
        AFFINE = "affine", _("affine (≥ 3 points)")
        POLY2 = "poly2", _("second-order polynomial (≥ 6 points)")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded")
        FITTED = "fitted", _("control points set")
        WRITING = "writing", _("writing")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="site_plans", verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=200)
    original_name = models.CharField(_("uploaded file name"), max_length=255, blank=True)
    source_format = models.CharField(_("uploaded format"), max_length=8, editable=False)
    folder = models.CharField(_("folder"), max_length=200, editable=False, unique=True)
    source_path = models.CharField(
        _("plan image"), max_length=300, editable=False, help_text=_("The raster the control points refer to.")
    )
    width = models.PositiveIntegerField(_("width (px)"), editable=False)
    height = models.PositiveIntegerField(_("height (px)"), editable=False)
    pdf_page = models.PositiveIntegerField(_("PDF page"), null=True, blank=True, editable=False)
    pdf_dpi = models.FloatField(_("PDF rendering (dpi)"), null=True, blank=True, editable=False)
    control_points = models.JSONField(
        _("control points"), default=list, blank=True, editable=False, help_text=_("[{col, row, x, y}, …]")
    )
    control_crs = models.CharField(_("CRS of the control points"), max_length=40, blank=True, editable=False)
    transform_kind = models.CharField(
        _("transform"), max_length=8, choices=Transform.choices, blank=True, editable=False
    )
    residuals = models.JSONField(
        _("residuals"), default=list, blank=True, editable=False, help_text=_("Each point's residual in m and px.")
    )
    rms_m = models.FloatField(_("RMS residual (m)"), null=True, blank=True, editable=False)
    rms_px = models.FloatField(_("RMS residual (px)"), null=True, blank=True, editable=False)
    cog_path = models.CharField(_("COG"), max_length=300, blank=True, editable=False)
    bounds = models.PolygonField(
        _("outline on the map"), srid=4326, null=True, blank=True, editable=False, validators=[validate_geometry]
    )
    min_zoom = models.PositiveSmallIntegerField(_("minimum zoom"), null=True, blank=True, editable=False)
    max_zoom = models.PositiveSmallIntegerField(_("maximum zoom"), null=True, blank=True, editable=False)
    opacity = models.FloatField(
        _("default opacity"), default=0.7, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.UPLOADED)
    stage = models.CharField(_("stage"), max_length=20, blank=True, editable=False)
    error = models.JSONField(
        _("error"), default=dict, blank=True, editable=False, help_text=_("Why the last write failed.")
    )
    write_started_at = models.DateTimeField(_("write started"), null=True, blank=True, editable=False)
    written_at = models.DateTimeField(_("written"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("site plan")
        verbose_name_plural = _("site plans")
        ordering = ["enterprise", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    def path(self, relative: str) -> Path:
        """The absolute path of a file stored relative to the var dir."""
        return Path(settings.VAR_DIR) / relative

    @property
    def directory(self) -> Path:
        return self.path(self.folder)


@receiver(post_delete, sender=SitePlan)
def remove_plan_files(sender, instance: SitePlan, **kwargs) -> None:
    """A deleted plan (also through its enterprise) takes its folder with it, once the deletion is committed."""
    folder = instance.directory
    if instance.folder and folder.parent == Path(settings.VAR_DIR) / PLANS_DIR:
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
