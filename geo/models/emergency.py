"""Emergency response: release scenarios and their consequence zones, resources and sensitive targets."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.regions import Region
from geo.models.registry import Enterprise, Equipment, Substance
from geo.validators import validate_geometry


class Scenario(ValidatedModel):
    """A release (what-if or live) of a substance at a point, with its parameters and weather.

    ``parameters`` and ``weather`` hold the model inputs in SI units (e.g. ``hole_diameter_m``,
    ``wind_speed_m_s``, ``wind_from_deg``, ``stability``), as the dispersion models name them.
    """

    class Kind(models.TextChoices):
        TOXIC = "toxic", _("toxic release")
        FLAMMABLE = "flammable", _("flammable cloud")
        POOL_FIRE = "pool_fire", _("pool fire")
        JET_FIRE = "jet_fire", _("jet fire")
        BLEVE = "bleve", _("BLEVE fireball")
        VCE = "vce", _("vapour cloud explosion")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(Region, models.PROTECT, blank=True, related_name="scenarios", verbose_name=_("region"))
    enterprise = models.ForeignKey(
        Enterprise,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("enterprise"),
    )
    equipment = models.ForeignKey(
        Equipment,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("equipment"),
    )
    substance = models.ForeignKey(Substance, models.PROTECT, related_name="scenarios", verbose_name=_("substance"))
    source = models.PointField(_("release point"), srid=4326, validators=[validate_geometry])
    parameters = models.JSONField(_("release parameters"), default=dict, blank=True)
    weather = models.JSONField(_("weather"), default=dict, blank=True)
    live = models.BooleanField(_("follows live weather"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # What the latest computation (geo.consequences.compute) used and found; empty until computed.
    model = models.CharField(_("model used"), max_length=40, blank=True, editable=False)
    source_term = models.JSONField(
        _("source term"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The release modelled (inputs and what was taken from the equipment) and what reached the air."),
    )
    limits = models.JSONField(_("model limits reached"), default=list, blank=True, editable=False)
    weather_used = models.JSONField(
        _("weather used"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The weather of the latest computation, with the sensors and times it came from."),
    )
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True, editable=False)

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.follow_enterprise_region()
        for field in ("parameters", "weather"):
            if not isinstance(getattr(self, field), dict):
                raise ValidationError({field: _("Must be a JSON object.")}, code="not_object")


class ConsequenceZone(ValidatedModel):
    """The area where one endpoint of a scenario is exceeded (e.g. AEGL-2, 60 % LEL, 5 kW/m²)."""

    class Severity(models.TextChoices):
        RED = "red", _("red")
        ORANGE = "orange", _("orange")
        YELLOW = "yellow", _("yellow")

    scenario = models.ForeignKey(Scenario, models.CASCADE, related_name="zones", verbose_name=_("scenario"))
    endpoint = models.CharField(
        _("endpoint"),
        max_length=40,
        # xgettext:no-python-format
        help_text=_("e.g. AEGL-2, 60% LEL, 5 kW/m²"),
    )
    threshold = models.FloatField(_("threshold"))
    threshold_unit = models.CharField(_("threshold unit"), max_length=12)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    area = models.MultiPolygonField(_("area"), srid=4326, validators=[validate_geometry])
    max_distance_m = models.FloatField(_("maximum distance (m)"), validators=[MinValueValidator(0.0)])
    max_width_m = models.FloatField(_("maximum width (m)"), null=True, blank=True, validators=[MinValueValidator(0.0)])
    envelope = models.MultiPolygonField(
        _("wind-direction envelope"),
        srid=4326,
        null=True,
        blank=True,
        validators=[validate_geometry],
        help_text=_("Where the zone may lie as the wind direction wavers (ALOHA's confidence lines)."),
    )

    scope_region = "scenario__region__path"
    scope_enterprise = "scenario__enterprise"

    class Meta:
        verbose_name = _("consequence zone")
        verbose_name_plural = _("consequence zones")
        ordering = ["scenario", "severity"]

    def __str__(self) -> str:
        return f"{self.scenario} {self.endpoint}"


class EmergencyResource(ValidatedModel):
    """A fire station, hospital, rescue team, material depot or shelter that responders can call on."""

    class Kind(models.TextChoices):
        FIRE_STATION = "fire_station", _("fire station")
        HOSPITAL = "hospital", _("hospital")
        RESCUE_TEAM = "rescue_team", _("rescue team")
        MATERIAL_DEPOT = "material_depot", _("emergency material depot")
        SHELTER = "shelter", _("shelter")
        MONITORING = "monitoring", _("environmental monitoring station")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey(
        Region, models.PROTECT, blank=True, related_name="emergency_resources", verbose_name=_("region")
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="emergency_resources",
        verbose_name=_("enterprise"),
    )
    location = models.PointField(_("location"), srid=4326, validators=[validate_geometry])
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("People, beds or vehicles, as the kind implies.")
    )
    description = models.TextField(_("description"), blank=True)

    scope_region = "region__path"
    scope_enterprise = "enterprise"
    scope_shared_downwards = True  # a county's fire station serves the parks below it

    class Meta:
        verbose_name = _("emergency resource")
        verbose_name_plural = _("emergency resources")
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.follow_enterprise_region()


class SensitiveTarget(ValidatedModel):
    """A place where people are vulnerable to a release: school, hospital, residential block…"""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("school")
        KINDERGARTEN = "kindergarten", _("kindergarten")
        HOSPITAL = "hospital", _("hospital")
        NURSING_HOME = "nursing_home", _("nursing home")
        RESIDENTIAL = "residential", _("residential area")
        OFFICE = "office", _("office")
        MARKET = "market", _("market")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="sensitive_targets", verbose_name=_("region"))
    area = models.MultiPolygonField(_("area"), srid=4326, validators=[validate_geometry])
    population = models.PositiveIntegerField(_("population"))

    scope_region = "region__path"
    scope_shared_downwards = True  # the county's schools around a park matter to the park's commanders

    class Meta:
        verbose_name = _("sensitive target")
        verbose_name_plural = _("sensitive targets")
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return self.name
