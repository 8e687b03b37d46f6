"""The digital layout of an enterprise: features imported from its plans (总平面布置图), and the imports themselves."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geo.geometry import lies_near
from geo.models.base import ValidatedModel
from geo.models.registry import Enterprise, Equipment, HazardSource
from geo.validators import validate_geometry
from plant_plans.coords import ConstructionGrid, parse_crs
from plant_plans.errors import CRSError
from plant_plans.vector import AREA_KINDS, NAME_REQUIRED


class PlanImport(ValidatedModel):
    """One import of a vector plan into an enterprise's layout: the file, its mapping and what it gave.

    ``features_*`` count the features read from the layers the mapping names, stored, rejected (left out
    with ``skip_rejected``, else the import is refused), repaired, and linked to a hazard source or
    equipment by code; ``report`` lists the rejected features (the first 100) and the codes that matched
    nothing. An import is undone by deleting its features (``undone_at``, ``undone_by``); the row stays.
    """

    class Format(models.TextChoices):
        DXF = "dxf", "DXF"
        SHAPEFILE = "shapefile", _("Shapefile (zipped)")
        GEOPACKAGE = "gpkg", "GeoPackage"
        GEOJSON = "geojson", "GeoJSON"
        KML = "kml", "KML"

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="plan_imports", verbose_name=_("enterprise")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    source_crs = models.TextField(
        _("source CRS"), blank=True, help_text=_("The CRS the features were read in (EPSG code), by layer.")
    )
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    upload = models.CharField(_("upload token"), max_length=64, unique=True, editable=False)
    features_read = models.PositiveIntegerField(_("features read"), default=0)
    features_imported = models.PositiveIntegerField(_("features imported"), default=0)
    features_rejected = models.PositiveIntegerField(_("features rejected"), default=0)
    features_repaired = models.PositiveIntegerField(_("features repaired"), default=0)
    features_linked = models.PositiveIntegerField(_("features linked to the registry"), default=0)
    by_kind = models.JSONField(_("features by kind"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_imports",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("plan import")
        verbose_name_plural = _("plan imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else self.file_name


class LayoutFeature(ValidatedModel):
    """A feature of an enterprise's general layout: building, tank, dike, road, fence or hazard-source footprint.

    Mostly imported from a plan (``plan_import``). A tank may be linked to its equipment, a dike or
    footprint to its hazard source (by code, on import), so that the map shows the registry's and the
    live data beside the drawing. Areas (buildings, tanks, dikes, footprints) are polygons; roads and
    fences are lines or areas. Every feature lies within the enterprise's site or at most
    ``HAZMAP_PLAN_SITE_TOLERANCE_M`` outside it.
    """

    class Kind(models.TextChoices):
        BUILDING = "building", _("building")
        TANK = "tank", _("tank")
        DIKE = "dike", _("dike")
        ROAD = "road", _("road")
        FENCE = "fence", _("fence or wall")
        HAZARD_SOURCE = "hazard_source", _("hazard-source footprint")

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="layout_features", verbose_name=_("enterprise")
    )
    plan_import = models.ForeignKey(
        PlanImport,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="features",
        verbose_name=_("plan import"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=40, blank=True)
    geometry = models.GeometryField(_("geometry"), srid=4326, validators=[validate_geometry])
    attributes = models.JSONField(
        _("attributes"), default=dict, blank=True, help_text=_("The feature's attributes in the plan.")
    )
    hazard_source = models.ForeignKey(
        HazardSource,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="layout_features",
        verbose_name=_("hazard source"),
    )
    equipment = models.ForeignKey(
        Equipment,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="layout_features",
        verbose_name=_("equipment"),
    )

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("layout feature")
        verbose_name_plural = _("layout features")
        ordering = ["enterprise", "kind", "name", "pk"]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.pk or ''}".strip()

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if self.kind in NAME_REQUIRED and not self.name.strip():
            errors["name"] = ValidationError(
                _("A %(kind)s needs a name."), code="name_required", params={"kind": self.get_kind_display()}
            )
        if self.geometry is not None and self.kind:
            dimensions = {_dimension(part) for part in _parts(self.geometry)}
            allowed = {2} if self.kind in AREA_KINDS else {1, 2}
            if not dimensions <= allowed:
                message = (
                    _("A %(kind)s is an area (a polygon).")
                    if self.kind in AREA_KINDS
                    else _("A %(kind)s is a line or an area, not a point.")
                )
                errors["geometry"] = ValidationError(
                    message, code="geometry_kind", params={"kind": self.get_kind_display()}
                )
        enterprise = self.enterprise if self.enterprise_id is not None else None
        if enterprise is not None and self.geometry is not None and "geometry" not in errors:
            tolerance_m = settings.HAZMAP_PLAN_SITE_TOLERANCE_M
            if self.geometry.valid and not lies_near(self.geometry, enterprise.site, tolerance_m):
                errors["geometry"] = ValidationError(
                    _("The feature must lie within the enterprise's site, or at most %(tolerance)s m outside it."),
                    code="outside_site",
                    params={"tolerance": tolerance_m},
                )
        if self.equipment_id is not None:
            if self.hazard_source_id is None:
                self.hazard_source_id = self.equipment.hazard_source_id
            elif self.hazard_source_id != self.equipment.hazard_source_id:
                errors["equipment"] = ValidationError(
                    _("The equipment belongs to another hazard source."), code="equipment_source"
                )
        if enterprise is not None:
            if self.hazard_source_id is not None and self.hazard_source.enterprise_id != enterprise.pk:
                errors["hazard_source"] = ValidationError(
                    _("The hazard source belongs to another enterprise."), code="source_enterprise"
                )
            if self.plan_import_id is not None and self.plan_import.enterprise_id != enterprise.pk:
                errors["plan_import"] = ValidationError(
                    _("The plan import belongs to another enterprise."), code="import_enterprise"
                )
        if errors:
            raise ValidationError(errors)


def _parts(geometry):
    """The single parts of a GEOS geometry (collections and multi-parts opened)."""
    if geometry.geom_type.startswith("Multi") or geometry.geom_type == "GeometryCollection":
        for part in geometry:
            yield from _parts(part)
    else:
        yield geometry


def _dimension(part) -> int:
    return {"Point": 0, "LineString": 1, "LinearRing": 1, "Polygon": 2}.get(part.geom_type, -1)


class ConstructionGridDefinition(ValidatedModel):
    """An enterprise's plant construction grid (建筑坐标系, A–B axes): where plans and CAD drawings drawn in it lie.

    The A axis points at ``azimuth_deg`` clockwise from the survey grid's X axis (north); the grid's origin
    (A₀, B₀) lies at survey northing X₀ and easting Y₀ of the projected survey CRS ``survey_crs`` (e.g.
    ``EPSG:4547``, CGCS2000 3° Gauss–Krüger, CM 114° E); ``scale`` is metres of survey per metre of grid.
    The arithmetic is ``plant_plans.coords.ConstructionGrid`` (the workspace's coordinates.md §4): control
    points and vector imports given in ``GRID`` are converted with it.
    """

    enterprise = models.OneToOneField(
        Enterprise, models.CASCADE, related_name="construction_grid", verbose_name=_("enterprise")
    )
    survey_crs = models.CharField(
        _("survey CRS"), max_length=40, help_text=_("A projected CRS in metres, as EPSG:<number> (e.g. EPSG:4547).")
    )
    x0_m = models.FloatField(_("X₀ (survey northing of the origin), m"))
    y0_m = models.FloatField(_("Y₀ (survey easting of the origin), m"))
    azimuth_deg = models.FloatField(_("azimuth of the A axis, degrees clockwise from north"))
    a0_m = models.FloatField(_("A₀ (grid A of the origin), m"), default=0.0)
    b0_m = models.FloatField(_("B₀ (grid B of the origin), m"), default=0.0)
    scale = models.FloatField(_("scale (survey metres per grid metre)"), default=1.0)
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("Where the values come from (the design drawing).")
    )

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("construction grid")
        verbose_name_plural = _("construction grids")

    def __str__(self) -> str:
        return f"{self.enterprise} A/B ({self.survey_crs})"

    def grid(self) -> ConstructionGrid:
        """The grid as ``plant_plans.coords.ConstructionGrid`` (raises ``CRSError`` when it is not one)."""
        return ConstructionGrid(
            parse_crs(self.survey_crs), self.x0_m, self.y0_m, self.azimuth_deg, self.a0_m, self.b0_m, self.scale
        )

    def clean(self) -> None:
        super().clean()
        try:
            self.grid()
        except CRSError as error:
            raise ValidationError({"survey_crs": error.translated(gettext)}, code="grid") from None
