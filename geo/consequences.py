"""Consequence zones of release scenarios: a ``geo.Scenario`` run through ``dispersion`` and stored.

What this module does, in the order a scenario goes through it:

1. **Release** (:func:`release_for`). The release parameters the user gave (``Scenario.parameters``,
   named as :class:`dispersion.Release` names them, SI units, absolute pressures) are completed from
   the equipment when the scenario is on a tank or process unit:

   ============================  =====================================================================
   ``cas``                       the equipment's substance
   ``storage``                   the equipment's storage state
   ``inventory_kg``              the live inventory, else the design maximum quantity
   ``vessel_diameter_m``         the equipment's diameter
   ``temperature_k``             the equipment's live temperature sensor, else the ambient temperature
   ``pressure_pa``               the live pressure sensor (a gauge value, + 101 325 Pa); for a compressed
                                 gas without one, the design pressure (gauge) + 101 325 Pa; a liquefied
                                 gas without one is at its vapour pressure (the model's default)
   ``liquid_head_m``             the live level × the equipment's height, else the filled fraction
                                 (inventory ÷ capacity × liquid density) × height
   ``dike_area_m2``              for a liquid of a tank area: the dike (the unit's boundary) less the
                                 tanks standing in it
   ============================  =====================================================================

   What was taken from where is stated in ``Scenario.source_term["taken"]``. A value the user gave
   always wins.

2. **Weather** (:func:`weather_for`). Values the user gave (``Scenario.weather``, named as
   :class:`dispersion.Weather` names them) win; what is missing of wind speed, wind direction, air
   temperature and humidity comes from the live sensors of the weather station nearest to the
   release (the wind speed sensor nearest, within ``WEATHER_STATION_MAX_DISTANCE_M``, and the other
   sensors of its station — same ``device_code`` — or else the nearest of their kind), if their
   value is good and at most ``LIVE_VALUE_MAX_AGE_S`` old. The wind is taken as the 10 m wind (the
   demo's mast is 10 m high). Without a given stability class, Pasquill–Gifford's class follows
   from the wind speed and, by day, the insolation from the sun's elevation at the release point
   and time (:func:`dispersion.weather.solar_elevation_deg`, Turner's classes) or, by night, the
   cloud cover (given, else a clear sky: the more stable, longer footprint). The summary says which
   sensors and which time the weather came from. No wind given and none live: a
   :class:`~dispersion.DispersionInputError` on ``weather`` (a 422 at the API).

3. **Run** (:func:`evaluate`): :func:`dispersion.run` at the release point (the equipment's centre).

4. **Store** (:func:`compute`): in one transaction the scenario's zones are matched by endpoint
   with the zones already stored — kept and updated, new ones created, those no longer reached
   deleted — and each change is published (``geo.events``, collection ``consequence-zones``,
   located at the release point) for the live stream and the tile versions. The scenario keeps the
   model, limits, source term, weather used and the time of computation.

5. **Who is inside** (:func:`occupants`): personnel tags whose last position lies in a zone,
   sensitive targets the zone touches (with their whole population: a school is warned as a
   whole) and enterprises whose site it touches — database spatial queries (SpatiaLite or PostGIS),
   narrowed by ``geo.scope.scoped`` when a user is given. Nothing of this is stored: people move.

6. **Live scenarios** (:func:`follow_weather`): acquisition's ingest calls it, after its
   transaction commits, with the weather sensors whose live value changed. A live scenario whose
   weather came from one of them is recomputed when the wind direction moved by at least
   ``LIVE_DIRECTION_CHANGE_DEG``, the speed by at least ``LIVE_SPEED_CHANGE_M_S`` or the stability
   class changed, and its last computation is at least ``LIVE_MIN_INTERVAL_S`` old (several workers
   agree through ``Scenario.computed_at``, read under a row lock). A change inside the interval is
   not lost: the next sample after it compares with the weather last used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import pyproj
import shapely
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

import dispersion
from dispersion import DispersionInputError, Release, Weather
from dispersion.constants import P_ATM
from dispersion.weather import insolation_class, solar_elevation_deg
from geo.events import publish
from geo.models import (
    ConsequenceZone,
    Enterprise,
    Equipment,
    Event,
    Quality,
    Scenario,
    SensitiveTarget,
    Sensor,
)
from geo.people import people_inside
from geo.scope import scoped

log = logging.getLogger(__name__)

COLLECTION = "consequence-zones"
LIVE_VALUE_MAX_AGE_S = 600.0  # a sensor value older than this is not live
WEATHER_STATION_MAX_DISTANCE_M = 20_000.0  # a station farther from the release does not speak for its weather
NEAREST_WEATHER_SENSORS = 64  # live weather sensors read, nearest first, to find a station's four
LIVE_DIRECTION_CHANGE_DEG = 10.0
LIVE_SPEED_CHANGE_M_S = 1.0
LIVE_MIN_INTERVAL_S = 30.0
LIVE_FIELDS = {  # the weather a station measures: sensor kind → dispersion.Weather field
    Sensor.Kind.WIND_SPEED: "wind_speed_m_s",
    Sensor.Kind.WIND_DIRECTION: "wind_from_deg",
    Sensor.Kind.AIR_TEMPERATURE: "temperature_k",
    Sensor.Kind.RELATIVE_HUMIDITY: "relative_humidity",
}
WEATHER_KINDS = tuple(LIVE_FIELDS)
RELEASE_FIELDS = tuple(f.name for f in dataclasses.fields(Release) if f.name not in ("cas", "kind", "endpoints"))
NUMBER_FIELDS = frozenset(
    {
        "inventory_kg",
        "hole_diameter_m",
        "vessel_diameter_m",
        "liquid_head_m",
        "temperature_k",
        "pressure_pa",
        "release_height_m",
        "rate_kg_s",
        "duration_s",
        "dike_area_m2",
        "discharge_coefficient",
        "yield_factor",
        "exposure_min",
    }
)
WEATHER_FIELDS = tuple(f.name for f in dataclasses.fields(Weather))
GEOD = pyproj.Geod(ellps="WGS84")


# ---------------------------------------------------------------- release


def _number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DispersionInputError(field, value, "a finite number")
    return float(value)


def check_parameters(parameters: object) -> dict:
    """The release parameters as a dict of known names with values of the right type, or a refusal."""
    if not isinstance(parameters, dict):
        raise DispersionInputError("parameters", parameters, "an object of release parameters")
    checked = {}
    for name, value in parameters.items():
        if name not in RELEASE_FIELDS:
            raise DispersionInputError(name, value, "a release parameter: " + ", ".join(RELEASE_FIELDS))
        if value is None:
            continue
        if name in NUMBER_FIELDS:
            value = _number(name, value)
        elif not isinstance(value, str):
            raise DispersionInputError(name, value, "text")
        checked[name] = value
    if "liquid_head_m" in checked and checked["liquid_head_m"] < 0:
        raise DispersionInputError("liquid_head_m", checked["liquid_head_m"], "a number ≥ 0 (m)")
    if "exposure_min" in checked:
        if checked["exposure_min"] not in (10.0, 30.0, 60.0):
            raise DispersionInputError("exposure_min", checked["exposure_min"], "10, 30 or 60 (minutes)")
        checked["exposure_min"] = int(checked["exposure_min"])
    return checked


def _live_value(sensors: Iterable[Sensor], kind: str, now: dt.datetime) -> Sensor | None:
    """The sensor of ``kind`` among ``sensors`` with the latest good or uncertain value that is still live."""
    fresh = [
        s
        for s in sensors
        if s.kind == kind
        and s.value is not None
        and s.quality != Quality.BAD
        and s.value_time is not None
        and (now - s.value_time).total_seconds() <= LIVE_VALUE_MAX_AGE_S
    ]
    return max(fresh, key=lambda s: s.value_time, default=None)


def _reading(sensor: Sensor) -> dict:
    return {
        "id": sensor.pk,
        "tag": sensor.tag,
        "kind": sensor.kind,
        "value": sensor.value,
        "unit": sensor.unit,
        "time": sensor.value_time.isoformat(),
    }


def _kelvin(value: float, unit: str) -> float:
    return value + 273.15 if unit == "°C" else value


def _pascal(value: float, unit: str) -> float:
    return value * {"Pa": 1.0, "kPa": 1e3, "MPa": 1e6}[unit]


def _area_m2(geometry: GEOSGeometry) -> float:
    """Geodesic area (m²) of a polygon in EPSG:4326."""
    area, _ = GEOD.geometry_area_perimeter(shapely.from_wkb(bytes(geometry.wkb)))
    return abs(area)


def release_for(
    kind: str,
    parameters: dict,
    equipment: Equipment | None = None,
    cas: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Release, dict[str, str]]:
    """The :class:`dispersion.Release` of ``parameters``, completed from ``equipment`` (see the module).

    Returns the release and what was taken from where (``{field: "live inventory"}`` …).
    """
    now = now or timezone.now()
    given = check_parameters(parameters)
    taken: dict[str, str] = {}
    values: dict = {}
    if equipment is not None:
        substance = equipment.substance
        if not substance.cas:
            raise DispersionInputError(
                "substance", substance.name_cn, "a substance with a CAS number (give it in the registry)"
            )
        if equipment.storage == Equipment.Storage.SOLID:
            raise DispersionInputError(
                "equipment",
                equipment.code,
                "a tank or process unit holding a liquid or a gas",
                f"{equipment.code} holds a solid ({substance.name_cn}); releases of solids are not modelled",
            )
        cas = substance.cas
        values["storage"] = equipment.storage
        taken["storage"] = "equipment storage state"
        if equipment.inventory_kg is not None:
            values["inventory_kg"] = equipment.inventory_kg
            taken["inventory_kg"] = "live inventory"
        else:
            values["inventory_kg"] = equipment.design_max_kg
            taken["inventory_kg"] = "design maximum quantity"
        if equipment.diameter_m:
            values["vessel_diameter_m"] = equipment.diameter_m
            taken["vessel_diameter_m"] = "equipment diameter"
        _from_instruments(equipment, values, taken, now)
        storage = given.get("storage", values["storage"])
        if storage == Equipment.Storage.ATMOSPHERIC_LIQUID and equipment.hazard_source.kind == "tank_area":
            dike = _area_m2(equipment.hazard_source.footprint) - sum(
                _area_m2(e.footprint) for e in equipment.hazard_source.equipment.all()
            )
            if dike > 0:
                values["dike_area_m2"] = dike
                taken["dike_area_m2"] = "tank area boundary less its tanks"
    for name in given:
        taken.pop(name, None)
    values.update(given)
    if not isinstance(cas, str) or not cas:
        raise DispersionInputError("cas", cas, "the CAS number of the substance released, e.g. 7782-50-5")
    return Release(cas=cas, kind=kind, **values), taken


def _from_instruments(equipment: Equipment, values: dict, taken: dict[str, str], now: dt.datetime) -> None:
    """Temperature, pressure and liquid head of ``equipment`` from its live sensors (or its design)."""
    sensors = list(equipment.sensors.all())
    temperature = _live_value(sensors, Sensor.Kind.TEMPERATURE, now)
    if temperature is not None:
        values["temperature_k"] = _kelvin(temperature.value, temperature.unit)
        taken["temperature_k"] = f"live sensor {temperature.tag} at {temperature.value_time.isoformat()}"
    pressure = _live_value(sensors, Sensor.Kind.PRESSURE, now)
    if pressure is not None:
        values["pressure_pa"] = _pascal(pressure.value, pressure.unit) + P_ATM
        taken["pressure_pa"] = f"live sensor {pressure.tag} (gauge) at {pressure.value_time.isoformat()}"
    elif equipment.storage == Equipment.Storage.COMPRESSED_GAS and equipment.design_pressure_pa:
        values["pressure_pa"] = equipment.design_pressure_pa + P_ATM
        taken["pressure_pa"] = "design pressure (gauge)"
    if not equipment.height_m:
        return
    level = _live_value(sensors, Sensor.Kind.LEVEL, now)
    if level is not None:
        fraction = {"%": level.value / 100.0, "m": level.value / equipment.height_m}.get(
            level.unit, level.value / 1000.0 / equipment.height_m
        )
        values["liquid_head_m"] = min(max(fraction, 0.0), 1.0) * equipment.height_m
        taken["liquid_head_m"] = f"live level {level.tag} at {level.value_time.isoformat()}"
        return
    density = equipment.substance.liquid_density_kg_m3
    if equipment.capacity_m3 and density and values.get("inventory_kg"):
        fraction = values["inventory_kg"] / (equipment.capacity_m3 * density)
        values["liquid_head_m"] = min(fraction, 1.0) * equipment.height_m
        taken["liquid_head_m"] = "inventory ÷ (capacity × liquid density) × height"


# ---------------------------------------------------------------- weather


def check_weather(given: object) -> dict:
    """The given weather as a dict of known names, or a refusal naming the unknown one."""
    if not isinstance(given, dict):
        raise DispersionInputError("weather", given, "an object with " + ", ".join(WEATHER_FIELDS))
    for name, value in given.items():
        if name not in WEATHER_FIELDS:
            raise DispersionInputError(f"weather.{name}", value, "one of " + ", ".join(WEATHER_FIELDS))
        if name == "day" and not isinstance(value, bool):
            raise DispersionInputError("weather.day", value, "true (daytime) or false (night)")
    return {name: value for name, value in given.items() if value is not None}


def live_weather(point: Point, user=None, now: dt.datetime | None = None) -> tuple[dict, list[Sensor], dict]:
    """Wind, air temperature and humidity of the weather station nearest ``point``, from live values.

    Returns the :class:`dispersion.Weather` values found, the sensors they came from and a note of the
    station (``device_code``, distance in m); empty when no live wind speed is within reach. The
    sensors are those ``user`` may see when a user is given.
    """
    now = now or timezone.now()
    live = Sensor.objects.filter(
        kind__in=WEATHER_KINDS,
        value__isnull=False,
        value_time__gte=now - dt.timedelta(seconds=LIVE_VALUE_MAX_AGE_S),
        value_time__lte=now + dt.timedelta(seconds=LIVE_VALUE_MAX_AGE_S),
    ).exclude(quality=Quality.BAD)
    if user is not None:
        live = scoped(live, user)
    near = live.annotate(distance=Distance("location", point)).order_by("distance")[:NEAREST_WEATHER_SENSORS]
    near = [sensor for sensor in near if sensor.distance.m <= WEATHER_STATION_MAX_DISTANCE_M]  # one query
    speed = next((sensor for sensor in near if sensor.kind == Sensor.Kind.WIND_SPEED), None)
    if speed is None:
        return {}, [], {}
    used = [speed]
    values = {"wind_speed_m_s": speed.value}
    for kind, name, convert in (
        (Sensor.Kind.WIND_DIRECTION, "wind_from_deg", lambda s: s.value % 360.0),
        (Sensor.Kind.AIR_TEMPERATURE, "temperature_k", lambda s: _kelvin(s.value, s.unit)),
        (Sensor.Kind.RELATIVE_HUMIDITY, "relative_humidity", lambda s: min(max(s.value / 100.0, 0.0), 1.0)),
    ):
        of_kind = [sensor for sensor in near if sensor.kind == kind]
        same_station = [sensor for sensor in of_kind if speed.device_code and sensor.device_code == speed.device_code]
        sensor = next(iter(same_station or of_kind), None)
        if sensor is not None:
            values[name] = convert(sensor)
            used.append(sensor)
    station = {"station": speed.device_code or speed.tag, "distance_m": round(speed.distance.m, 1)}
    return values, used, station


def weather_for(given: dict, lon: float, lat: float, user=None, now: dt.datetime | None = None) -> tuple[Weather, dict]:
    """The :class:`dispersion.Weather` of a release at (lon, lat): ``given`` values, live ones for the rest.

    Returns the weather and its summary (values, stability and why, sensors and time it came from).
    Raises :class:`DispersionInputError` on ``weather`` when no wind is given and none is live.
    """
    now = now or timezone.now()
    given = check_weather(given)
    values: dict = {}
    sensors: list[Sensor] = []
    station: dict = {}
    if not set(LIVE_FIELDS.values()) <= set(given):
        values, sensors, station = live_weather(Point(lon, lat, srid=4326), user, now)
    values.update(given)
    missing = [name for name in ("wind_speed_m_s", "wind_from_deg") if name not in values]
    if missing:
        raise DispersionInputError(
            "weather",
            given or None,
            "wind_speed_m_s (m/s at 10 m) and wind_from_deg (° from north) in weather, or a weather station "
            f"within {WEATHER_STATION_MAX_DISTANCE_M / 1000:g} km with live wind values (at most "
            f"{LIVE_VALUE_MAX_AGE_S / 60:g} min old)",
            "no live weather is available here and no wind was given: give weather.wind_speed_m_s and "
            "weather.wind_from_deg",
        )
    used_sensors = [s for s in sensors if _sensor_field(s) not in given]
    when = max((s.value_time for s in used_sensors), default=now)
    sun = solar_elevation_deg(lon, lat, when)
    stability_from = "given"
    if "stability" not in given:
        values.setdefault("day", sun > 0.0)
        if values["day"]:
            values.setdefault("insolation", insolation_class(max(sun, 0.0), values.get("cloud_cover_oktas") or 0.0))
            stability_from = f"wind speed and {values['insolation']} insolation (sun {sun:.0f}° high)"
        else:
            cloud = values.get("cloud_cover_oktas")
            stability_from = "wind speed and night, " + (
                f"{cloud:g}/8 cloud" if cloud is not None else "clear sky (no cloud cover given)"
            )
    weather = Weather(**values)
    stability = weather.stability_class
    summary = {
        **{name: getattr(weather, name) for name in WEATHER_FIELDS},
        "stability": stability,
        "stability_from": stability_from,
        "sun_elevation_deg": round(sun, 1),
        "source": "live" if not given else ("given" if not used_sensors else "live and given"),
        "given": sorted(given),
        "time": when.isoformat(),
        "sensors": [_reading(s) for s in used_sensors],
        **(station if used_sensors else {}),
    }
    return weather, summary


def _sensor_field(sensor: Sensor) -> str:
    return LIVE_FIELDS[sensor.kind]


# ---------------------------------------------------------------- run


@dataclass
class Evaluation:
    """One run of a release: the model's result, the release and weather used, and where they came from."""

    result: dispersion.Result
    release: Release
    taken: dict[str, str]
    weather: dict
    lon: float
    lat: float
    computed_at: dt.datetime

    def source_term(self) -> dict:
        """The release modelled and what reached the air, as stored in ``Scenario.source_term``."""
        release = {f.name: getattr(self.release, f.name) for f in dataclasses.fields(Release) if f.name != "endpoints"}
        return {**self.result.source.as_dict(), "release": release, "taken": self.taken}

    def limits(self) -> list[dict]:
        return [{"code": limit.code, "message": limit.message} for limit in self.result.limits]

    def reached(self) -> list[dispersion.Zone]:
        """The zones whose endpoint is exceeded somewhere, the most severe first."""
        return [zone for zone in self.result.zones if zone.reached]


