"""Pasquill–Gifford stability (Crowl & Louvar Table 5-1), the wind profile and the weather's checks."""

from __future__ import annotations

import datetime as dt

import pytest

from dispersion.errors import DispersionInputError
from dispersion.weather import Weather, insolation_class, pasquill_stability, solar_elevation_deg, wind_speed_at


@pytest.mark.parametrize(
    ("speed", "insolation", "expected"),
    [(1.5, "strong", "A"), (2.5, "strong", "B"), (4.0, "moderate", "C"), (5.5, "moderate", "D"), (7.0, "strong", "C")],
)
def test_day_classes_follow_the_table_taking_the_more_stable_of_a_pair(speed, insolation, expected):
    # Table 5-1: 2-3 m/s strong sun is A-B (B taken), 3-5 moderate is B-C (C), 5-6 moderate C-D (D).
    assert pasquill_stability(speed, day=True, insolation=insolation) == expected


@pytest.mark.parametrize(("speed", "cloud", "expected"), [(1.5, 2, "F"), (2.5, 6, "E"), (2.5, 2, "F"), (4.0, 5, "D")])
def test_night_classes_follow_the_cloud_cover(speed, cloud, expected):
    assert pasquill_stability(speed, day=False, cloud_cover_oktas=cloud) == expected


def test_heavy_overcast_is_neutral_whatever_the_wind():
    assert pasquill_stability(1.0, day=False, overcast=True) == "D"


def test_weather_without_a_class_takes_it_from_the_table():
    assert Weather(wind_speed_m_s=1.5, wind_from_deg=0, day=False, cloud_cover_oktas=1).stability_class == "F"


def test_wind_at_height_follows_the_power_law_with_the_isc3_exponent():
    # rural D: p = 0.15, so u(100 m) = u10 · 10^0.15
    assert float(wind_speed_at(100.0, 3.0, "D", "rural")) == pytest.approx(3.0 * 10**0.15)
    assert float(wind_speed_at(10.0, 3.0, "F", "urban")) == pytest.approx(3.0)


def test_insolation_from_the_sun_and_clouds():
    assert insolation_class(70.0) == "strong"
    assert insolation_class(70.0, cloud_cover_oktas=6) == "moderate"
    assert insolation_class(20.0) == "slight"


def test_sun_is_high_at_noon_in_shanghai_in_june_and_below_the_horizon_at_midnight():
    noon = dt.datetime(2025, 6, 21, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai (UTC+8), solar noon near 11:55
    midnight = dt.datetime(2025, 6, 21, 16, 0, tzinfo=dt.UTC)
    # solar elevation at the June solstice noon: 90° − (30.8° − 23.44°) = 82.6°
    assert solar_elevation_deg(121.33, 30.806, noon) == pytest.approx(82.6, abs=1.0)
    assert solar_elevation_deg(121.33, 30.806, midnight) < 0


def test_wind_below_the_models_range_is_refused_with_what_is_valid():
    with pytest.raises(DispersionInputError) as error:
        Weather(wind_speed_m_s=0.5, wind_from_deg=90)
    assert error.value.field == "wind_speed_m_s"
    assert "at least 1 m/s" in error.value.valid


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"wind_from_deg": 400}, "wind_from_deg"),
        ({"stability": "G"}, "stability"),
        ({"surface": "forest"}, "surface"),
        ({"wind_speed_m_s": float("nan")}, "wind_speed_m_s"),
        ({"relative_humidity": 1.5}, "relative_humidity"),
    ],
)
def test_other_bad_weather_is_refused_naming_the_field(changes, field):
    values = {"wind_speed_m_s": 3.0, "wind_from_deg": 90.0} | changes
    with pytest.raises(DispersionInputError) as error:
        Weather(**values)
    assert error.value.field == field


def test_the_wind_blows_towards_the_opposite_bearing():
    assert Weather(wind_speed_m_s=3, wind_from_deg=270).downwind_bearing_deg == 90
