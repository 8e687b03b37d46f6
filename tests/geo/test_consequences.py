"""Consequence zones: a release from a tank with live inventory and live wind, who is inside, live recompute.

The tank is like the demo park's liquid chlorine tanks (geo/demo/shanghai.py): horizontal, 50 m³, 2.6 m
across, chlorine liquefied under pressure. The weather station is like the demo's (geo/demo/park.py):
wind speed and direction on a 10 m mast, air temperature on a screen, one ``device_code``.

Golden values: chlorine's AEGL-3, AEGL-2 and AEGL-1 (60 min) are 20, 2.0 and 0.5 ppm (US EPA, Acute
Exposure Guideline Levels, chlorine, final). Stability classes from Crowl & Louvar, *Chemical Process
Safety* (3rd ed.), Table 5-1: at night with ≤ 3/8 cloud and a 2–3 m/s wind, class F; by day with
strong insolation and a 2–3 m/s wind, class A–B (hazmap takes the more stable, B).
"""

from __future__ import annotations

import datetime as dt

import pyproj
import pytest
from django.contrib.gis.geos import Point

from acquisition import directory
from acquisition.batch import Batch, Sample
from acquisition.ingest import ingest
from dispersion import DispersionInputError
from geo import consequences
from geo.models import ConsequenceZone, Event, PersonnelTag, Quality, Scenario, SensitiveTarget, Sensor, User
from tests.factories import LAT, LON, enterprise, hazard_source, multi, region_chain, square, substance, tank

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
GEOD = pyproj.Geod(ellps="WGS84")
AEGL = ["AEGL-3 (60 min)", "AEGL-2 (60 min)", "AEGL-1 (60 min)"]
HOLE = {"release": "hole", "hole_diameter_m": 0.025}
WEST_WIND_D = {"wind_speed_m_s": 3.0, "wind_from_deg": 270.0, "stability": "D"}


def offset(east_m: float, north_m: float = 0.0, lon: float = LON, lat: float = LAT) -> Point:
    """The point ``east_m`` east and ``north_m`` north of (lon, lat), along geodesics."""
    lon, lat, _ = GEOD.fwd(lon, lat, 90.0, east_m)
    lon, lat, _ = GEOD.fwd(lon, lat, 0.0, north_m)
    return Point(lon, lat, srid=4326)


def set_live(sensor: Sensor, value: float, at: dt.datetime = NOW - dt.timedelta(seconds=30)) -> None:
    Sensor.objects.filter(pk=sensor.pk).update(value=value, value_time=at, quality=Quality.GOOD)


@pytest.fixture
def park():
    regions = region_chain()
    e1 = enterprise(regions["park"], serial=1)
    source = hazard_source(e1)
    chlorine = substance("氯", "7782-50-5", seq=12, liquid_density_kg_m3=1562.5)
    t1 = tank(
        source,
        chlorine,
        59_925.0,
        capacity_m3=50.0,
        diameter_m=2.6,
        height_m=2.6,
        design_pressure_pa=1.6e6,
        design_temperature_k=323.15,
    )
    station = offset(0.0, 500.0)
    weather = {}
    for suffix, kind, unit, height in (
        ("WS", "wind_speed", "m/s", 10.0),
        ("WD", "wind_direction", "°", 10.0),
        ("TA", "air_temperature", "°C", 1.5),
    ):
        weather[kind] = Sensor.objects.create(
            region=regions["park"],
            tag=f"WS-01-{suffix}",
            name=f"园区气象站 {kind}",
            kind=kind,
            unit=unit,
            device_code="WS-01",
            location=station,
            height_m=height,
        )
    set_live(weather["wind_speed"], 3.0)
    set_live(weather["wind_direction"], 270.0)
    set_live(weather["air_temperature"], 5.0)
    return {"regions": regions, "e1": e1, "source": source, "chlorine": chlorine, "tank": t1, "weather": weather}


def scenario_on(t1, live: bool = False, weather: dict | None = None, parameters: dict | None = None) -> Scenario:
    return Scenario.objects.create(
        name="液氯储罐泄漏",
        kind="toxic",
        equipment=t1,
        enterprise=t1.hazard_source.enterprise,
        substance=t1.substance,
        source=t1.footprint.centroid,
        parameters=parameters or HOLE,
        weather=weather or {},
        live=live,
    )


