"""Django admin for every feature, with map widgets, narrowed to each user's scope."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.gis.admin import GISModelAdmin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from geo import models
from geo.scope import scoped
from geo.tasks import visible_tasks


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


class ReadOnlyAdmin:
    """For records only the workflows write (histories, logs, imports): listed and viewed here, never added
    or changed; ``deletable`` says whether they may be deleted."""

    deletable = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)


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


class ConstructionGridInline(admin.StackedInline):
    """The enterprise's plant construction grid (A–B), which plans given in GRID are converted with."""

    model = models.ConstructionGridDefinition
    extra = 0
    max_num = 1


@admin.register(models.Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    inlines = [ConstructionGridInline]
    list_display = ["name", "credit_code", "industry", "region", "population_500m"]
    list_filter = ["industry", "region"]
    search_fields = ["name", "credit_code"]


class RegistryEventInline(admin.TabularInline):
    """A source's registry history under it, read-only: the workflow (``geo.registry_workflow``) writes it."""

    model = models.RegistryEvent
    fields = ["time", "step", "from_status", "to_status", "actor_name", "registry_region", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["time", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.HazardSource)
class HazardSourceAdmin(ScopedAdmin):
    """Hazard sources; the registry status and date are the workflow's (``/app/registry/…``), shown read-only."""

    inlines = [RegistryEventInline]
    list_display = ["name", "enterprise", "kind", "is_major", "gb_grade", "gb_r", "gb_s", "registry_status"]
    list_filter = ["kind", "is_major", "gb_grade", "registry_status", "accident_poisoning"]
    search_fields = ["name", "code", "enterprise__name"]
    readonly_fields = [
        "registry_status",
        "registered_on",
        "is_major",
        "gb_s",
        "gb_r",
        "gb_alpha",
        "gb_grade",
        "graded_at",
        "grading_explained",
    ]
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
            {"fields": [("accident_fire", "accident_explosion", "accident_poisoning"), "potential_fatalities"]},
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


@admin.register(models.RegistryEvent)
class RegistryEventAdmin(ReadOnlyAdmin, ScopedAdmin):
    """The registry history, read-only and narrowed to the user's scope: only the workflow adds to it."""

    list_display = ["time", "source", "step", "from_status", "to_status", "actor_name", "registry_region"]
    list_filter = ["step", "to_status"]
    search_fields = ["source__name", "source__code", "source__enterprise__name", "actor_name"]
    list_select_related = ["source", "registry_region"]
    date_hierarchy = "time"
    deletable = False


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
class ReadingAdmin(ReadOnlyAdmin, ScopedAdmin):
    list_display = ["sensor", "time", "value", "quality"]
    list_select_related = ["sensor"]
    search_fields = ["sensor__tag"]
    date_hierarchy = "time"


class AlarmHandlingInline(admin.TabularInline):
    """An alarm's handling timeline, read-only: steps are taken through ``geo.alarm_handling`` (the app, the API)."""

    model = models.AlarmHandling
    fields = ["time", "step", "actor_name", "comment", "overdue_step", "region", "payload"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Alarm)
class AlarmAdmin(ScopedAdmin):
    list_display = ["started_at", "kind", "level", "state", "enterprise", "sensor", "value", "threshold"]
    list_filter = ["kind", "level", "state"]
    date_hierarchy = "started_at"
    list_select_related = ["enterprise", "sensor"]
    readonly_fields = ["state", "finding", "closed_at"]  # moved only by the handling steps, which record them
    inlines = [AlarmHandlingInline]


@admin.register(models.Task)
class TaskAdmin(ReadOnlyAdmin, ScopedAdmin):
    """Tasks between levels, read-only here: issued and moved through ``geo.tasks`` (``/app/tasks``)."""

    list_display = ["issued_at", "title", "from_region", "region", "enterprise", "due_at", "state"]
    list_filter = ["state"]
    date_hierarchy = "issued_at"
    list_select_related = ["from_region", "region", "enterprise"]

    def get_queryset(self, request):
        return visible_tasks(request.user)


@admin.register(models.HiddenDanger)
class HiddenDangerAdmin(ScopedAdmin):
    list_display = ["found_at", "level", "hazard_source", "due_on", "rectified_at"]
    list_filter = ["level", ("rectified_at", admin.EmptyFieldListFilter)]
    search_fields = ["description", "hazard_source__name", "hazard_source__code"]
    date_hierarchy = "found_at"
    list_select_related = ["hazard_source"]


@admin.register(models.Inspection)
class InspectionAdmin(ScopedAdmin):
    list_display = ["due_at", "hazard_source", "done_at", "inspector"]
    list_filter = [("done_at", admin.EmptyFieldListFilter)]
    search_fields = ["inspector", "hazard_source__name", "hazard_source__code"]
    date_hierarchy = "due_at"
    list_select_related = ["hazard_source"]


@admin.register(models.Accident)
class AccidentAdmin(ScopedAdmin):
    list_display = ["occurred_at", "kind", "deaths", "injured", "region", "enterprise", "hazard_source"]
    list_filter = ["kind"]
    search_fields = ["description", "enterprise__name", "hazard_source__name"]
    date_hierarchy = "occurred_at"
    list_select_related = ["region", "enterprise", "hazard_source"]


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


@admin.register(models.LayoutFeature)
class LayoutFeatureAdmin(ScopedAdmin):
    list_display = ["name", "kind", "code", "enterprise", "hazard_source", "equipment", "plan_import"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "enterprise__name"]
    list_select_related = ["enterprise", "hazard_source", "equipment", "plan_import"]


@admin.register(models.PlanImport)
class PlanImportAdmin(ReadOnlyAdmin, ScopedAdmin):
    """Imports of vector plans, as made through the API (``/app/plans/vector/``); undone there or by the action."""

    list_display = [
        "file_name",
        "enterprise",
        "format",
        "features_imported",
        "features_rejected",
        "created_by",
        "created_at",
        "undone_at",
    ]
    list_filter = ["format"]
    search_fields = ["file_name", "enterprise__name"]
    list_select_related = ["enterprise", "created_by"]
    actions = ["undo_imports"]

    @admin.action(description=_("Undo the selected imports (delete their features)"))
    def undo_imports(self, request, queryset) -> None:
        from geo import layout

        done = 0
        for plan_import in queryset.filter(undone_at__isnull=True):
            layout.undo(plan_import, request.user)
            done += 1
        self.message_user(request, _("%(count)d import(s) undone.") % {"count": done})


@admin.register(models.SitePlan)
class SitePlanAdmin(ScopedAdmin):
    """Site plans are uploaded and georeferenced through /app/plans (the file pipeline lives there);
    the admin lists them, renames them, sets their opacity and deletes them (with their files)."""

    list_display = ["name", "enterprise", "status", "transform_kind", "rms_m", "rms_px", "written_at"]
    list_filter = ["status", "transform_kind"]
    search_fields = ["name", "enterprise__name", "original_name"]
    readonly_fields = [
        "enterprise", "original_name", "source_format", "width", "height", "pdf_page", "pdf_dpi", "control_crs",
        "transform_kind", "control_points", "residuals", "rms_m", "rms_px", "status", "stage", "error",
        "cog_path", "bounds", "min_zoom", "max_zoom", "written_at", "created_by", "created_at",
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(models.User)
class HazmapUserAdmin(UserAdmin):
    fieldsets = [*UserAdmin.fieldsets, (_("Scope"), {"fields": ["region", "enterprise", "role", "phone"]})]
    add_fieldsets = [*UserAdmin.add_fieldsets, (_("Scope"), {"fields": ["region", "enterprise", "role"]})]
    list_display = ["username", "role", "region", "enterprise", "is_staff"]
    list_filter = ["role", "is_staff"]


@admin.register(models.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, ScopedAdmin):
    """The audit log, read-only: entries are only ever added by the workflows."""

    list_display = ["time", "actor_name", "action", "outcome", "object_type", "object_id", "reason"]
    list_filter = ["outcome", "action"]
    date_hierarchy = "time"
    search_fields = ["actor_name", "object_id", "reason"]
    deletable = False


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "channel", "subject", "state", "attempts", "sent_at", "read_at"]
    list_filter = ["channel", "state"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.filter(recipient=request.user)

    def has_add_permission(self, request) -> bool:
        return False
