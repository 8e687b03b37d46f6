"""Zones are drawn in a local aeqd frame at the source, along the wind, and reprojected to EPSG:4326."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely

from dispersion import footprint


def test_reprojection_matches_a_pyproj_transformer_from_the_local_aeqd_crs():
    lon, lat = 121.33, 30.806
    transformer = pyproj.Transformer.from_crs(footprint.local_crs(lon, lat), "EPSG:4326", always_xy=True)
    east = np.array([0.0, 1000.0, -2500.0, 7000.0, 10.0])
    north = np.array([0.0, 500.0, 3000.0, -9000.0, -10.0])
    lons, lats = footprint.local_to_lonlat(east, north, lon, lat)
    expected_lons, expected_lats = transformer.transform(east, north)
    _, _, gap = footprint.GEOD.inv(lons, lats, expected_lons, expected_lats)
    assert np.max(gap) < 1e-3  # metres


def test_a_west_wind_carries_the_plume_east():
    x = np.array([0.0, 100.0, 500.0, 1000.0])
    width = np.array([0.0, 20.0, 60.0, 0.0])
    polygon = footprint.plume_polygon(x, width, downwind_bearing_deg=90.0)  # wind from 270°
    minx, miny, maxx, maxy = polygon.bounds
    assert maxx == pytest.approx(1000.0)
    assert minx == pytest.approx(0.0, abs=1e-9)
    assert (miny, maxy) == pytest.approx((-60.0, 60.0))


def test_along_wind_coordinates_turn_back_into_local_ones():
    east, north = footprint.along_wind_to_local(np.array([100.0]), np.array([30.0]), 225.0)
    x, y = footprint.local_to_along_wind(east, north, 225.0)
    assert (float(x[0]), float(y[0])) == pytest.approx((100.0, 30.0))


def test_the_uncertainty_envelope_widens_in_light_wind():
    assert footprint.confidence_half_angle_deg(5.0, "D") == pytest.approx(20.0)
    assert footprint.confidence_half_angle_deg(1.0, "D") == pytest.approx(2 * math.degrees(math.atan(0.5)))
    assert footprint.confidence_half_angle_deg(1.0, "F") > footprint.confidence_half_angle_deg(4.0, "F")


def test_the_envelope_holds_the_footprint_and_its_turned_copies():
    plume = footprint.plume_polygon(np.array([0.0, 200.0, 800.0, 1500.0]), np.array([0.0, 40.0, 90.0, 0.0]), 0.0)
    around = footprint.envelope(plume, 25.0, 0.0)
    assert around.buffer(1e-6).contains(plume)
    assert around.buffer(1e-6).contains(footprint.rotate(plume, 25.0))
    assert around.buffer(1e-6).contains(footprint.rotate(plume, -25.0))
    wider = footprint.envelope(plume, 50.0, 0.0)
    assert wider.area > around.area


def test_a_half_angle_of_180_degrees_is_a_disc_through_the_farthest_point():
    plume = footprint.plume_polygon(np.array([0.0, 300.0, 600.0]), np.array([0.0, 50.0, 0.0]), 0.0)
    disc = footprint.envelope(plume, 180.0, 0.0)
    assert disc.area == pytest.approx(math.pi * 600.0**2, rel=0.002)


def test_extent_along_wind_is_the_reach_and_the_crosswind_width():
    plume = footprint.plume_polygon(np.array([0.0, 400.0, 900.0]), np.array([0.0, 70.0, 0.0]), 135.0)
    distance, width = footprint.extent_along_wind(plume, 135.0)
    assert distance == pytest.approx(900.0)
    assert width == pytest.approx(140.0)


def test_zones_are_stored_as_multipolygons():
    assert footprint.as_multipolygon(footprint.circle(10.0)).geom_type == "MultiPolygon"
    assert footprint.as_multipolygon(shapely.Polygon()).is_empty
    assert footprint.circle(100.0).area == pytest.approx(math.pi * 100.0**2, rel=1e-3)
