"""Admin of gateways and of the point map in the database (devices with their points), narrowed to each user's scope."""

from __future__ import annotations

from django.contrib import admin

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
    list_display = ["code", "name", "enterprise", "region", "active", "last_seen_at"]
    list_filter = ["active"]
    search_fields = ["code", "name", "enterprise__name"]
    readonly_fields = ["last_seen_at"]


@admin.register(models.Device)
class DeviceAdmin(ScopedAdmin):
    list_display = ["name", "gateway", "protocol", "host", "url", "enabled"]
    list_filter = ["protocol", "enabled"]
    search_fields = ["name", "gateway__code", "host", "url"]
    inlines = [PointInline]
