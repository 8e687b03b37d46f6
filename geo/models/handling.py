"""Alarm handling to closure and tasks between levels: the records the workflows in ``geo.alarm_handling``
and ``geo.tasks`` write.

Each row is plain data — who, what, when, about which alarm or source, with what payload — so that a
centre can later forward it to its parent unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.monitoring import Alarm
from geo.models.regions import Region
from geo.models.registry import Enterprise, HazardSource

PERSON_STEPS = ("see", "verify", "apply_plan", "report", "close")


class AlarmHandling(models.Model):
    """One entry of an alarm's handling timeline: a step a person took, the announcement, or an escalation.

    ``step`` is one of the handling steps (``see`` … ``close``, each at most once per alarm), ``raised``
    (the centre told the responsible people of the new alarm, once) or ``escalate`` (``overdue_step``
    was not taken in time and ``region``'s people were told; once per overdue step and region).
    ``payload`` holds what the step says: the finding, the measures, the report, who was notified.
    Rows are only ever added.
    """

    class Step(models.TextChoices):
        RAISED = "raised", _("raised")
        SEE = "see", _("seen")
        VERIFY = "verify", _("situation verified")
        APPLY_PLAN = "apply_plan", _("plan applied")
        REPORT = "report", _("report written")
        CLOSE = "close", _("closed")
        ESCALATE = "escalate", _("escalated")

    alarm = models.ForeignKey(Alarm, models.CASCADE, related_name="handling", verbose_name=_("alarm"))
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    time = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="alarm_steps",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=150, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    overdue_step = models.CharField(
        _("overdue step"), max_length=12, blank=True, help_text=_("Escalations: the step that was not taken in time.")
    )
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="alarm_escalations",
        verbose_name=_("escalated to"),
        help_text=_("Escalations: the level whose people were told."),
    )

    scope_region = "alarm__region__path"
    scope_enterprise = "alarm__enterprise"

    class Meta:
        verbose_name = _("alarm handling record")
        verbose_name_plural = _("alarm handling records")
        ordering = ["alarm", "time", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alarm", "step"],
                condition=models.Q(step__in=("raised", *PERSON_STEPS)),
                name="geo_alarmhandling_step_once",
            ),
            models.UniqueConstraint(
                fields=["alarm", "overdue_step", "region"],
                condition=models.Q(step="escalate"),
                name="geo_alarmhandling_escalate_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.step} {self.time:%Y-%m-%d %H:%M:%S} {self.actor_name}"


class Task(ValidatedModel):
    """A task (任务下达) from a region's regulators to an enterprise or a lower region, and its report (汇报).

    ``from_region`` issues it; it goes to ``enterprise`` (then ``region`` is that enterprise's region) or,
    with no enterprise, to the lower ``region``. It may be about an alarm or a hazard source. Its state
    moves issued → acknowledged → reported → closed (completed, 办结; ``geo.tasks``).
    """

    class State(models.TextChoices):
        ISSUED = "issued", _("issued")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        REPORTED = "reported", _("reported")
        CLOSED = "closed", _("completed")

    from_region = models.ForeignKey(
        Region, models.PROTECT, related_name="tasks_issued", verbose_name=_("issued by region")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks_issued",
        verbose_name=_("issued by"),
    )
    issued_by_name = models.CharField(_("issuer's name"), max_length=150, blank=True)
    region = models.ForeignKey(
        Region,
        models.PROTECT,
        blank=True,
        related_name="tasks",
        verbose_name=_("to region"),
        help_text=_("The lower region the task goes to, or the region of the enterprise it goes to."),
    )
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="tasks", verbose_name=_("to enterprise")
    )
    alarm = models.ForeignKey(
        Alarm, models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("about alarm")
    )
    hazard_source = models.ForeignKey(
        HazardSource,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("about hazard source"),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.ISSUED)
    issued_at = models.DateTimeField(_("issued at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by_name = models.CharField(_("acknowledged by"), max_length=150, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by_name = models.CharField(_("reported by"), max_length=150, blank=True)
    report = models.TextField(_("report"), blank=True)
    closed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_by_name = models.CharField(_("closed by"), max_length=150, blank=True)
    comment = models.TextField(_("closing comment"), blank=True)

    scope_region = "region__path"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        self.follow_enterprise_region()
        if self.due_at is not None and self.issued_at is not None and self.due_at <= self.issued_at:
            raise ValidationError({"due_at": _("The due date must be after the task is issued.")}, code="time_order")
