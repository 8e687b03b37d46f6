"""Safety management: hidden dangers (隐患) and inspections (巡检) of hazard sources, and accidents (事故).

The national guide's safety-management functions (hidden-danger checks, equipment inspection) and its
"alarm to accident" analysis need these records; the risk level (``geo.risk``) counts the hidden dangers
not yet rectified and the inspections overdue.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.regions import Region
from geo.models.registry import Enterprise, HazardSource


class HiddenDanger(ValidatedModel):
    """A hidden danger (隐患) found at a hazard source, open until it is rectified."""

    class Level(models.TextChoices):
        GENERAL = "general", _("general hidden danger")
        MAJOR = "major", _("major hidden danger")

    hazard_source = models.ForeignKey(
        HazardSource, models.CASCADE, related_name="hidden_dangers", verbose_name=_("hazard source")
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.GENERAL)
    description = models.TextField(_("description"))
    found_at = models.DateTimeField(_("found at"))
    due_on = models.DateField(_("rectification due on"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)

    scope_region = "hazard_source__enterprise__region__path"
    scope_enterprise = "hazard_source__enterprise"

    class Meta:
        verbose_name = _("hidden danger")
        verbose_name_plural = _("hidden dangers")
        ordering = ["-found_at"]
        indexes = [
            # the risk level counts the open ones of each source
            models.Index(
                fields=["hazard_source", "level"], condition=models.Q(rectified_at__isnull=True), name="geo_danger_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.found_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.found_at is None:
            return
        before_found = _("Cannot be before the hidden danger was found.")
        if self.rectified_at is not None and self.rectified_at < self.found_at:
            raise ValidationError({"rectified_at": before_found}, code="time_order")
        if self.due_on is not None and self.due_on < timezone.localdate(self.found_at):
            raise ValidationError({"due_on": before_found}, code="time_order")


class Inspection(ValidatedModel):
    """An inspection (巡检) of a hazard source, due by a time; ``done_at`` is empty until it is done."""

    hazard_source = models.ForeignKey(
        HazardSource, models.CASCADE, related_name="inspections", verbose_name=_("hazard source")
    )
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    inspector = models.CharField(_("inspector"), max_length=60, blank=True)

    scope_region = "hazard_source__enterprise__region__path"
    scope_enterprise = "hazard_source__enterprise"

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-due_at"]
        indexes = [
            # the risk level counts the overdue ones of each source
            models.Index(
                fields=["hazard_source", "due_at"], condition=models.Q(done_at__isnull=True), name="geo_inspection_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hazard_source_id} {self.due_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.done_at is not None and not self.inspector:
            raise ValidationError({"inspector": _("An inspection that is done names its inspector.")}, code="inspector")


class Accident(ValidatedModel):
    """An accident (事故) in a region, at an enterprise or one of its hazard sources, with its toll."""

    class Kind(models.TextChoices):
        FIRE = "fire", _("fire")
        EXPLOSION = "explosion", _("explosion")
        POISONING = "poisoning", _("poisoning")
        OTHER = "other", _("other")

    region = models.ForeignKey(Region, models.PROTECT, blank=True, related_name="accidents", verbose_name=_("region"))
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="accidents", verbose_name=_("enterprise")
    )
    hazard_source = models.ForeignKey(
        HazardSource,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="accidents",
        verbose_name=_("hazard source"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    injured = models.PositiveIntegerField(_("injured"), default=0)
    description = models.TextField(_("description"), blank=True)

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("accident")
        verbose_name_plural = _("accidents")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["hazard_source", "occurred_at"]), models.Index(fields=["occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.hazard_source_id is not None:
            if self.enterprise_id is None:
                self.enterprise_id = self.hazard_source.enterprise_id
            elif self.hazard_source.enterprise_id != self.enterprise_id:
                raise ValidationError(
                    {"hazard_source": _("The hazard source belongs to another enterprise.")}, code="source_enterprise"
                )
        self.follow_enterprise_region()