def test_a_chlorine_tank_leak_draws_the_three_aegl_zones_downwind_with_live_inventory_and_wind(
    park, django_capture_on_commit_callbacks
):
    t1 = park["tank"]
    t1.inventory_kg = 40_000.0
    t1.save(update_fields=["inventory_kg"])
    scenario = scenario_on(t1)
    with django_capture_on_commit_callbacks(execute=True):
        _, zones = consequences.compute(scenario, now=NOW)

    assert [(z.endpoint, z.threshold, z.threshold_unit, z.severity) for z in zones] == [
        ("AEGL-3 (60 min)", 20.0, "ppm", "red"),
        ("AEGL-2 (60 min)", 2.0, "ppm", "orange"),
        ("AEGL-1 (60 min)", 0.5, "ppm", "yellow"),
    ]
    assert zones[0].max_distance_m < zones[1].max_distance_m <= zones[2].max_distance_m
    source = t1.footprint.centroid
    for zone in ConsequenceZone.objects.filter(scenario=scenario):
        assert zone.area.centroid.x > source.x + 0.005  # blown east by the west wind, hundreds of metres
        assert zone.envelope.buffer(1e-9).covers(zone.area)

    scenario.refresh_from_db()
    assert scenario.model == "britter_mcquaid_plume"  # chlorine is heavier than air
    assert scenario.source_term["release"]["inventory_kg"] == 40_000.0
    assert scenario.source_term["release"]["vessel_diameter_m"] == 2.6
    assert scenario.source_term["taken"]["inventory_kg"] == "live inventory"
    assert scenario.source_term["taken"]["storage"] == "equipment storage state"
    assert {limit["code"] for limit in scenario.limits} >= {"all_airborne", "dense_gas"}
    assert scenario.computed_at == NOW
    used = scenario.weather_used
    assert [s["tag"] for s in used["sensors"]] == ["WS-01-WS", "WS-01-WD", "WS-01-TA"]
    assert (used["wind_speed_m_s"], used["wind_from_deg"], used["temperature_k"]) == (3.0, 270.0, 278.15)
    assert (used["source"], used["station"], used["time"]) == (
        "live",
        "WS-01",
        (NOW - dt.timedelta(seconds=30)).isoformat(),
    )
    assert used["day"] is True

    events = Event.objects.filter(collection="consequence-zones")
    assert sorted(events.values_list("feature_id", "action")) == sorted((z.pk, "create") for z in zones)


def test_without_a_live_inventory_the_design_maximum_quantity_is_released(park):
    evaluation = consequences.evaluate("toxic", HOLE, WEST_WIND_D, equipment=park["tank"], now=NOW)
    assert evaluation.release.inventory_kg == 59_925.0
    assert evaluation.taken["inventory_kg"] == "design maximum quantity"


def test_the_tanks_live_level_and_temperature_set_the_liquid_head_and_temperature(park):
    t1 = park["tank"]
    level = Sensor.objects.create(
        enterprise=park["e1"],
        equipment=t1,
        tag="T1-LT1",
        name="液位",
        kind="level",
        unit="%",
        location=t1.footprint.centroid,
    )
    temperature = Sensor.objects.create(
        enterprise=park["e1"],
        equipment=t1,
        tag="T1-TT1",
        name="温度",
        kind="temperature",
        unit="°C",
        location=t1.footprint.centroid,
    )
    set_live(level, 50.0)
    set_live(temperature, 25.0)
    evaluation = consequences.evaluate("toxic", HOLE, WEST_WIND_D, equipment=t1, now=NOW)
    assert evaluation.release.liquid_head_m == pytest.approx(1.3)  # half of the 2.6 m tank
    assert evaluation.release.temperature_k == pytest.approx(298.15)
    assert evaluation.taken["liquid_head_m"].startswith("live level T1-LT1")


def test_values_the_user_gives_win_over_the_equipments(park):
    evaluation = consequences.evaluate(
        "toxic", {**HOLE, "inventory_kg": 1000.0}, WEST_WIND_D, equipment=park["tank"], now=NOW
    )
    assert evaluation.release.inventory_kg == 1000.0
    assert "inventory_kg" not in evaluation.taken


def test_given_wind_wins_over_the_station_and_the_rest_stays_live(park):
    evaluation = consequences.evaluate(
        "toxic", HOLE, {"wind_speed_m_s": 5.0, "wind_from_deg": 90.0}, equipment=park["tank"], now=NOW
    )
    assert (evaluation.weather["wind_speed_m_s"], evaluation.weather["wind_from_deg"]) == (5.0, 90.0)
    assert [s["tag"] for s in evaluation.weather["sensors"]] == ["WS-01-TA"]
    assert evaluation.weather["source"] == "live and given"


