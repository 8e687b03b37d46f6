"""Admin of gateways, of the point map in the database (devices with their points) and of positioning rules.

Every list and choice is narrowed to the user's scope.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from acquisition import models
from geo.admin import ScopedAdmin
from geo.scope import scoped


class PointInline(admin.TabularInline):
    model = models.Point
    extra = 0
    autocomplete_fields = ["sensor"]
    fields = [
        "sensor",
        "table",
        "address",
        "type",
        "byte_order",
        "word_order",
        "node",
        "sampling_interval_s",
        "deadband",
        "scale",
        "offset",
        "alarm_deadband",
        "on_delay_s",
        "off_delay_s",
        "rate_limit",
        "stale_after_s",
    ]

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "scope_region"):
            kwargs["queryset"] = scoped(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(models.Gateway)
class GatewayAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "enterprise", "region", "active", "last_seen_at"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "enterprise__name"]
    readonly_fields = ["last_seen_at"]


@admin.register(models.Device)
class DeviceAdmin(ScopedAdmin):
    list_display = ["name", "gateway", "protocol", "host", "url", "enabled"]
    list_filter = ["protocol", "enabled"]
    search_fields = ["name", "gateway__code", "host", "url"]
    inlines = [PointInline]


class FenceRuleForm(forms.ModelForm):
    """Assigned tags must be the fence's enterprise's (the admin makes the form's Meta from the fieldsets)."""

    def clean(self):
        cleaned = super().clean()
        fence, tags = cleaned.get("fence"), cleaned.get("assigned_tags")
        if fence is not None and tags:
            foreign = [tag.code for tag in tags if tag.enterprise_id != fence.enterprise_id]
            if foreign:
                self.add_error(
                    "assigned_tags",
                    _("These tags belong to another enterprise than the fence: %(tags)s")
                    % {"tags": ", ".join(foreign)},
                )
        return cleaned


@admin.register(models.FenceRule)
class FenceRuleAdmin(ScopedAdmin):
    """Positioning rules of fences; the head-counts of crowd levels must name their source."""

    form = FenceRuleForm
    list_display = ["fence", "entry_alarm", "off_post_s", "linger_s", "static_s", "crowd_first_people", "crowd_source"]
    search_fields = ["fence__name"]
    autocomplete_fields = ["assigned_tags"]
    fieldsets = [
        (None, {"fields": ["fence", "entry_alarm", "assigned_tags"]}),
        (_("Times"), {"fields": ["off_post_s", "linger_s", "static_s"]}),
        (_("Head-counts"), {"fields": ["people_deadband", "dwell_s"]}),
        (
            _("Crowds (within 15 m for more than 1 minute)"),
            {"fields": ["crowd_first_people", "crowd_second_people", "crowd_source"]},
        ),
        (_("Vehicles"), {"fields": ["speed_limit_kmh"]}),
        (_("Confirmation"), {"fields": ["edge_m", "confirm_k", "confirm_n"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = scoped(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(models.PlantGrid)
class PlantGridAdmin(ScopedAdmin):
    """The plant coordinate grid a positioning engine reports x/y in."""

    list_display = ["enterprise", "x_bearing_deg"]
