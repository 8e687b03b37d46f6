"""The collection registry: one entry per feature kind, read by every server (OGC API, tiles, events).

An entry names the model, the geometry, the public attributes (output name → ORM lookup or
expression, so that a whole page is one ``.values()`` query), the smaller attribute list of vector
tiles, the attributes that change with live data, and whether the collection is public. Rows are
always narrowed by ``geo.scope.scoped``; a public collection is readable without signing in.

A new feature kind is one model in ``geo`` plus one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Expression, F, Field, Model, QuerySet
from django.utils.functional import Promise

from geo import models as geo
from geo import risk
from geo.scope import scoped

Lookup = str | Expression


@dataclass(frozen=True)
class Collection:
    """One feature collection.

    ``fields`` maps each public attribute to an ORM lookup (``"enterprise__name"``) or expression;
    ``tile_fields`` are the names among them that vector tiles carry; ``live_fields`` those that
    change with live data (tiles holding them are versioned, the event stream sends them);
    ``datetime_field`` is the lookup the OGC ``datetime`` parameter filters on; ``min_zoom`` is the
    lowest zoom at which tiles hold the collection.
    """

    id: str
    model: type[Model]
    geometry_field: str
    fields: dict[str, Lookup]
    tile_fields: tuple[str, ...]
    live_fields: tuple[str, ...] = ()
    datetime_field: str | None = None
    public: bool = False
    min_zoom: int = 0
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> Promise:
        """The collection's title in the user's language (the model's plural name)."""
        return self.model._meta.verbose_name_plural

    @property
    def description(self) -> str:
        return (self.model.__doc__ or "").strip().splitlines()[0]

    @property
    def time_attribute(self) -> str | None:
        """The public attribute the OGC ``datetime`` parameter filters on (the one for ``datetime_field``)."""
        if self.datetime_field is None:
            return None
        return next(name for name, lookup in self.fields.items() if lookup == self.datetime_field)

    def model_field(self, name: str) -> Field | None:
        """The model field behind public attribute ``name``, following relations; None for an expression."""
        lookup = self.fields[name]
        if not isinstance(lookup, str):
            return None
        model, field = self.model, None
        for part in lookup.split("__"):
            field = model._meta.get_field(part)
            model = field.related_model
        if field.is_relation:  # "enterprise_id" names the key column, "enterprise" the relation
            field = field.target_field
        return field

    def queryset(self, user) -> QuerySet:
        """Every row ``user`` may read: all rows of a public collection, else the user's scope."""
        rows = self.model._default_manager.all()
        return rows if self.public else scoped(rows, user)

    def values(self, rows: QuerySet) -> QuerySet:
        """``rows`` as dictionaries of ``pk``, the geometry field and the public attributes, in one query."""
        same = [name for name, lookup in self.fields.items() if name == lookup]
        renamed = {
            name: F(lookup) if isinstance(lookup, str) else lookup
            for name, lookup in self.fields.items()
            if name != lookup
        }
        return rows.values("pk", self.geometry_field, *same, **renamed)


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            id="regions",
            model=geo.Region,
            geometry_field="boundary",
            fields={
                "code": "code",
                "name": "name",
                "name_en": "name_en",
                "level": "level",
                "parent_code": "parent__code",
            },
            tile_fields=("code", "name", "level"),
            public=True,
        ),
        Collection(
            id="enterprises",
            model=geo.Enterprise,
            geometry_field="site",
            fields={
                "name": "name",
                "name_en": "name_en",
                "credit_code": "credit_code",
                "industry": "industry",
                "region_code": "region__code",
                "address": "address",
                "population_500m": "population_500m",
            },
            tile_fields=("name", "industry"),
            min_zoom=10,
        ),
        Collection(
            id="hazard-sources",
            model=geo.HazardSource,
            geometry_field="footprint",
            fields={
                "code": "code",
                "name": "name",
                "kind": "kind",
                "enterprise_id": "enterprise_id",
                "enterprise_name": "enterprise__name",
                "is_major": "is_major",
                "grade": "gb_grade",
                "gb_s": "gb_s",
                "gb_r": "gb_r",
                "registry_status": "registry_status",
                "registered_on": "registered_on",
                "accident_fire": "accident_fire",
                "accident_explosion": "accident_explosion",
                "accident_poisoning": "accident_poisoning",
                "potential_fatalities": "potential_fatalities",
                # computed as it is read (geo.risk): not a tile attribute, since hazard-source tiles are not
                # versioned by live changes and the level moves with other tables and with time
                "risk_level": risk.RiskLevel(),
                "principal_name": "principal_name",
                "technical_name": "technical_name",
                "operational_name": "operational_name",
            },
            tile_fields=("name", "kind", "grade", "is_major", "enterprise_id"),
            datetime_field="registered_on",
        ),
        Collection(
            id="equipment",
            model=geo.Equipment,
            geometry_field="footprint",
            fields={
                "code": "code",
                "name": "name",
                "kind": "kind",
                "hazard_source_id": "hazard_source_id",
                "enterprise_id": "hazard_source__enterprise_id",
                "substance_name": "substance__name_cn",
                "substance_cas": "substance__cas",
                "storage": "storage",
                "tank_type": "tank_type",
                "capacity_m3": "capacity_m3",
                "design_max_kg": "design_max_kg",
                "inventory_kg": "inventory_kg",
                "diameter_m": "diameter_m",
                "height_m": "height_m",
                "design_pressure_pa": "design_pressure_pa",
                "design_temperature_k": "design_temperature_k",
            },
            tile_fields=("code", "name", "kind", "substance_name", "inventory_kg"),
            live_fields=("inventory_kg",),
            min_zoom=13,
        ),
        Collection(
            id="layout-features",
            model=geo.LayoutFeature,
            geometry_field="geometry",
            fields={
                "kind": "kind",
                "name": "name",
                "code": "code",
                "enterprise_id": "enterprise_id",
                "enterprise_name": "enterprise__name",
                "plan_import_id": "plan_import_id",
                "hazard_source_id": "hazard_source_id",
                "equipment_id": "equipment_id",
                # a tank linked to its equipment: the registry's and the live values, read with the page
                "substance_name": "equipment__substance__name_cn",
                "design_max_kg": "equipment__design_max_kg",
                "inventory_kg": "equipment__inventory_kg",
            },
            tile_fields=("kind", "name", "code", "equipment_id", "hazard_source_id"),
            min_zoom=13,
        ),
        Collection(
            id="sensors",
            model=geo.Sensor,
            geometry_field="location",
            fields={
                "tag": "tag",
                "name": "name",
                "kind": "kind",
                "unit": "unit",
                "enterprise_id": "enterprise_id",
                "hazard_source_id": "hazard_source_id",
                "equipment_id": "equipment_id",
                "substance_name": "substance__name_cn",
                "device_code": "device_code",
                "lolo": "lolo",
                "lo": "lo",
                "hi": "hi",
                "hihi": "hihi",
                "value": "value",
                "value_time": "value_time",
                "quality": "quality",
                "alarm_state": "alarm_state",
            },
            tile_fields=("tag", "kind", "unit", "value", "quality", "alarm_state"),
            live_fields=("value", "value_time", "quality", "alarm_state"),
            datetime_field="value_time",
            min_zoom=14,
        ),
        Collection(
            id="alarms",
            model=geo.Alarm,
            geometry_field="location",
            fields={
                "kind": "kind",
                "level": "level",
                "state": "state",
                "message": "message",
                "value": "value",
                "threshold": "threshold",
                "unit": "unit",
                "started_at": "started_at",
                "ended_at": "ended_at",
                "closed_at": "closed_at",
                "enterprise_id": "enterprise_id",
                "enterprise_name": "enterprise__name",
                "hazard_source_id": "hazard_source_id",
                "sensor_id": "sensor_id",
                "sensor_tag": "sensor__tag",
            },
            tile_fields=("kind", "level", "state"),
            live_fields=("state", "ended_at", "closed_at"),
            datetime_field="started_at",
        ),
        Collection(
            id="personnel",
            model=geo.PersonnelTag,
            geometry_field="location",
            fields={
                "code": "code",
                "kind": "kind",
                "holder": "holder",
                "department": "department",
                "job": "job",
                "enterprise_id": "enterprise_id",
                "enterprise_name": "enterprise__name",
                "floor": "floor",
                "position_time": "position_time",
                "battery_pct": "battery_pct",
                "sos": "sos",
                "moving": "moving",
            },
            tile_fields=("code", "kind", "holder", "sos"),
            live_fields=("floor", "position_time", "battery_pct", "sos", "moving"),
            datetime_field="position_time",
            min_zoom=14,
        ),
        Collection(
            id="fences",
            model=geo.Fence,
            geometry_field="area",
            fields={
                "name": "name",
                "kind": "kind",
                "enterprise_id": "enterprise_id",
                "hazard_source_id": "hazard_source_id",
                "min_people": "min_people",
                "max_people": "max_people",
                "active": "active",
            },
            tile_fields=("name", "kind", "active"),
            min_zoom=13,
        ),
        Collection(
            id="consequence-zones",
            model=geo.ConsequenceZone,
            geometry_field="area",
            fields={
                "scenario_id": "scenario_id",
                "scenario_name": "scenario__name",
                "substance_name": "scenario__substance__name_cn",
                "endpoint": "endpoint",
                "threshold": "threshold",
                "threshold_unit": "threshold_unit",
                "severity": "severity",
                "max_distance_m": "max_distance_m",
                "max_width_m": "max_width_m",
                "created_at": "scenario__created_at",
                "computed_at": "scenario__computed_at",
                "live": "scenario__live",
            },
            tile_fields=("scenario_id", "endpoint", "severity"),
            datetime_field="scenario__created_at",
        ),
        Collection(
            id="emergency-resources",
            model=geo.EmergencyResource,
            geometry_field="location",
            fields={
                "name": "name",
                "kind": "kind",
                "region_code": "region__code",
                "enterprise_id": "enterprise_id",
                "contact_phone": "contact_phone",
                "capacity": "capacity",
                "description": "description",
            },
            tile_fields=("name", "kind"),
            min_zoom=10,
        ),
        Collection(
            id="sensitive-targets",
            model=geo.SensitiveTarget,
            geometry_field="area",
            fields={"name": "name", "kind": "kind", "region_code": "region__code", "population": "population"},
            tile_fields=("name", "kind", "population"),
            min_zoom=10,
        ),
    )
}


def collection(collection_id: str) -> Collection:
    """The registry entry of ``collection_id``; ``KeyError`` when there is none."""
    return COLLECTIONS[collection_id]
