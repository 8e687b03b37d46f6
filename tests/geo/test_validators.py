"""Codes, geometries, units and thresholds are refused with a clear message and a stable code."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.utils import translation

from geo.validators import (
    validate_cas,
    validate_credit_code,
    validate_geometry,
    validate_region_code,
    validate_sensor_unit,
    validate_thresholds,
    validate_within_range,
)


def error_of(call, *args):
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        call(*args)
    return caught.value


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def test_a_published_credit_code_is_accepted():
    """914403001922038216 is the code printed on Huawei Technologies Co., Ltd.'s business licence."""
    validate_credit_code("914403001922038216")


def test_a_credit_code_with_a_wrong_check_character_names_the_right_one():
    error = error_of(validate_credit_code, "914403001922038217")
    assert codes(error) == {"credit_code_check"}
    assert "should be 6" in error.messages[0]


@pytest.mark.parametrize("value", ["91440300192203821", "91440300192203821I", "914403001922038216X"])
def test_a_credit_code_of_wrong_length_or_letters_is_refused(value):
    assert codes(error_of(validate_credit_code, value)) == {"credit_code_format"}


def test_cas_check_digit():
    validate_cas("7782-50-5")  # chlorine
    error = error_of(validate_cas, "7782-50-4")
    assert codes(error) == {"cas_check"}
    assert "should be 5" in error.messages[0]
    assert codes(error_of(validate_cas, "7782505")) == {"cas_format"}


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("310000", "province", "100000"),
        ("310100", "city", "310000"),
        ("310116", "county", "310100"),
        ("429004", "county", "420000"),
        ("310116P01", "park", "310116"),
        ("310100P02", "park", "310100"),
    ],
)
def test_region_codes_that_fit_their_level_and_parent(code, level, parent):
    validate_region_code(code, level, parent)


@pytest.mark.parametrize(
    ("code", "level", "parent", "expected"),
    [
        ("310100", "province", "100000", "region_code"),
        ("310116", "city", "310000", "region_code"),
        ("310100", "county", "310100", "region_code"),
        ("320100", "city", "310000", "region_code_parent"),
        ("320116P01", "park", "310116", "region_code_parent"),
        ("310116-1", "park", "310116", "region_code"),
    ],
)
def test_region_codes_that_do_not_fit_are_refused(code, level, parent, expected):
    assert codes(error_of(validate_region_code, code, level, parent)) == {expected}


def test_a_self_intersecting_polygon_is_refused_with_the_reason():
    bowtie = Polygon(((121.0, 30.0), (121.1, 30.1), (121.1, 30.0), (121.0, 30.1), (121.0, 30.0)), srid=4326)
    error = error_of(validate_geometry, bowtie)
    assert codes(error) == {"geometry_invalid"}
    assert "Self-intersection" in error.messages[0]


def test_swapped_latitude_and_longitude_are_refused():
    swapped = Polygon(((30.8, 121.3), (30.9, 121.3), (30.9, 121.4), (30.8, 121.3)), srid=4326)
    error = error_of(validate_geometry, swapped)
    assert codes(error) == {"geometry_range"}
    assert "swapped" in error.messages[0]


def test_projected_coordinates_are_refused():
    metres = Polygon(((500000, 3400000), (500100, 3400000), (500100, 3400100), (500000, 3400000)), srid=4547)
    assert codes(error_of(validate_geometry, metres)) == {"geometry_srid"}


def test_an_empty_geometry_is_refused():
    assert codes(error_of(validate_geometry, Polygon(srid=4326))) == {"geometry_empty"}


def test_a_unit_foreign_to_the_sensor_kind_is_refused_listing_the_allowed_ones():
    error = error_of(validate_sensor_unit, "level", "ppm")
    assert codes(error) == {"sensor_unit"}
    assert error.message_dict["unit"] == ["“ppm” is not a unit for a sensor of kind “level”; use one of: m, mm, %."]
    validate_sensor_unit("toxic_gas", "ppm")


def test_high_alarm_below_low_alarm_is_refused_on_the_high_field():
    error = error_of(validate_thresholds, {"lo": 20.0, "hi": 10.0}, ("lolo", "lo", "hi", "hihi"))
    assert error.message_dict == {"hi": ["hi (10.0) must be above lo (20.0)."]}


def test_thresholds_must_rise_strictly_even_with_gaps():
    validate_thresholds({"lolo": 5.0, "hi": 80.0, "hihi": 90.0}, ("lolo", "lo", "hi", "hihi"))
    error = error_of(validate_thresholds, {"lolo": 5.0, "hihi": 5.0}, ("lolo", "lo", "hi", "hihi"))
    assert set(error.message_dict) == {"hihi"}


def test_a_threshold_outside_the_measuring_range_is_refused():
    error = error_of(validate_within_range, {"hihi": 120.0, "hi": 90.0}, 0.0, 100.0)
    assert error.message_dict == {"hihi": ["hihi (120.0) lies outside the measuring range 0.0…100.0."]}