@pytest.mark.parametrize(
    ("when", "day", "stability"),
    [
        (dt.datetime(2026, 1, 15, 14, 0, tzinfo=dt.UTC), False, "F"),  # 22:00 in Shanghai, clear sky
        (dt.datetime(2026, 6, 21, 4, 0, tzinfo=dt.UTC), True, "B"),  # noon at midsummer: strong insolation
    ],
)
def test_stability_follows_the_wind_and_the_sun_at_the_time_of_the_weather(park, when, day, stability):
    set_live(park["weather"]["wind_speed"], 2.5, when)
    set_live(park["weather"]["wind_direction"], 270.0, when)
    _, summary = consequences.weather_for({}, LON, LAT, now=when)
    assert (summary["day"], summary["stability"]) == (day, stability)


def test_no_live_weather_and_none_given_is_refused_naming_the_weather(park):
    stale = NOW - dt.timedelta(minutes=11)
    for sensor in park["weather"].values():
        set_live(sensor, 3.0, stale)
    with pytest.raises(DispersionInputError) as refused:
        consequences.evaluate("toxic", HOLE, {}, equipment=park["tank"], now=NOW)
    assert refused.value.field == "weather"
    assert "wind_speed_m_s" in refused.value.valid


def test_a_station_farther_than_20_km_does_not_speak_for_the_release(park):
    Sensor.objects.filter(kind__in=consequences.WEATHER_KINDS).update(location=offset(0.0, 25_000.0))
    with pytest.raises(DispersionInputError) as refused:
        consequences.evaluate("toxic", HOLE, {}, equipment=park["tank"], now=NOW)
    assert refused.value.field == "weather"


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({**HOLE, "inventory_kg": 0.0}, "inventory_kg"),
        ({"release": "hole", "hole_diameter_m": 3.0}, "hole_diameter_m"),  # the tank is 2.6 m across
        ({**HOLE, "colour": "green"}, "colour"),
        ({**HOLE, "liquid_head_m": "high"}, "liquid_head_m"),
        ({**HOLE, "exposure_min": 45}, "exposure_min"),
    ],
)
def test_bad_release_parameters_are_refused_naming_the_field(park, parameters, field):
    with pytest.raises(DispersionInputError) as refused:
        consequences.evaluate("toxic", parameters, WEST_WIND_D, equipment=park["tank"], now=NOW)
    assert refused.value.field == field


def test_a_refused_computation_keeps_the_zones_already_stored(park):
    scenario = scenario_on(park["tank"], weather=WEST_WIND_D)
    consequences.compute(scenario, now=NOW)
    scenario.parameters = {**HOLE, "inventory_kg": -5.0}
    with pytest.raises(DispersionInputError):
        consequences.compute(scenario, now=NOW)
    assert scenario.zones.count() == 3


def test_recomputing_updates_the_zones_in_place_and_publishes_the_changes(park, django_capture_on_commit_callbacks):
    scenario = scenario_on(park["tank"], weather=WEST_WIND_D)
    _, first = consequences.compute(scenario, now=NOW)
    scenario.weather = {**WEST_WIND_D, "wind_from_deg": 0.0}
    with django_capture_on_commit_callbacks(execute=True):
        _, second = consequences.compute(scenario, now=NOW)
    assert [z.pk for z in second] == [z.pk for z in first]
    source = park["tank"].footprint.centroid
    assert all(z.area.centroid.y < source.y - 0.005 for z in scenario.zones.all())  # a north wind blows south
    updates = Event.objects.filter(collection="consequence-zones", action="update")
    assert sorted(updates.values_list("feature_id", flat=True)) == sorted(z.pk for z in first)


def test_a_zone_no_longer_reached_is_deleted_and_its_deletion_published(park, django_capture_on_commit_callbacks):
    scenario = scenario_on(park["tank"], weather=WEST_WIND_D)
    _, zones = consequences.compute(scenario, now=NOW)
    scenario.parameters = {**HOLE, "toxic_family": "IDLH"}  # one level instead of three
    with django_capture_on_commit_callbacks(execute=True):
        _, kept = consequences.compute(scenario, now=NOW)
    assert [z.endpoint for z in kept] == ["IDLH"]
    assert not ConsequenceZone.objects.filter(pk__in=[z.pk for z in zones]).exists()
    deleted = Event.objects.filter(collection="consequence-zones", action="delete")
    assert sorted(deleted.values_list("feature_id", flat=True)) == sorted(z.pk for z in zones)


