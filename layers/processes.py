"""OGC API – Processes: processes run synchronously by pygeoapi's manager.

``consequence`` simulates a release (``geo.consequences`` over ``dispersion``) from a tank or process
unit, or at a point, for the user acting, and returns its zones as a GeoJSON FeatureCollection with
who and what is inside each; its metadata (``CONSEQUENCE_METADATA``) documents every input and the
output, with an example. Refusals the user can act on are 422 (``field``, ``value``, ``valid``), 404
(equipment unknown or outside the user's scope) and 403 (saving without the role), never a 500.

``gb18218-grading`` identifies and grades one unit under GB 18218-2018 from the substances it holds
(``geo.gb18218.identify``): S = Σ qᵢ/Qᵢ, whether it is a major hazard source, and if so
R = α·Σ βᵢ·qᵢ/Qᵢ and the grade, with every term explained. Quantities are in tonnes, as the
standard gives them. Invalid inputs are refused with the message of ``geo.gb18218``.

The output of ``consequence`` (``application/geo+json``; the map draws it as it comes)::

    {"type": "FeatureCollection",
     "features": [                                  # one per level, the most severe first
       {"type": "Feature", "id": 12,                # the stored zone's id, only when saved
        "geometry": {"type": "MultiPolygon", ...},  # EPSG:4326; null when the level is not reached
        "properties": {"endpoint": "AEGL-3 (60 min)", "threshold": 20.0, "unit": "ppm", "severity": "red",
                       "reached": true, "max_distance_m": 2120.4, "max_width_m": 448.1,
                       "envelope": {"type": "MultiPolygon", ...},     # ALOHA's confidence lines
                       "people_inside": 1, "people": [{"id", "code", "kind", "holder", "department",
                                                       "enterprise_id", "enterprise_name", "floor",
                                                       "position_time"}],
                       "targets": [{"id", "name", "kind", "population"}], "population_inside": 800,
                       "enterprises": [{"id", "name"}]}}],
     "kind": "toxic", "model": "britter_mcquaid_plume", "substance": {"cas": "7782-50-5", "name": "chlorine"},
     "source_point": [lon, lat], "stability": "C", "downwind_bearing_deg": 315.0,
     "weather": {"wind_speed_m_s", "wind_from_deg", "temperature_k", "relative_humidity", "stability",
                 "stability_from", "day", "sun_elevation_deg", "source": "live" | "given" | "live and given",
                 "given": [...], "time": "…", "station": "WS-01", "distance_m": 1136.5,
                 "sensors": [{"id", "tag", "kind", "value", "unit", "time"}], ...},
     "release": {the dispersion.Release modelled, SI}, "taken": {"inventory_kg": "live inventory", ...},
     "source_term": {"rate_kg_s", "duration_s", "mass_kg", ...}, "limits": [{"code", "message"}],
     "computed_at": "…", "scenario": null | {"id", "name", "live"}}

People, targets and enterprises are those the user may see (personnel: the enterprise's own users and
emergency commanders). Keys are only added to this shape, never renamed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterator
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from dispersion import DispersionInputError
from dispersion import scenario as scenario_module
from geo import consequences, gb18218
from geo.models import Enterprise, Equipment, Region, Scenario, Substance
from geo.scope import scoped
from layers.provider import current_user

HOLDING_SCHEMA = {
    "type": "object",
    "required": ["name", "q_t"],
    "properties": {
        "name": {"type": "string", "description": "The substance's name, e.g. 氯."},
        "cas": {"type": "string", "description": "CAS number (finds the substance in Table 3)."},
        "table1_seq": {"type": "integer", "minimum": 1, "description": "Row (序号) in Table 1, if listed there."},
        "categories": {
            "type": "array",
            "items": {"type": "string"},
            "description": 'Table 2 categories, e.g. ["W5.3"], for a substance outside Table 1.',
        },
        "q_t": {"type": "number", "minimum": 0, "description": "Design maximum quantity in the unit (t)."},
        "condition": {"type": "string", "enum": list(gb18218.CONDITIONS), "default": ""},
        "label": {"type": "string", "description": "Shown in the explanation, e.g. the tank's tag."},
    },
}

GRADING_METADATA = {
    "version": "1.0.0",
    "id": "gb18218-grading",
    "title": {"en": "GB 18218-2018 identification and grading", "zh": "GB 18218-2018 重大危险源辨识与分级"},
    "description": {
        "en": "S = Σ q/Q of one unit; when S ≥ 1, R = α·Σ β·q/Q and the grade (1 most severe to 4).",
        "zh": "计算单元的 S = Σ q/Q；S ≥ 1 时计算 R = α·Σ β·q/Q 并分级（一级最高）。",
    },
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["GB 18218-2018", "major hazard source", "grading"],
    "links": [],
    "inputs": {
        "holdings": {
            "title": "Substances held in the unit",
            "description": "One entry per piece of equipment or substance, q in tonnes.",
            "schema": {"type": "array", "items": HOLDING_SCHEMA},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
        "population": {
            "title": "Residents within 500 m",
            "description": "Permanent residents within 500 m outside the boundary (sets α, Table 5).",
            "schema": {"type": "integer", "minimum": 0},
            "minOccurs": 1,
            "maxOccurs": 1,
        },
    },
    "outputs": {
        "grading": {
            "title": "Identification and grading",
            "description": "S, is_major, R, grade, α and every term with its source in the standard.",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {
        "inputs": {"holdings": [{"name": "氯", "table1_seq": 12, "cas": "7782-50-5", "q_t": 50}], "population": 120}
    },
}
GRADING_REQUEST = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "inputs": {
            "type": "object",
            "required": ["holdings", "population"],
            "properties": {
                "holdings": {"type": "array", "items": HOLDING_SCHEMA},
                "population": {"type": "integer", "minimum": 0},
            },
        }
    },
}


def _holding(item: Any, index: int) -> gb18218.Holding:
    if not isinstance(item, dict):
        raise ValueError(f"holdings[{index}] must be an object with name and q_t")
    unknown = set(item) - set(HOLDING_SCHEMA["properties"])
    if unknown:
        raise ValueError(f"holdings[{index}] has unknown fields: {', '.join(sorted(unknown))}")
    if not isinstance(item.get("name"), str) or not item["name"].strip():
        raise ValueError(f"holdings[{index}].name must be the substance's name")
    seq = item.get("table1_seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        raise ValueError(f"holdings[{index}].table1_seq must be an integer")
    categories = item.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise ValueError(f'holdings[{index}].categories must be a list of Table 2 symbols such as "W5.3"')
    cas = item.get("cas")
    if cas is not None and not isinstance(cas, str):
        raise ValueError(f"holdings[{index}].cas must be text")
    chemical = gb18218.Chemical(
        name=item["name"].strip(), cas=cas or None, table1_seq=seq, categories=tuple(categories)
    )
    condition = item.get("condition", "")
    if not isinstance(condition, str):
        raise ValueError(f"holdings[{index}].condition must be one of {gb18218.CONDITIONS}")
    return gb18218.Holding(chemical, item.get("q_t"), condition, str(item.get("label", "")))


def grade(inputs: dict) -> dict:
    """Identify and grade the unit described by ``inputs`` (holdings, population); ``ValueError`` when invalid."""
    if not isinstance(inputs, dict):
        raise ValueError("inputs must be an object with holdings and population")
    holdings, population = inputs.get("holdings"), inputs.get("population")
    if not isinstance(holdings, list):
        raise ValueError("inputs.holdings must be a list of {name, q_t, …}")
    if isinstance(population, bool) or not isinstance(population, int) or population < 0:
        raise ValueError("inputs.population must be a whole number of residents, 0 or more")
    return gb18218.identify([_holding(item, i) for i, item in enumerate(holdings)], population).to_dict()


class GradingProcessor(BaseProcessor):
    """The ``gb18218-grading`` process."""

    metadata = GRADING_METADATA

    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, GRADING_METADATA)

    @staticmethod
    def check(inputs: Any) -> None:
        """Raise ``ValueError`` with the reason when ``inputs`` cannot be graded (checked before execution)."""
        grade(inputs)

    def execute(self, data: dict, outputs: dict | None = None) -> tuple[str, Any]:
        try:
            result = grade(data)
        except ValueError as error:  # ClassificationError is a ValueError
            raise ProcessorExecuteError(user_msg=str(error)) from None
        return "application/json", result

    def __repr__(self) -> str:
        return "<GradingProcessor gb18218-grading>"


# ---------------------------------------------------------------- refusals


class ProcessRefusal(Exception):
    """An execution refused with an HTTP status and an OGC exception body (``details`` adds fields to it).

    pygeoapi's manager turns every exception of a synchronous process into a 400 "Error executing
    process"; a process that must answer 404 or 422 records its refusal with :func:`refuse` instead,
    and ``layers.views.execution`` answers with it (see :func:`refusals`).
    """

    def __init__(self, status: int, code: str, description: str, details: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.details = details or {}

    def body(self) -> dict:
        """The OGC exception body: ``code``, ``type``, ``description`` and the details."""
        return {"code": self.code, "type": self.code, "description": self.description, **self.details}


_refusals: ContextVar[list[ProcessRefusal] | None] = ContextVar("layers_process_refusals", default=None)


@contextlib.contextmanager
def refusals() -> Iterator[list[ProcessRefusal]]:
    """Within the block, processes record their refusals in the list yielded (the view answers with the first)."""
    caught: list[ProcessRefusal] = []
    token = _refusals.set(caught)
    try:
        yield caught
    finally:
        _refusals.reset(token)


def refuse(refusal: ProcessRefusal) -> dict:
    """Record ``refusal`` for the view and return its body; outside :func:`refusals`, raise it for pygeoapi."""
    caught = _refusals.get()
    if caught is None:
        raise ProcessorExecuteError(user_msg=refusal.description) from refusal
    caught.append(refusal)
    return refusal.body()


# ---------------------------------------------------------------- consequence

KINDS = list(scenario_module.KINDS)
SAVE_ROLES = ("emergency", "planner", "regulator", "enterprise")
COORDINATE_DECIMALS = 7  # about 1 cm
NUMBER = {"type": "number"}

# name → (JSON schema, description): the release parameters, named and in the units of dispersion.Release
RELEASE_INPUTS: dict[str, tuple[dict, str]] = {
    "release": (
        {"type": "string", "enum": list(scenario_module.RELEASES), "default": "hole"},
        "hole: a hole of hole_diameter_m below the liquid; catastrophic: the whole inventory at once; "
        "rate: a given airborne rate_kg_s.",
    ),
    "hole_diameter_m": (NUMBER, "Diameter of the hole (m), smaller than the vessel. Needed for release hole."),
    "inventory_kg": (NUMBER, "Mass that can leak (kg). Default for equipment: live inventory, else design maximum."),
    "storage": (
        {"type": "string", "enum": list(scenario_module.STORAGES)},
        "Storage state. Default for equipment: its storage state; else pressurised_liquefied.",
    ),
    "rate_kg_s": (NUMBER, "Airborne release rate (kg/s) for release rate."),
    "duration_s": (NUMBER, "Release duration (s); default: until the inventory is gone (at most 1 h)."),
    "vessel_diameter_m": (NUMBER, "Vessel diameter (m). Default for equipment: its diameter."),
    "liquid_head_m": (NUMBER, "Liquid height above the hole (m). Default for equipment: from its live level."),
    "temperature_k": (NUMBER, "Storage temperature (K). Default: the live temperature sensor, else ambient."),
    "pressure_pa": (NUMBER, "Absolute pressure in the vessel (Pa). Default: live pressure (gauge + 101 325 Pa)."),
    "release_height_m": (NUMBER, "Height of the release above the ground (m), default 0."),
    "dike_area_m2": (NUMBER, "Area a liquid pool spreads over (m²). Default for a tank area: its dike."),
    "discharge_coefficient": (NUMBER, "Discharge coefficient of the hole (0.1–1); default 0.61 liquid, 0.85 gas."),
    "yield_factor": (NUMBER, "TNT yield factor of a vapour cloud explosion, default 0.03."),
    "standard": (
        {"type": "string", "enum": ["us", "cn"], "default": "us"},
        "Heat-flux and overpressure levels: us (ALOHA, RMP) or cn (Chinese safety evaluation).",
    ),
    "toxic_family": (
        {"type": "string", "enum": ["AEGL", "ERPG", "IDLH"], "default": "AEGL"},
        "Toxic levels; falls back to another family when the substance has none.",
    ),
    "exposure_min": ({"type": "integer", "enum": [10, 30, 60], "default": 60}, "AEGL exposure time (min)."),
}
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "wind_speed_m_s": {"type": "number", "description": "Wind speed at 10 m (m/s), at least 1."},
        "wind_from_deg": {"type": "number", "description": "Where the wind comes from, ° clockwise from north."},
        "stability": {"type": "string", "enum": ["A", "B", "C", "D", "E", "F"]},
        "surface": {"type": "string", "enum": ["rural", "urban"]},
        "temperature_k": NUMBER,
        "pressure_pa": NUMBER,
        "relative_humidity": {"type": "number", "description": "0 to 1."},
        "day": {"type": "boolean"},
        "insolation": {"type": "string", "enum": ["strong", "moderate", "slight"]},
        "cloud_cover_oktas": {"type": "number", "description": "0 to 8."},
    },
}
CONSEQUENCE_INPUTS: dict[str, tuple[dict, str, int]] = {  # name → (schema, description, minOccurs)
    "kind": ({"type": "string", "enum": KINDS}, "What is modelled: toxic or flammable cloud, fire, explosion.", 1),
    "equipment": ({"type": "integer"}, "Id of the tank or process unit that leaks (or give point and cas).", 0),
    "point": (
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "Release point [lon, lat] (EPSG:4326) when no equipment is given.",
        0,
    ),
    "cas": ({"type": "string"}, "CAS number of the substance at a point, e.g. 7782-50-5 (chlorine).", 0),
    **{name: (schema, description, 0) for name, (schema, description) in RELEASE_INPUTS.items()},
    "weather": (
        WEATHER_SCHEMA,
        "Weather to use; what is left out comes from the nearest live weather station (wind, air temperature, "
        "humidity). Without a given stability class it follows from the wind and the sun at the time.",
        0,
    ),
    "save": ({"type": "boolean", "default": False}, "Store the run as a scenario with its zones.", 0),
    "live": ({"type": "boolean", "default": False}, "With save: the scenario follows the live wind.", 0),
    "name": ({"type": "string", "maxLength": 200}, "Name of the saved scenario.", 0),
}
ZONE_PROPERTIES = {
    "endpoint": "level of concern, e.g. AEGL-2 (60 min), 60% LEL, 5 kW/m², 1 psi",
    "threshold": "the level's value, in unit",
    "unit": "ppm, % LEL, kW/m², kPa …",
    "severity": "red, orange or yellow",
    "reached": "false: the level is not reached anywhere (geometry null)",
    "max_distance_m": "farthest reach from the release point (m)",
    "max_width_m": "largest width across the wind (m)",
    "envelope": "GeoJSON geometry: where the zone may lie as the wind direction wavers (ALOHA's confidence lines)",
    "people_inside": "number of personnel tags whose last position is inside (those the user may see)",
    "people": "those tags: id, code, kind, holder, department, enterprise_id, enterprise_name, floor, position_time",
    "targets": "sensitive targets the zone touches: id, name, kind, population",
    "population_inside": "sum of those targets' population",
    "enterprises": "enterprises whose site the zone touches: id, name",
}
CONSEQUENCE_EXAMPLE = {
    "inputs": {
        "point": [121.33, 30.806],
        "cas": "7782-50-5",
        "kind": "toxic",
        "storage": "pressurised_liquefied",
        "release": "hole",
        "hole_diameter_m": 0.025,
        "inventory_kg": 40000,
        "vessel_diameter_m": 2.6,
        "weather": {"wind_speed_m_s": 3.0, "wind_from_deg": 90.0},
    }
}
CONSEQUENCE_METADATA = {
    "version": "1.0.0",
    "id": "consequence",
    "title": {"en": "Consequence of a release", "zh": "泄漏事故后果模拟"},
    "description": {
        "en": (
            "A release from a tank or process unit (its live inventory, level, temperature and pressure) or at a "
            "point: source term, dispersion (Gaussian plume or puff, Britter–McQuaid dense gas), pool or jet fire, "
            "BLEVE or vapour cloud explosion, with the wind of the nearest live weather station unless weather is "
            "given. Returns a GeoJSON FeatureCollection, one feature per level of concern, the most severe first, "
            "with who and what is inside; beside the features: weather (values, stability, the sensors and time "
            "they came from), release (what was modelled), taken (what came from the equipment), source_term, "
            "model, limits (model limits reached, to show the user), computed_at and scenario (when saved). "
            "Refusals: 422 with field, value and valid; 404 for equipment that does not exist or that you may "
            "not see; 403 to save without the right. Zone properties: "
            + "; ".join(f"{name}: {meaning}" for name, meaning in ZONE_PROPERTIES.items())
            + "."
        ),
        "zh": (
            "对储罐或装置（实时库存、液位、温度、压力）或指定地点的泄漏进行后果模拟：源强、扩散（高斯烟羽/烟团、重气）、"
            "池火、喷射火、沸腾液体扩展蒸气爆炸或蒸气云爆炸；未给出气象时取最近气象站的实时风。返回 GeoJSON，"
            "每个关注阈值一个区域（最严重者在前），并列出区域内人员、敏感目标（人口）与企业。"
        ),
    },
    "jobControlOptions": ["sync-execute"],
    "outputTransmission": ["value"],
    "keywords": ["consequence", "dispersion", "ALOHA", "AEGL", "emergency response"],
    "links": [],
    "inputs": {
        name: {"title": name, "description": description, "schema": schema, "minOccurs": low, "maxOccurs": 1}
        for name, (schema, description, low) in CONSEQUENCE_INPUTS.items()
    },
    "outputs": {
        "zones": {
            "title": "Consequence zones",
            "description": "GeoJSON FeatureCollection of the zones (EPSG:4326) with the run's weather, release, "
            "source_term, model and limits as members beside the features.",
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
        }
    },
    "example": CONSEQUENCE_EXAMPLE,
}
CONSEQUENCE_REQUEST = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "inputs": {
            "type": "object",
            "required": ["kind"],
            "properties": {name: schema for name, (schema, _, _) in CONSEQUENCE_INPUTS.items()},
        }
    },
}


def _not_found() -> ProcessRefusal:
    return ProcessRefusal(
        HTTPStatus.NOT_FOUND, "NotFound", _("There is no such equipment, or it is outside what you may see.")
    )


def _equipment(value: Any, user) -> Equipment:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DispersionInputError("equipment", value, "the id (an integer) of a tank or process unit")
    rows = Equipment.objects.select_related("substance", "hazard_source__enterprise")
    found = scoped(rows, user).filter(pk=value).first()
    if found is None:
        raise _not_found()
    return found


def _point(value: Any) -> Point:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in value)
        or not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90)
    ):
        raise DispersionInputError("point", value, "[longitude, latitude] in degrees (EPSG:4326)")
    return Point(float(value[0]), float(value[1]), srid=4326)


def _flag(inputs: dict, name: str) -> bool:
    value = inputs.get(name, False)
    if not isinstance(value, bool):
        raise DispersionInputError(name, value, "true or false")
    return value


def _rounded(geometry) -> dict | None:
    if geometry is None or geometry.is_empty:
        return None
    return shapely.geometry.mapping(shapely.transform(geometry, lambda xy: np.round(xy, COORDINATE_DECIMALS)))


def _region_for(point: Point, user) -> Region:
    """The smallest region of the user's scope whose boundary holds ``point``, else the user's region."""
    regions = Region.objects.filter(boundary__intersects=point)
    if not user.is_superuser:
        regions = regions.filter(path__startswith=user.region.path)
    found = max(regions, key=lambda region: len(region.path), default=None) or user.region
    if found is None:
        raise DispersionInputError("point", [point.x, point.y], "a point inside a region with a boundary")
    return found


def _new_scenario(inputs: dict, kind: str, parameters: dict, weather: dict, user, equipment, point, cas) -> Scenario:
    """The scenario to save (unsaved), owned by the equipment's enterprise or placed in the user's scope."""
    if not (user.is_superuser or user.role in SAVE_ROLES):
        raise ProcessRefusal(
            HTTPStatus.FORBIDDEN,
            "Forbidden",
            _("Your role may run scenarios but not save them."),
        )
    name = inputs.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        raise DispersionInputError("name", name, "a name of 1 to 200 characters")
    if equipment is not None:
        substance, enterprise, region, where = (
            equipment.substance,
            equipment.hazard_source.enterprise,
            None,
            consequences.source_point(equipment),
        )
    else:
        substance = Substance.objects.filter(cas=cas).first()
        if substance is None:
            raise DispersionInputError("cas", cas, "the CAS number of a substance of the registry, to save a scenario")
        enterprise = user.enterprise or scoped(Enterprise.objects.filter(site__intersects=point), user).first()
        region = None if enterprise is not None else _region_for(point, user)
        where = point
    label = equipment.code if equipment is not None else f"{point.x:.5f}, {point.y:.5f}"
    return Scenario(
        name=(name or f"{substance.name_cn} {Scenario.Kind(kind).label} {label}").strip(),
        kind=kind,
        region=region,
        enterprise=enterprise,
        equipment=equipment,
        substance=substance,
        source=where,
        parameters=parameters,
        weather=weather,
        live=_flag(inputs, "live"),
        created_by=user if user.is_authenticated else None,
    )


def consequence(inputs: Any, user, now: dt.datetime | None = None) -> dict:
    """Run the ``consequence`` process for ``user``: the FeatureCollection described in its metadata.

    Raises :class:`DispersionInputError` (422), or :class:`ProcessRefusal` (403, 404).
    """
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise DispersionInputError("inputs", inputs, "an object of inputs")
    for name, value in inputs.items():
        if name not in CONSEQUENCE_INPUTS:
            raise DispersionInputError(name, value, "an input of the process: " + ", ".join(CONSEQUENCE_INPUTS))
    kind = inputs.get("kind")
    if kind not in KINDS:
        raise DispersionInputError("kind", kind, "one of " + ", ".join(KINDS))
    equipment = _equipment(inputs["equipment"], user) if "equipment" in inputs else None
    point = _point(inputs["point"]) if "point" in inputs else None
    cas = inputs.get("cas")
    if equipment is not None and point is not None:
        raise DispersionInputError("point", inputs["point"], "left out when equipment is given")
    if equipment is not None and cas is not None and cas != equipment.substance.cas:
        raise DispersionInputError(
            "cas", cas, f"left out: the equipment holds {equipment.substance.name_cn} ({equipment.substance.cas})"
        )
    if equipment is None and point is None:
        raise DispersionInputError("equipment", None, "the id of the equipment that leaks, or a point [lon, lat]")
    parameters = consequences.check_parameters({k: v for k, v in inputs.items() if k in RELEASE_INPUTS})
    weather = consequences.check_weather(inputs.get("weather", {}))
    save = _flag(inputs, "save")
    if not save and _flag(inputs, "live"):
        raise DispersionInputError("live", True, "true only with save: true (a live scenario is stored)")
    scenario, stored = None, {}
    if save:
        scenario = _new_scenario(inputs, kind, parameters, weather, user, equipment, point, cas)
        with transaction.atomic():
            try:
                scenario.save()
            except ValidationError as error:
                raise DispersionInputError("scenario", None, "; ".join(error.messages)) from None
            evaluation, zones = consequences.compute(scenario, user, now)
        stored = {zone.endpoint: zone for zone in zones}
    else:
        evaluation = consequences.evaluate(
            kind, parameters, weather, equipment=equipment, point=point, cas=cas, user=user, now=now
        )
    return feature_collection(evaluation, user, scenario, stored)


def feature_collection(
    evaluation: consequences.Evaluation, user, scenario: Scenario | None = None, stored: dict | None = None
) -> dict:
    """The run as GeoJSON: one feature per endpoint (with who is inside), the run's facts beside them."""
    stored = stored or {}
    result = evaluation.result
    features = []
    for zone in result.zones:
        endpoint = zone.endpoint
        inside = (
            consequences.occupants(consequences.geos(zone.area), user).as_dict()
            if zone.reached
            else consequences.Occupants([], [], []).as_dict()
        )
        feature = {
            "type": "Feature",
            "geometry": _rounded(zone.area),
            "properties": {
                "endpoint": endpoint.name,
                "threshold": endpoint.display_value,
                "unit": endpoint.unit,
                "severity": endpoint.severity,
                "reached": zone.reached,
                "max_distance_m": round(zone.max_distance_m, 1),
                "max_width_m": round(zone.max_width_m, 1),
                "envelope": _rounded(zone.envelope),
                **inside,
            },
        }
        if endpoint.name in stored:
            feature["id"] = stored[endpoint.name].pk
        features.append(feature)
    return {
        "type": "FeatureCollection",
        "features": features,
        "kind": result.kind,
        "model": result.model,
        "substance": {"cas": evaluation.release.cas, "name": result.substance},
        "source_point": [evaluation.lon, evaluation.lat],
        "stability": result.stability,
        "downwind_bearing_deg": result.downwind_bearing_deg,
        "weather": evaluation.weather,
        "release": evaluation.source_term()["release"],
        "taken": evaluation.taken,
        "source_term": result.source.as_dict(),
        "limits": evaluation.limits(),
        "computed_at": evaluation.computed_at.isoformat(),
        "scenario": None if scenario is None else {"id": scenario.pk, "name": scenario.name, "live": scenario.live},
    }


