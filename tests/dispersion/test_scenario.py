"""A scenario from plain values to zones: model choice, zones along the wind, limits, bad input, GeoTIFF."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import rasterio
import shapely

from dispersion import DispersionInputError, Release, Weather, run, write_geotiff
from dispersion.footprint import GEOD

LON, LAT = 121.33, 30.806  # the demo park
EAST_WIND = Weather(wind_speed_m_s=3.0, wind_from_deg=90.0, stability="D")  # blows towards the west
CHLORINE_LEAK = Release(
    "7782-50-5", kind="toxic", release="hole", storage="pressurised_liquefied", inventory_kg=40_000,
    hole_diameter_m=0.025, vessel_diameter_m=2.6,
)  # fmt: skip


def bearing_to(geometry: shapely.Geometry) -> float:
    point = geometry.representative_point()
    azimuth, _, _ = GEOD.inv(LON, LAT, point.x, point.y)
    return azimuth % 360


def test_a_chlorine_leak_is_a_dense_plume_with_nested_aegl_zones_downwind():
    result = run(CHLORINE_LEAK, EAST_WIND, LON, LAT)
    assert result.model == "britter_mcquaid_plume"
    assert [z.endpoint.name for z in result.zones] == ["AEGL-3 (60 min)", "AEGL-2 (60 min)", "AEGL-1 (60 min)"]
    assert [z.endpoint.severity for z in result.zones] == ["red", "orange", "yellow"]
    red, orange, yellow = result.zones
    assert red.max_distance_m < orange.max_distance_m < yellow.max_distance_m
    assert orange.area.buffer(1e-7).contains(red.area)
    assert yellow.area.buffer(1e-7).contains(orange.area)
    for zone in result.zones:
        assert zone.area.is_valid and zone.area.geom_type == "MultiPolygon"
        assert bearing_to(zone.area) == pytest.approx(270.0, abs=5.0)  # west of the tank
        assert zone.envelope.buffer(1e-7).contains(zone.area)
        assert zone.max_width_m > 0


def test_a_liquefied_gas_leaves_a_hole_in_the_vessel_wall_as_liquid_and_flashes_outside():
    """TNO Yellow Book (CPR 14E) §2.5.3.5 and CCPS consequence-analysis guidelines §2.1.2.2: a hole in the
    wall is too short (< 0.1 m) for flashing inside it, so Bernoulli applies with the vessel's vapour
    pressure and the liquid head: Qm = Cd·A·√(2ρ(Pv − Pa + ρ g h))."""
    from dispersion.properties import properties

    chlorine = properties("7782-50-5")
    t = EAST_WIND.temperature_k
    rho = chlorine.liquid_density(t)
    head = 40_000 / rho / (math.pi * 2.6**2 / 4)
    driving = chlorine.vapour_pressure(t) - EAST_WIND.pressure_pa + rho * 9.80665 * head
    expected = 0.61 * math.pi * 0.025**2 / 4 * math.sqrt(2 * rho * driving)
    source = run(CHLORINE_LEAK, EAST_WIND, LON, LAT).source
    assert source.rate_kg_s == pytest.approx(expected, rel=1e-9)
    assert source.model == "liquefied gas through a hole (liquid in the hole, flashing outside)"


def test_turning_the_wind_turns_the_zones():
    north_wind = Weather(wind_speed_m_s=3.0, wind_from_deg=0.0, stability="D")
    zone = run(CHLORINE_LEAK, north_wind, LON, LAT).zones[1]
    assert bearing_to(zone.area) == pytest.approx(180.0, abs=5.0)


def test_ammonia_vapour_is_lighter_than_air_and_disperses_as_a_gaussian_plume():
    ammonia = Release("7664-41-7", release="hole", storage="pressurised_liquefied", inventory_kg=100_000,
                      hole_diameter_m=0.02)  # fmt: skip
    assert run(ammonia, EAST_WIND, LON, LAT).model == "gaussian_plume"


def test_light_wind_widens_the_envelope_around_the_same_kind_of_zone():
    light = run(CHLORINE_LEAK, Weather(wind_speed_m_s=1.0, wind_from_deg=90.0, stability="D"), LON, LAT).zones[0]
    strong = run(CHLORINE_LEAK, Weather(wind_speed_m_s=6.0, wind_from_deg=90.0, stability="D"), LON, LAT).zones[0]
    assert light.envelope.area / light.area.area > strong.envelope.area / strong.area.area


def test_a_release_shorter_than_a_minute_is_an_instantaneous_puff_and_says_so():
    short = Release("7664-41-7", release="rate", storage="compressed_gas", rate_kg_s=5.0, duration_s=30.0)
    result = run(short, EAST_WIND, LON, LAT)
    assert result.source.instantaneous
    assert result.source.mass_kg == pytest.approx(150.0)
    assert "short_release_as_puff" in {limit.code for limit in result.limits}
    assert result.model in ("gaussian_puff", "britter_mcquaid_puff")


def test_a_release_longer_than_an_hour_is_modelled_for_an_hour_and_says_so():
    result = run(dataclasses.replace(CHLORINE_LEAK, hole_diameter_m=0.015), EAST_WIND, LON, LAT)
    assert result.source.duration_s == pytest.approx(3600.0)
    assert "duration_capped" in {limit.code for limit in result.limits}


def test_a_footprint_longer_than_ten_kilometres_is_drawn_to_ten_and_says_so():
    stable = Weather(wind_speed_m_s=1.5, wind_from_deg=90.0, stability="F")
    result = run(CHLORINE_LEAK, stable, LON, LAT)
    assert "beyond_10_km" in {limit.code for limit in result.limits}
    assert max(z.max_distance_m for z in result.zones) == pytest.approx(10_000.0, rel=0.01)


def test_a_short_release_gives_a_smaller_zone_than_a_long_one_at_the_same_rate():
    # toxic levels are compared with the concentration averaged over their exposure time (60 min here)
    long = Release("7783-06-4", release="rate", storage="compressed_gas", rate_kg_s=0.2, duration_s=3600.0)
    short = Release("7783-06-4", release="rate", storage="compressed_gas", rate_kg_s=0.2, duration_s=300.0)
    assert (
        run(short, EAST_WIND, LON, LAT).zones[1].max_distance_m < run(long, EAST_WIND, LON, LAT).zones[1].max_distance_m
    )


def test_a_level_reached_only_within_ten_metres_gives_an_empty_zone_and_says_so():
    tiny = Release("7664-41-7", release="rate", storage="compressed_gas", rate_kg_s=1e-4, duration_s=3600.0)
    result = run(tiny, EAST_WIND, LON, LAT)
    red = result.zones[0]
    assert not red.reached
    assert red.area.is_empty and red.max_distance_m == 0.0
    assert "below_10_m" in {limit.code for limit in result.limits}


def test_a_benzene_spill_in_its_dike_evaporates_and_gives_lel_zones():
    spill = Release("71-43-2", kind="flammable", release="catastrophic", storage="atmospheric_liquid",
                    inventory_kg=3e6, dike_area_m2=5000.0)  # fmt: skip
    result = run(spill, EAST_WIND, LON, LAT)
    assert result.source.pool_area_m2 == pytest.approx(5000.0)
    assert result.source.source_fraction == pytest.approx(0.0985, rel=0.05)  # vapour pressure / 1 atm at 20 °C
    assert [z.endpoint.name for z in result.zones] == ["LEL", "60% LEL", "10% LEL"]
    assert result.zones[0].max_distance_m < result.zones[2].max_distance_m


def test_toluene_has_no_aegl_or_erpg_shipped_so_its_idlh_is_drawn_and_the_result_says_so():
    """NIOSH Pocket Guide to Chemical Hazards: toluene IDLH 500 ppm; no final AEGL or ERPG is shipped for it."""
    release = Release(
        "108-88-3",
        kind="toxic",
        release="hole",
        storage="atmospheric_liquid",
        inventory_kg=500_000,
        hole_diameter_m=0.05,
        vessel_diameter_m=20.0,
        dike_area_m2=2000.0,
    )
    result = run(release, Weather(wind_speed_m_s=3.0, wind_from_deg=90.0, stability="D"), LON, LAT)
    assert [(z.endpoint.name, z.endpoint.display_value) for z in result.zones] == [("IDLH", 500.0)]
    (fallback,) = [limit for limit in result.limits if limit.code == "toxic_levels_fallback"]
    assert "AEGL (60 min)" in fallback.message and "IDLH" in fallback.message


def test_toxic_levels_asked_for_and_shipped_need_no_fallback_note():
    chlorine = Release("7782-50-5", kind="toxic", inventory_kg=1000, hole_diameter_m=0.01, vessel_diameter_m=2.6)
    result = run(chlorine, Weather(wind_speed_m_s=3.0, wind_from_deg=90.0, stability="D"), LON, LAT)
    assert "toxic_levels_fallback" not in {limit.code for limit in result.limits}


def test_a_pool_fire_reaches_farther_downwind_than_upwind():
    fire = Release("71-43-2", kind="pool_fire", release="catastrophic", storage="atmospheric_liquid",
                   inventory_kg=3e6, dike_area_m2=5000.0)  # fmt: skip
    result = run(fire, EAST_WIND, LON, LAT)
    zone = result.zones[1]  # 5 kW/m²
    downwind = zone.local.bounds[0]  # the wind blows towards the west: most negative x
    upwind = zone.local.bounds[2]
    assert -downwind > upwind > 0


def test_a_bleve_and_a_vapour_cloud_explosion_give_circles_round_the_vessel():
    lpg = dict(cas="68476-85-7", release="catastrophic", storage="pressurised_liquefied", inventory_kg=200_000)
    bleve = run(Release(kind="bleve", **lpg), EAST_WIND, LON, LAT)
    assert [z.endpoint.name for z in bleve.zones] == ["10 kW/m²", "5 kW/m²", "2 kW/m²"]
    vce = run(Release(kind="vce", **lpg), EAST_WIND, LON, LAT)
    assert [z.endpoint.name for z in vce.zones] == ["8 psi", "3.5 psi", "1 psi"]
    for zone in bleve.zones + vce.zones:
        centre = zone.local.centroid
        assert math.hypot(centre.x, centre.y) < 0.01 * zone.max_distance_m
        assert zone.max_width_m == pytest.approx(2 * zone.max_distance_m, rel=0.01)


def test_chinese_levels_give_death_injury_and_property_damage_radii():
    lpg = Release("68476-85-7", kind="vce", release="catastrophic", storage="pressurised_liquefied",
                  inventory_kg=200_000, standard="cn")  # fmt: skip
    zones = run(lpg, EAST_WIND, LON, LAT).zones
    assert [z.endpoint.name for z in zones] == ["死亡", "重伤", "轻伤", "财产损失"]
    death, serious, slight, _ = zones
    assert death.max_distance_m < serious.max_distance_m < slight.max_distance_m
    assert all(math.isfinite(z.endpoint.display_value) for z in zones)


def test_the_concentration_grid_is_written_as_a_geotiff_in_the_local_crs(tmp_path):
    result = run(CHLORINE_LEAK, EAST_WIND, LON, LAT)
    grid = result.grid(cell_size_m=50.0, half_size_m=2000.0)
    path = write_geotiff(grid, tmp_path / "chlorine.tif")
    with rasterio.open(path) as dataset:
        assert dataset.crs.to_dict()["proj"] == "aeqd"
        assert dataset.tags()["unit"] == "kg/m3"
        values = dataset.read(1)
        row, col = dataset.index(-1025.0, 25.0)  # a cell centre 1 km downwind (west)
        assert values[row, col] == pytest.approx(float(result.field(-1025.0, 25.0)), rel=1e-5)
        assert values[row, col] > 0
        assert values[0, 0] < values[row, col]


def test_the_result_is_plain_json():
    document = json.loads(json.dumps(run(CHLORINE_LEAK, EAST_WIND, LON, LAT).as_dict()))
    assert document["zones"][0]["area"]["type"] == "MultiPolygon"
    assert document["source"]["rate_kg_s"] > 0
    assert {"code", "message"} <= set(document["limits"][0])


BAD = [
    (dict(inventory_kg=-5.0), "inventory_kg"),
    (dict(inventory_kg=0.0), "inventory_kg"),
    (dict(hole_diameter_m=3.0), "hole_diameter_m"),  # larger than the 2.6 m vessel
    (dict(hole_diameter_m=None), "hole_diameter_m"),
    (dict(cas="7782-50-4"), "substance"),  # wrong check digit
    (dict(cas="7775-09-9"), "substance"),  # sodium chlorate: no vapour to disperse
    (dict(cas="1333-74-0", storage="compressed_gas", pressure_pa=2e6), "substance"),  # hydrogen: no toxic levels
    (dict(kind="flammable"), "substance"),  # chlorine has no LEL
    (dict(kind="vce", release="catastrophic"), "substance"),  # chlorine does not burn
    (dict(storage="refrigerated_liquefied"), "storage"),
    (dict(kind="jet_fire", release="catastrophic"), "release"),
    (dict(temperature_k=200.0), "temperature_k"),  # below chlorine's boiling point: not pressurised
    (dict(kind="meteor"), "kind"),
]


@pytest.mark.parametrize(("changes", "field"), BAD)
def test_bad_input_is_refused_with_the_field_and_what_is_valid(changes, field):
    values = {name: getattr(CHLORINE_LEAK, name) for name in CHLORINE_LEAK.__dataclass_fields__} | changes
    with pytest.raises(DispersionInputError) as error:
        run(Release(**values), EAST_WIND, LON, LAT)
    assert error.value.field == field
    assert error.value.valid
    assert error.value.as_dict()["message"]


def test_a_release_point_off_the_globe_is_refused():
    with pytest.raises(DispersionInputError) as error:
        run(CHLORINE_LEAK, EAST_WIND, 200.0, LAT)
    assert error.value.field == "lon"


def test_the_same_input_gives_the_same_zones():
    first = run(CHLORINE_LEAK, EAST_WIND, LON, LAT).zones[1].area
    again = run(CHLORINE_LEAK, EAST_WIND, LON, LAT).zones[1].area
    assert shapely.equals_exact(first, again, tolerance=0.0)
    assert np.isfinite(first.area)
