"""The audit log: every step of a workflow taken or refused, by whom, on what, and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models.regions import Region


class AuditEntry(models.Model):
    """One recorded action: a workflow step done, or refused with its reason.

    ``actor`` is the local user who acted; ``actor_name`` keeps who it was (also for steps that came
    from another centre, which have no local user). ``region`` and ``enterprise`` place the entry in
    scope: a regulator reads the entries of their region, an enterprise its own. Entries are only
    ever added (``geo.audit.record``), never changed.
    """

    class Outcome(models.TextChoices):
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, help_text=_("e.g. registry.apply, alarm.close"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.DONE)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="audit_entries", verbose_name=_("region")
    )
    enterprise = models.ForeignKey(
        "geo.Enterprise",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("enterprise"),
    )
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["action"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.outcome}"
