"""Feature changes, kept briefly for the live event stream."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models.registry import Enterprise


class Event(models.Model):
    """A change of one feature (a sensor value, an alarm, a position, a new consequence zone).

    Written by ``geo.events.publish`` in the same transaction as the change; read by the live
    stream, which replays from a client's Last-Event-ID. ``region_path`` and ``enterprise`` copy the
    feature's scope so that the stream can be narrowed by ``geo.scope.scoped`` like any queryset;
    ``location`` lets it be limited to a bounding box. Kept ``HAZMAP_EVENT_RETENTION_HOURS``.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    collection = models.CharField(_("collection"), max_length=40)
    feature_id = models.BigIntegerField(_("feature id"))
    action = models.CharField(_("action"), max_length=6, choices=Action.choices, default=Action.UPDATE)
    properties = models.JSONField(_("changed attributes"), default=dict, encoder=DjangoJSONEncoder)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    region_path = models.CharField(_("region path"), max_length=120)
    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, null=True, blank=True, related_name="+", db_constraint=False
    )
    regional_roles = models.CharField(
        _("roles that see it across a region"),
        max_length=80,
        blank=True,
        help_text=_("Empty: every role; else the feature's scope_regional_roles as “,role,role,”."),
    )

    scope_region = "region_path"
    scope_enterprise = "enterprise"
    scope_roles_field = "regional_roles"

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [models.Index(fields=["collection", "id"])]  # the latest event of a collection (tile versions)

    def __str__(self) -> str:
        return f"{self.id} {self.collection}/{self.feature_id} {self.action}"