def source_point(equipment: Equipment) -> Point:
    """Where a release from ``equipment`` starts: the centre of its footprint."""
    return equipment.footprint.centroid


def evaluate(
    kind: str,
    parameters: dict,
    weather: dict,
    *,
    equipment: Equipment | None = None,
    point: Point | None = None,
    cas: str | None = None,
    user=None,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Run a release from ``equipment`` (or at ``point`` of substance ``cas``); nothing is stored.

    Raises :class:`DispersionInputError` for input the models cannot use.
    """
    now = now or timezone.now()
    if equipment is not None:
        point = source_point(equipment)
    if point is None:
        raise DispersionInputError("point", None, "the equipment released from, or a point [lon, lat]")
    release, taken = release_for(kind, parameters, equipment, cas, now)
    weather_used, summary = weather_for(weather, point.x, point.y, user, now)
    result = dispersion.run(release, weather_used, point.x, point.y)
    return Evaluation(result, release, taken, summary, point.x, point.y, now)


def evaluate_scenario(scenario: Scenario, user=None, now: dt.datetime | None = None) -> Evaluation:
    """Run ``scenario`` as it is stored (its equipment's live state, live weather where none is given)."""
    return evaluate(
        scenario.kind,
        scenario.parameters,
        scenario.weather,
        equipment=scenario.equipment,
        point=scenario.source,
        cas=scenario.substance.cas,
        user=user,
        now=now,
    )


# ---------------------------------------------------------------- store


def geos(geometry: shapely.Geometry) -> MultiPolygon:
    """A shapely (multi)polygon in EPSG:4326 as a GEOS MultiPolygon."""
    converted = GEOSGeometry(memoryview(shapely.to_wkb(geometry)), srid=4326)
    return converted if isinstance(converted, MultiPolygon) else MultiPolygon(converted, srid=4326)


def _zone_properties(zone: ConsequenceZone) -> dict:
    return {
        "scenario_id": zone.scenario_id,
        "endpoint": zone.endpoint,
        "threshold": zone.threshold,
        "threshold_unit": zone.threshold_unit,
        "severity": zone.severity,
        "max_distance_m": zone.max_distance_m,
        "max_width_m": zone.max_width_m,
    }


def publishes_saves() -> bool:
    """Whether a save or delete of a zone publishes its own event (``layers.signals`` connects every
    collection's model to ``post_save``/``post_delete``); if not, :func:`store` publishes by hand, so that
    each change is published exactly once."""
    return post_save.has_listeners(ConsequenceZone) and post_delete.has_listeners(ConsequenceZone)


def store(scenario: Scenario, evaluation: Evaluation) -> list[ConsequenceZone]:
    """Replace the zones of ``scenario`` by those of ``evaluation`` in one transaction, publishing each change.

    A zone of an endpoint already stored is updated in place (its id stays), one newly reached is
    created, one no longer reached is deleted. Each change is published once (collection
    ``consequence-zones``): by the save itself where saves publish (:func:`publishes_saves`), else here.
    """
    by_hand = not publishes_saves()
    with transaction.atomic():
        existing = {zone.endpoint: zone for zone in scenario.zones.all()}
        kept: list[ConsequenceZone] = []
        for found in evaluation.reached():
            endpoint = found.endpoint
            zone = existing.pop(endpoint.name, None)
            action = Event.Action.UPDATE if zone is not None else Event.Action.CREATE
            zone = zone or ConsequenceZone(scenario=scenario, endpoint=endpoint.name)
            zone.threshold = float(endpoint.display_value)
            zone.threshold_unit = endpoint.unit
            zone.severity = endpoint.severity
            zone.area = geos(found.area)
            zone.envelope = geos(found.envelope) if not found.envelope.is_empty else None
            zone.max_distance_m = found.max_distance_m
            zone.max_width_m = found.max_width_m
            zone.save()
            if by_hand:
                publish(COLLECTION, zone, _zone_properties(zone), action, location=scenario.source)
            kept.append(zone)
        for gone in existing.values():
            if by_hand:
                publish(
                    COLLECTION,
                    gone,
                    {"scenario_id": scenario.pk, "endpoint": gone.endpoint},
                    Event.Action.DELETE,
                    location=scenario.source,
                )
            gone.delete()
        scenario.model = evaluation.result.model
        scenario.source_term = evaluation.source_term()
        scenario.limits = evaluation.limits()
        scenario.weather_used = evaluation.weather
        scenario.computed_at = evaluation.computed_at
        scenario.save(update_fields=["model", "source_term", "limits", "weather_used", "computed_at"])
    return kept


def compute(scenario: Scenario, user=None, now: dt.datetime | None = None) -> tuple[Evaluation, list[ConsequenceZone]]:
    """Run ``scenario`` and store its zones (see :func:`store`); :class:`DispersionInputError` stores nothing."""
    evaluation = evaluate_scenario(scenario, user, now)
    return evaluation, store(scenario, evaluation)


# ---------------------------------------------------------------- who is inside


@dataclass
class Occupants:
    """Who and what a zone holds: personnel tags, sensitive targets (with population), enterprises."""

    people: list[dict]
    targets: list[dict]
    enterprises: list[dict]

    @property
    def population(self) -> int:
        """The population of the sensitive targets the zone touches."""
        return sum(target["population"] for target in self.targets)

    def as_dict(self) -> dict:
        return {
            "people_inside": len(self.people),
            "people": self.people,
            "targets": self.targets,
            "population_inside": self.population,
            "enterprises": self.enterprises,
        }


def occupants(area: GEOSGeometry, user=None) -> Occupants:
    """Personnel (last position), sensitive targets and enterprises inside ``area`` (EPSG:4326).

    Three spatial queries run by the database; with a ``user``, only what that user may see.
    """

    def visible(queryset):
        return scoped(queryset, user) if user is not None else queryset

    people = people_inside(area, user)
    targets = [
        {"id": pk, "name": name, "kind": kind, "population": population}
        for pk, name, kind, population in visible(SensitiveTarget.objects.filter(area__intersects=area))
        .order_by("name", "pk")
        .values_list("pk", "name", "kind", "population")
    ]
    enterprises = [
        {"id": pk, "name": name}
        for pk, name in visible(Enterprise.objects.filter(site__intersects=area))
        .order_by("name", "pk")
        .values_list("pk", "name")
    ]
    return Occupants(people, targets, enterprises)


# ---------------------------------------------------------------- live scenarios


def _direction_change(a: float, b: float) -> float:
    """The angle (°, 0–180) between two directions in degrees from north."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def wind_moved(before: dict, after: dict) -> bool:
    """Whether the weather ``after`` differs enough from ``before`` (summaries) to recompute a live scenario."""
    if not before:
        return True
    return (
        _direction_change(before["wind_from_deg"], after["wind_from_deg"]) >= LIVE_DIRECTION_CHANGE_DEG
        or abs(before["wind_speed_m_s"] - after["wind_speed_m_s"]) >= LIVE_SPEED_CHANGE_M_S
        or before.get("stability") != after.get("stability")
    )


def follow_weather(sensor_ids: Iterable[int], now: dt.datetime | None = None) -> list[int]:
    """Recompute the live scenarios whose weather moved (see the module); the ids of those recomputed.

    ``sensor_ids`` are the weather sensors whose live value just changed. A scenario that cannot be
    computed now (e.g. calm wind) keeps its zones and is logged; it is tried again no sooner than
    ``LIVE_MIN_INTERVAL_S`` later (by this process), so a wind sample every second logs no flood.
    """
    now = now or timezone.now()
    changed = set(sensor_ids)
    recomputed = []
    for scenario_id, used in Scenario.objects.filter(live=True).values_list("pk", "weather_used"):
        sensors = {reading["id"] for reading in (used or {}).get("sensors", [])}
        if used and not sensors & changed:
            continue  # its weather comes from another station, or is given
        failed_at = _failed.get(scenario_id)
        if failed_at is not None and abs((now - failed_at).total_seconds()) < LIVE_MIN_INTERVAL_S:
            continue
        try:
            if _follow(scenario_id, now):
                recomputed.append(scenario_id)
            _failed.pop(scenario_id, None)
        except DispersionInputError as error:
            _failed[scenario_id] = now
            log.warning("live scenario %s not recomputed: %s", scenario_id, error)
    return recomputed


_failed: dict[int, dt.datetime] = {}  # live scenarios whose last recomputation was refused, and when


def _follow(scenario_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        scenario = (
            Scenario.objects.select_for_update(of=("self",))
            .select_related("equipment__substance", "equipment__hazard_source", "substance")
            .get(pk=scenario_id)
        )
        if scenario.computed_at is not None and (now - scenario.computed_at).total_seconds() < LIVE_MIN_INTERVAL_S:
            return False
        _, summary = weather_for(scenario.weather, scenario.source.x, scenario.source.y, now=now)
        if not wind_moved(scenario.weather_used, summary):
            return False
        compute(scenario, now=now)
        return True


__all__ = [
    "Evaluation",
    "Occupants",
    "compute",
    "evaluate",
    "evaluate_scenario",
    "follow_weather",
    "live_weather",
    "occupants",
    "release_for",
    "store",
    "weather_for",
    "wind_moved",
]
