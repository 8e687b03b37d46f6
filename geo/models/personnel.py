"""Personnel positioning: tags worn by people and vehicles, their track, and fences."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.registry import Enterprise, HazardSource
from geo.validators import validate_geometry, validate_thresholds

PERCENT = [MinValueValidator(0.0), MaxValueValidator(100.0)]


class PersonnelTag(ValidatedModel):
    """A positioning tag worn by a person or fitted to a vehicle, with its last position."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        VEHICLE = "vehicle", _("vehicle")

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="personnel_tags", verbose_name=_("enterprise")
    )
    code = models.CharField(_("tag id"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PERSON)
    holder = models.CharField(_("holder"), max_length=100, help_text=_("The person's name or the vehicle's plate."))
    department = models.CharField(_("department"), max_length=100, blank=True)
    job = models.CharField(_("job"), max_length=100, blank=True)
    location = models.PointField(
        _("last position"), srid=4326, null=True, blank=True, editable=False, validators=[validate_geometry]
    )
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True, editable=False)
    position_time = models.DateTimeField(_("position time"), null=True, blank=True, editable=False)
    battery_pct = models.FloatField(_("battery (%)"), null=True, blank=True, editable=False, validators=PERCENT)
    sos = models.BooleanField(_("SOS pressed"), default=False, editable=False)
    moving = models.BooleanField(_("moving"), default=False, editable=False)

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"
    scope_regional_roles = ("emergency",)  # where people are: their enterprise and emergency commanders

    class Meta:
        verbose_name = _("personnel tag")
        verbose_name_plural = _("personnel tags")
        ordering = ["enterprise", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.holder}"


class Position(models.Model):
    """One position of a tag (track history). ``(tag, time)`` is unique: duplicates are stored once."""

    tag = models.ForeignKey(PersonnelTag, models.CASCADE, related_name="positions", db_index=False)
    time = models.DateTimeField(_("time"))
    location = models.PointField(_("position"), srid=4326)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    battery_pct = models.FloatField(_("battery (%)"), null=True, blank=True)
    sos = models.BooleanField(_("SOS pressed"), default=False)
    moving = models.BooleanField(_("moving"), default=False)

    scope_region = "tag__enterprise__region__path"
    scope_enterprise = "tag__enterprise"
    scope_regional_roles = ("emergency",)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [models.UniqueConstraint(fields=["tag", "time"], name="geo_position_tag_time")]

    def __str__(self) -> str:
        return f"{self.tag_id} {self.time.isoformat()}"


class Fence(ValidatedModel):
    """An electronic fence: a restricted, work, hazardous or muster area, with head-count limits."""

    class Kind(models.TextChoices):
        RESTRICTED = "restricted", _("restricted area")
        WORK_AREA = "work_area", _("work area")
        HAZARDOUS = "hazardous", _("hazardous area")
        MUSTER = "muster", _("muster point")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="fences", verbose_name=_("enterprise"))
    hazard_source = models.ForeignKey(
        HazardSource,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="fences",
        verbose_name=_("hazard source"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    area = models.PolygonField(_("area"), srid=4326, validators=[validate_geometry])
    min_people = models.PositiveIntegerField(_("minimum people"), null=True, blank=True)
    max_people = models.PositiveIntegerField(_("maximum people"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    scope_region = "enterprise__region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("fence")
        verbose_name_plural = _("fences")
        ordering = ["enterprise", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_thresholds(
            {"min_people": self.min_people, "max_people": self.max_people},
            ("min_people", "max_people"),
            self.labels("min_people", "max_people"),
        )
        if (
            self.hazard_source_id is not None
            and self.enterprise_id is not None
            and self.hazard_source.enterprise_id != self.enterprise_id
        ):
            raise ValidationError(
                {"hazard_source": _("The hazard source belongs to another enterprise.")},
                code="source_enterprise",
            )