# ---------------------------------------------------------------- who is inside


@pytest.fixture
def people(park):
    """Tags, targets and a second enterprise placed inside or outside the zones of a west wind (D, 3 m/s).

    The AEGL-3 zone of the leak reaches about 3.7 km east and is about 440 m wide; AEGL-2 and AEGL-1 reach
    the 10 km limit. Nothing of the plume lies upwind of the tank.
    """
    e1, park_region = park["e1"], park["regions"]["park"]
    e2 = enterprise(park_region, serial=2, lon=offset(6000.0).x, lat=offset(6000.0).y)
    placed = {
        "near": (e1, offset(500.0)),  # inside every zone
        "upwind": (e1, offset(-500.0)),  # outside
        "aside": (e1, offset(1000.0, 1500.0)),  # far off the axis: outside
        "far": (e2, offset(6000.0)),  # beyond AEGL-3, inside AEGL-2 and AEGL-1
    }
    tags = {}
    for name, (owner, where) in placed.items():
        tags[name] = PersonnelTag.objects.create(enterprise=owner, code=f"TAG-{name}", holder=name)
        PersonnelTag.objects.filter(pk=tags[name].pk).update(location=where, position_time=NOW)
    PersonnelTag.objects.create(enterprise=e1, code="TAG-nowhere", holder="no position yet")
    school = SensitiveTarget.objects.create(
        name="学校", kind="school", region=park_region, area=multi(square(offset(1000.0).x, LAT, 50)), population=800
    )
    homes = SensitiveTarget.objects.create(
        name="居民区",
        kind="residential",
        region=park_region,
        area=multi(square(offset(-1000.0).x, LAT, 50)),
        population=3000,
    )
    hospital = SensitiveTarget.objects.create(
        name="医院", kind="hospital", region=park_region, area=multi(square(offset(8000.0).x, LAT, 50)), population=250
    )
    scenario = scenario_on(park["tank"], weather=WEST_WIND_D)
    consequences.compute(scenario, now=NOW)
    zones = {z.endpoint: z for z in scenario.zones.all()}
    return {**park, "e2": e2, "tags": tags, "school": school, "homes": homes, "hospital": hospital, "zones": zones}


def test_the_people_targets_and_enterprises_inside_each_zone_are_those_placed_inside(people):
    red, orange = people["zones"]["AEGL-3 (60 min)"], people["zones"]["AEGL-2 (60 min)"]
    inside = consequences.occupants(red.area)
    assert [p["code"] for p in inside.people] == ["TAG-near"]
    assert [t["name"] for t in inside.targets] == ["学校"]
    assert inside.population == 800
    assert [e["id"] for e in inside.enterprises] == [people["e1"].pk]

    inside = consequences.occupants(orange.area)
    assert [p["code"] for p in inside.people] == ["TAG-far", "TAG-near"]
    assert sorted(t["name"] for t in inside.targets) == ["医院", "学校"]
    assert inside.population == 1050
    assert sorted(e["id"] for e in inside.enterprises) == sorted([people["e1"].pk, people["e2"].pk])


def test_who_is_inside_is_narrowed_to_what_the_user_may_see(people):
    orange = people["zones"]["AEGL-2 (60 min)"]
    province = people["regions"]["province"]
    commander = User.objects.create(username="commander", region=province, role="emergency")
    regulator = User.objects.create(username="regulator", region=province, role="regulator")
    operator = User.objects.create(
        username="operator", enterprise=people["e1"], region=people["regions"]["park"], role="enterprise"
    )
    outsider = User.objects.create(
        username="outsider", region=region_chain("320000", "乙")["province"], role="emergency"
    )

    assert [p["code"] for p in consequences.occupants(orange.area, commander).people] == ["TAG-far", "TAG-near"]
    assert consequences.occupants(orange.area, regulator).people == []  # positions are for emergency roles
    seen = consequences.occupants(orange.area, operator)
    assert [p["code"] for p in seen.people] == ["TAG-near"]
    assert [e["id"] for e in seen.enterprises] == [people["e1"].pk]
    assert consequences.occupants(orange.area, outsider).as_dict()["population_inside"] == 0


# ---------------------------------------------------------------- live scenarios


def turn_wind(park, to_deg: float, speed: float = 3.0, at: dt.datetime = NOW) -> None:
    set_live(park["weather"]["wind_direction"], to_deg, at)
    set_live(park["weather"]["wind_speed"], speed, at)


