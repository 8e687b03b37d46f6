"""The history of the registry (备案): one row per step of the workflow taken on a hazard source."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models.regions import Region
from geo.models.registry import HazardSource


class RegistryEvent(models.Model):
    """One step of the registry workflow taken on a hazard source: who, what, when, and the registered data.

    Rows are only ever added, by ``geo.registry_workflow``; together they are the history of every change
    of a source's registry status. Each row is plain data so that a centre can forward it to its parent:
    ``uid`` names it everywhere (a parent receiving it twice keeps it once), ``actor_name``, ``actor_role``
    and ``registry_region`` say who acted at which office, and ``payload`` is a snapshot of what was
    registered at that moment (enterprise, unit, GB 18218 S, R, α and grade, possible accidents,
    responsible persons), which later regrading does not change.

    A source with history cannot be deleted (``PROTECT``): it leaves the registry by cancellation (核销).
    """

    class Step(models.TextChoices):
        APPLY = "apply", _("application for registration")
        REGISTER = "register", _("registration")
        RETURN = "return", _("return of the application")
        CANCEL_APPLY = "cancel_apply", _("application for cancellation")
        CANCEL_REGISTER = "cancel_register", _("registration of the cancellation")
        CANCEL_RETURN = "cancel_return", _("return of the cancellation application")

    uid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    source = models.ForeignKey(
        HazardSource, models.PROTECT, related_name="registry_events", verbose_name=_("hazard source")
    )
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    from_status = models.CharField(_("status before"), max_length=16, choices=HazardSource.RegistryStatus.choices)
    to_status = models.CharField(_("status after"), max_length=16, choices=HazardSource.RegistryStatus.choices)
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="registry_events",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=150)
    actor_role = models.CharField(_("actor's role"), max_length=12, blank=True)
    registry_region = models.ForeignKey(
        Region,
        models.PROTECT,
        related_name="registry_events",
        verbose_name=_("registering region"),
        help_text=_("The region whose regulators register the source (its 备案机关)."),
    )
    comment = models.TextField(_("comment"), blank=True)
    payload = models.JSONField(_("registered data"), default=dict, blank=True)

    scope_region = "source__enterprise__region__path"
    scope_enterprise = "source__enterprise"

    class Meta:
        verbose_name = _("registry event")
        verbose_name_plural = _("registry history")
        ordering = ["time", "id"]
        indexes = [models.Index(fields=["step", "time"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.source_id} {self.step} {self.from_status}→{self.to_status}"
