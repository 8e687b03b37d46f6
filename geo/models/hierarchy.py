"""The hierarchy of centres in the database: changes waiting for the parent, and rows that came from children.

``Forward`` is the child's side: one row per change of a forwarded row (an enterprise, a hazard source,
an alarm, an audit entry…), written by ``hierarchy.forward`` in the same transaction as the change and
deleted only when the parent has acknowledged the message that carried it. It is kept for as long as
that takes (days of outage included), independent of the events' retention.

``Replica`` is the parent's side: which local row a child centre's row became, so that a change sent
twice, a renamed code or a delete finds the same row, and the number of the last change applied to
it, so that an old copy arriving after a newer change (a message sent again after a slow
acknowledgement) changes nothing.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