def test_a_wind_change_ingested_from_the_station_turns_a_live_scenarios_zones(park, django_capture_on_commit_callbacks):
    directory.clear_all()
    scenario = scenario_on(park["tank"], live=True)
    consequences.compute(scenario, now=NOW)
    later = NOW + dt.timedelta(seconds=60)
    wd = park["weather"]["wind_direction"]
    with django_capture_on_commit_callbacks(execute=True):
        ingest(Batch.of([Sample(f"{wd.region.code}/{wd.tag}", later, 180.0)]), now=later)  # from the south
    scenario.refresh_from_db()
    assert (scenario.weather_used["wind_from_deg"], scenario.computed_at) == (180.0, later)
    source = park["tank"].footprint.centroid
    assert all(z.area.centroid.y > source.y + 0.005 for z in scenario.zones.all())  # blown north now


def test_a_live_scenario_turns_with_the_wind(park, django_capture_on_commit_callbacks):
    scenario = scenario_on(park["tank"], live=True)
    _, zones = consequences.compute(scenario, now=NOW)
    later = NOW + dt.timedelta(seconds=60)
    turn_wind(park, 0.0, at=later)  # now from the north
    with django_capture_on_commit_callbacks(execute=True):
        recomputed = consequences.follow_weather([park["weather"]["wind_direction"].pk], now=later)
    assert recomputed == [scenario.pk]
    scenario.refresh_from_db()
    assert (scenario.weather_used["wind_from_deg"], scenario.computed_at) == (0.0, later)
    source = park["tank"].footprint.centroid
    assert all(z.area.centroid.y < source.y - 0.005 for z in scenario.zones.all())  # blown south now
    assert sorted(z.pk for z in scenario.zones.all()) == sorted(z.pk for z in zones)


@pytest.mark.parametrize(
    ("direction", "speed", "after_s", "recomputed"),
    [
        (275.0, 3.0, 60, False),  # 5°: too small a turn
        (262.0, 3.5, 60, False),  # 8° and 0.5 m/s
        (280.0, 3.0, 60, True),  # 10°
        (270.0, 4.0, 60, True),  # 1 m/s faster
        (300.0, 3.0, 10, False),  # 30°, but only 10 s after the last computation
    ],
)
def test_a_live_scenario_is_recomputed_only_when_the_wind_moved_enough_and_not_too_often(
    park, direction, speed, after_s, recomputed
):
    scenario = scenario_on(park["tank"], live=True)
    consequences.compute(scenario, now=NOW)
    later = NOW + dt.timedelta(seconds=after_s)
    turn_wind(park, direction, speed, later)
    ids = [park["weather"]["wind_direction"].pk, park["weather"]["wind_speed"].pk]
    assert consequences.follow_weather(ids, now=later) == ([scenario.pk] if recomputed else [])


def test_a_scenario_that_does_not_follow_the_weather_or_uses_another_station_is_left_alone(park):
    fixed = scenario_on(park["tank"], live=False)
    consequences.compute(fixed, now=NOW)
    given = scenario_on(park["tank"], live=True, weather=WEST_WIND_D)
    consequences.compute(given, now=NOW)
    later = NOW + dt.timedelta(seconds=60)
    turn_wind(park, 0.0, at=later)
    assert consequences.follow_weather([park["weather"]["wind_direction"].pk], now=later) == []


def test_a_calm_wind_leaves_a_live_scenarios_zones_as_they_were(park, caplog):
    scenario = scenario_on(park["tank"], live=True)
    consequences.compute(scenario, now=NOW)
    later = NOW + dt.timedelta(seconds=60)
    turn_wind(park, 270.0, speed=0.4, at=later)  # below the models' 1 m/s
    assert consequences.follow_weather([park["weather"]["wind_speed"].pk], now=later) == []
    assert scenario.zones.count() == 3
    assert caplog.text.count("not recomputed") == 1
    soon = later + dt.timedelta(seconds=5)
    turn_wind(park, 270.0, speed=0.5, at=soon)
    assert consequences.follow_weather([park["weather"]["wind_speed"].pk], now=soon) == []
    assert caplog.text.count("not recomputed") == 1  # not tried again, not logged again, within 30 s
    settled = later + dt.timedelta(seconds=40)
    turn_wind(park, 270.0, speed=4.0, at=settled)
    assert consequences.follow_weather([park["weather"]["wind_speed"].pk], now=settled) == [scenario.pk]
