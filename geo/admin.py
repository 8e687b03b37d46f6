"""Django admin for every feature, with map widgets, narrowed to each user's scope."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.gis.admin import GISModelAdmin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from geo import models
from geo.scope import scoped


class ScopedAdmin(GISModelAdmin):
    """A map-enabled admin that lists, and offers as choices, only what the user may see."""

    show_full_result_count = False
    gis_widget_kwargs = {"attrs": {"default_zoom": 14, "default_lon": 121.33, "default_lat": 30.81}}

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related, "scope_region"):
            kwargs["queryset"] = scoped(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(models.Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["path"]


@admin.register(models.Substance)
class SubstanceAdmin(admin.ModelAdmin):
    list_display = ["name_cn", "name_en", "cas", "gb18218_seq", "gb18218_categories"]
    search_fields = ["name_cn", "name_en", "cas", "aliases"]


@admin.register(models.Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "industry", "region", "population_500m"]
    list_filter = ["industry", "region"]
    search_fields = ["name", "credit_code"]


@admin.register(models.HazardSource)
class HazardSourceAdmin(ScopedAdmin):
    list_display = ["name", "enterprise", "kind", "is_major", "gb_grade", "gb_r", "gb_s", "registry_status"]
    list_filter = ["kind", "is_major", "gb_grade", "registry_status", "accident_poisoning"]
    search_fields = ["name", "code", "enterprise__name"]
    readonly_fields = ["is_major", "gb_s", "gb_r", "gb_alpha", "gb_grade", "graded_at", "grading_explained"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "enterprise",
                    "code",
                    "name",
                    "kind",
                    "footprint",
                    "registry_status",
                    "registered_on",
                ]
            },
        ),
        (
            _("Responsible persons"),
            {
                "fields": [
                    ("principal_name", "principal_phone"),
                    ("technical_name", "technical_phone"),
                    ("operational_name", "operational_phone"),
                ]
            },
        ),
        (
            _("Possible accidents"),
            {"fields": [("accident_fire", "accident_explosion", "accident_poisoning")]},
        ),
        (
            _("GB 18218-2018"),
            {
                "fields": [
                    "is_major",
                    "gb_s",
                    "gb_r",
                    "gb_alpha",
                    "gb_grade",
                    "graded_at",
                    "grading_explained",
                ]
            },
        ),
    ]

    @admin.display(description=_("grading explained"))
    def grading_explained(self, source: models.HazardSource) -> str:
        if not source.grading:
            return "—"
        return render_to_string("geo/admin/grading.html", {"g": source.grading, "grade": source.get_gb_grade_display()})


@admin.register(models.Equipment)
class EquipmentAdmin(ScopedAdmin):
    list_display = ["code", "name", "hazard_source", "kind", "substance", "design_max_kg", "inventory_kg"]
    list_filter = ["kind", "storage", "tank_type"]
    search_fields = ["code", "name", "hazard_source__name"]
    list_select_related = ["hazard_source", "substance"]


@admin.register(models.Sensor)
class SensorAdmin(ScopedAdmin):
    list_display = [
        "tag",
        "name",
        "kind",
        "value",
        "unit",
        "quality",
        "alarm_state",
        "value_time",
        "enterprise",
    ]
    list_filter = ["kind", "alarm_state", "quality"]
    search_fields = ["tag", "name", "device_code"]
    list_select_related = ["enterprise"]
    readonly_fields = ["value", "value_time", "quality", "alarm_state"]


@admin.register(models.Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["sensor", "time", "value", "quality"]
    list_select_related = ["sensor"]
    search_fields = ["sensor__tag"]
    date_hierarchy = "time"
    show_full_result_count = False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Alarm)
class AlarmAdmin(ScopedAdmin):
    list_display = ["started_at", "kind", "level", "state", "enterprise", "sensor", "value", "threshold"]
    list_filter = ["kind", "level", "state"]
    date_hierarchy = "started_at"
    list_select_related = ["enterprise", "sensor"]


@admin.register(models.PersonnelTag)
class PersonnelTagAdmin(ScopedAdmin):
    list_display = [
        "code",
        "holder",
        "kind",
        "department",
        "enterprise",
        "position_time",
        "battery_pct",
        "sos",
    ]
    list_filter = ["kind", "sos"]
    search_fields = ["code", "holder"]
    readonly_fields = ["location", "floor", "position_time", "battery_pct", "sos", "moving"]


@admin.register(models.Position)
class PositionAdmin(ScopedAdmin):
    list_display = ["tag", "time", "floor", "battery_pct", "sos"]
    list_select_related = ["tag"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(models.Fence)
class FenceAdmin(ScopedAdmin):
    list_display = ["name", "kind", "enterprise", "min_people", "max_people", "active"]
    list_filter = ["kind", "active"]


@admin.register(models.Scenario)
class ScenarioAdmin(ScopedAdmin):
    """Scenarios; saving one computes its zones (``geo.consequences.compute``), as the action does for many."""

    list_display = ["name", "kind", "substance", "enterprise", "live", "model", "computed_at", "created_at"]
    list_filter = ["kind", "live"]
    readonly_fields = ["model", "computed_at", "limits", "source_term", "weather_used"]
    actions = ["compute_zones"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        self._compute(request, [obj])

    @admin.action(description=_("Compute the zones of the selected scenarios"))
    def compute_zones(self, request, queryset) -> None:
        self._compute(request, list(queryset))

    def _compute(self, request, scenarios) -> None:
        from dispersion import DispersionInputError
        from geo import consequences

        done = 0
        for scenario in scenarios:
            try:
                consequences.compute(scenario, request.user)
                done += 1
            except DispersionInputError as error:
                message = _("“%(name)s” cannot be modelled, its zones are unchanged: %(reason)s")
                self.message_user(request, message % {"name": scenario.name, "reason": error}, messages.WARNING)
        if done:
            self.message_user(request, _("Zones computed for %(count)d scenario(s).") % {"count": done})


@admin.register(models.ConsequenceZone)
class ConsequenceZoneAdmin(ScopedAdmin):
    list_display = ["scenario", "endpoint", "severity", "threshold", "threshold_unit", "max_distance_m"]


@admin.register(models.EmergencyResource)
class EmergencyResourceAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "enterprise", "capacity", "contact_phone"]
    list_filter = ["kind"]


@admin.register(models.SensitiveTarget)
class SensitiveTargetAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "population"]
    list_filter = ["kind"]


@admin.register(models.User)
class HazmapUserAdmin(UserAdmin):
    fieldsets = [*UserAdmin.fieldsets, (_("Scope"), {"fields": ["region", "enterprise", "role"]})]
    add_fieldsets = [*UserAdmin.add_fieldsets, (_("Scope"), {"fields": ["region", "enterprise", "role"]})]
    list_display = ["username", "role", "region", "enterprise", "is_staff"]
    list_filter = ["role", "is_staff"]
