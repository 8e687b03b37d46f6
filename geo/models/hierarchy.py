"""The hierarchy of centres in the database: changes waiting for the parent, and rows that came from children.

``Forward`` is the child's side: one row per change of a forwarded row (an enterprise, a hazard source,
an alarm, an audit entry…), written by ``hierarchy.forward`` in the same transaction as the change and
deleted only when the parent has acknowledged the message that carried it. It is kept for as long as
that takes (days of outage included), independent of the events' retention.

``Replica`` is the parent's side: which local row a child centre's row became, so that a change sent
twice, a renamed code or a delete finds the same row, and the number of the last change applied to
it, so that an old copy arriving after a newer change (a message sent again after a slow
acknowledgement) changes nothing.

``Summary`` is both: a centre's periodic summary of its region (``hierarchy.summary``), made here and
forwarded like any row, or received from a child centre (``received_from``) and kept, one row per
summary, as the history of that centre's figures.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models.base import ValidatedModel
from geo.models.regions import Region, User


class Forward(models.Model):
    """A change waiting to be acknowledged by the parent centre.

    ``change`` is the message part as sent (``hierarchy.kinds``: kind, op, ref, key, data).
    ``position`` is the order of sending, given by the forwarder when it first reads the row: ids are
    drawn when a transaction writes and may become visible out of order (PostgreSQL), positions are
    given only to rows already committed, so none is ever passed over.
    """

    class Op(models.TextChoices):
        UPSERT = "upsert", _("created or changed")
        DELETE = "delete", _("deleted")

    created_at = models.DateTimeField(_("changed at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=20)
    op = models.CharField(_("operation"), max_length=6, choices=Op.choices)
    ref = models.CharField(_("id here"), max_length=64)
    change = models.JSONField(_("change"), encoder=DjangoJSONEncoder)
    position = models.BigIntegerField(_("sending order"), null=True, blank=True, db_index=True)
    region_path = models.CharField(_("region path"), max_length=120, blank=True)

    scope_region = "region_path"  # the changed row's region ("" for substances: superusers only)

    class Meta:
        verbose_name = _("change to forward")
        verbose_name_plural = _("changes to forward")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} {self.kind}/{self.ref} {self.op}"


class Replica(models.Model):
    """A child centre's row as this centre holds it: (child, kind, the child's id) → the local id.

    ``version`` is the child's number of the last change applied (its ``Forward`` id: for one row they
    grow in the order the changes were committed); ``local_id`` is None once the row was deleted.
    """

    origin = models.CharField(_("child centre"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20)
    ref = models.CharField(_("id at the child"), max_length=64)
    local_id = models.BigIntegerField(_("id here"), null=True, blank=True)
    version = models.BigIntegerField(_("last change applied"), default=0)
    region_path = models.CharField(_("region path"), max_length=120, blank=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    scope_region = "region_path"  # the child centre's region

    class Meta:
        verbose_name = _("row from a child centre")
        verbose_name_plural = _("rows from child centres")
        constraints = [models.UniqueConstraint(fields=["origin", "kind", "ref"], name="geo_replica_once")]
        indexes = [models.Index(fields=["kind", "local_id"])]

    def __str__(self) -> str:
        return f"{self.origin} {self.kind}/{self.ref} → {self.local_id}"


def validate_figures(value: object) -> None:
    """A summary's figures: an object of sections, each an object of counts (whole numbers ≥ 0) or of objects of
    counts, e.g. ``{"alarms": {"open": 2, "open_by_level": {"1": 1, "2": 1}}}``."""

    def is_count(number: object) -> bool:
        return isinstance(number, int) and not isinstance(number, bool) and number >= 0

    if not isinstance(value, dict):
        raise ValidationError(_("The figures must be a JSON object of sections."), code="figures")
    for section, figures in value.items():
        if not isinstance(figures, dict):
            raise ValidationError(
                _("The figures' section “%(section)s” is not an object."), code="figures", params={"section": section}
            )
        for name, figure in figures.items():
            counts = figure.values() if isinstance(figure, dict) else (figure,)
            if not all(is_count(n) for n in counts):
                raise ValidationError(
                    _("The figure “%(section)s.%(name)s” is not a count (a whole number ≥ 0, or an object of them)."),
                    code="figures",
                    params={"section": section, "name": name},
                )


class SummaryQuerySet(models.QuerySet):
    def latest_of_each_centre(self) -> SummaryQuerySet:
        """The latest of these summaries of each centre (by ``period_end``), in one query."""
        newest = self.filter(centre=models.OuterRef("centre")).order_by("-period_end").values("pk")[:1]
        return self.filter(pk=models.Subquery(newest))


class Summary(ValidatedModel):
    """A centre's summary of its region at ``period_end``: counts of its registry, alarms and sensors then, and of
    what happened since ``period_start`` (``hierarchy.summary`` says which figures).

    Made by this centre (``received_from`` empty), it is forwarded to the parent with the other rows; received
    from a child centre, ``received_from`` is that child's code and ``received_at`` when it arrived. A summary
    is known everywhere by its ``centre`` and ``period_end``: stored once, never changed.
    """

    centre = models.CharField(_("centre"), max_length=64, help_text=_("The code of the centre that made it."))
    region = models.ForeignKey(Region, models.PROTECT, related_name="summaries", verbose_name=_("region"))
    period_start = models.DateTimeField(_("period from"))
    period_end = models.DateTimeField(_("made at"), help_text=_("The end of its period."))
    interval_s = models.PositiveIntegerField(
        _("interval (s)"), validators=[MinValueValidator(1)], help_text=_("How often its centre makes one.")
    )
    figures = models.JSONField(_("figures"), validators=[validate_figures])
    received_from = models.CharField(
        _("received from"), max_length=64, blank=True, help_text=_("The child centre it came from; empty: made here.")
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    objects = SummaryQuerySet.as_manager()

    scope_region = "region__path"
    # figures of a whole region: not for an enterprise's operators
    scope_regional_roles = tuple(role for role in User.Role.values if role != User.Role.ENTERPRISE)

    class Meta:
        verbose_name = _("centre summary")
        verbose_name_plural = _("centre summaries")
        ordering = ["-period_end"]
        constraints = [models.UniqueConstraint(fields=["centre", "period_end"], name="geo_summary_once")]
        indexes = [models.Index(fields=["received_from", "period_end"])]

    def __str__(self) -> str:
        return f"{self.centre} {self.period_end:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError({"period_start": _("The period cannot start after it ends.")}, code="period_order")