class ConsequenceProcessor(BaseProcessor):
    """The ``consequence`` process: a release simulated synchronously for the user acting (``layers.provider``)."""

    metadata = CONSEQUENCE_METADATA
    output_media_type = "application/geo+json"

    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, CONSEQUENCE_METADATA)

    @staticmethod
    def check(inputs: Any) -> None:
        """Nothing is checked before execution: every refusal needs the user and the database (see ``execute``)."""

    def execute(self, data: dict, outputs: dict | None = None) -> tuple[str, Any]:
        try:
            return "application/json", consequence(data, current_user())
        except DispersionInputError as error:
            description = _("The release cannot be modelled: %(reason)s") % {"reason": error}
            refusal = ProcessRefusal(
                HTTPStatus.UNPROCESSABLE_ENTITY, "InvalidParameterValue", description, error.as_dict()
            )
            return "application/json", refuse(refusal)
        except ProcessRefusal as refusal:
            return "application/json", refuse(refusal)

    def __repr__(self) -> str:
        return "<ConsequenceProcessor consequence>"


PROCESSES = {"gb18218-grading": GradingProcessor, "consequence": ConsequenceProcessor}
REQUEST_SCHEMAS = {"gb18218-grading": GRADING_REQUEST, "consequence": CONSEQUENCE_REQUEST}
PROCESS_RESPONSES = {  # responses beside 200, 400 and 401, for the OpenAPI document
    "consequence": {
        "403": "Saving scenarios is not for your role.",
        "404": "No such equipment, or it is outside what you may see.",
        "422": "The release cannot be modelled: field, value and valid say what is wrong and what is valid.",
    }
}
