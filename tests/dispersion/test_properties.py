"""Physical properties come from the chemicals library, offline, cached per substance."""

from __future__ import annotations

import pytest

from dispersion.errors import DispersionInputError
from dispersion.properties import properties


def test_chlorine_constants_agree_with_the_handbook_values_the_demo_uses():
    # geo/data/substances.json (CRC Handbook): M = 0.070906 kg/mol, Tb = 239.11 K
    chlorine = properties("7782-50-5")
    assert chlorine.molar_mass == pytest.approx(0.070906, rel=1e-4)
    assert chlorine.boiling_point == pytest.approx(239.11, abs=0.2)
    assert chlorine.lfl is None  # not flammable


def test_vapour_pressure_is_one_atmosphere_at_the_normal_boiling_point():
    # the definition of the normal boiling point; Perry's DIPPR-101 fit reproduces it within 1 %
    for cas in ("7782-50-5", "7664-41-7", "71-43-2", "67-56-1"):
        substance = properties(cas)
        assert substance.vapour_pressure(substance.boiling_point) == pytest.approx(101_325, rel=0.01)


def test_water_boils_at_373_12_k_at_one_atmosphere_its90():
    assert properties("7732-18-5").boiling_temperature() == pytest.approx(373.12, abs=0.2)


def test_lower_heat_of_combustion_of_propane_matches_the_handbook():
    # geo/data/substances.json: 46.33 MJ/kg (CRC enthalpy of combustion less the condensation of water)
    assert properties("74-98-6").heat_of_combustion == pytest.approx(46.33e6, rel=0.005)


def test_lpg_is_given_the_properties_of_propane_and_says_so():
    lpg = properties("68476-85-7")
    assert lpg.source_cas == "74-98-6"
    assert "propane" in lpg.note


def test_a_second_lookup_is_served_from_the_cache():
    assert properties("71-43-2") is properties("71-43-2")


def test_a_cas_number_with_a_wrong_check_digit_is_refused():
    with pytest.raises(DispersionInputError) as error:
        properties("7782-50-4")
    assert error.value.field == "substance"
    assert "check digit" in error.value.valid


def test_a_substance_without_tabulated_properties_is_refused():
    with pytest.raises(DispersionInputError) as error:
        properties("7775-09-9")  # sodium chlorate, a solid of the demo
    assert error.value.field == "substance"


def test_a_missing_property_is_refused_naming_the_substance_and_the_property():
    with pytest.raises(DispersionInputError) as error:
        properties("7782-50-5").require("heat_of_combustion")
    assert "heat of combustion" in str(error.value)
    assert "chlorine" in str(error.value)


def test_a_temperature_outside_a_correlation_is_refused_with_its_range():
    with pytest.raises(DispersionInputError) as error:
        properties("1333-74-0").vapour_pressure(293.15)  # hydrogen is supercritical at 20 °C
    assert error.value.field == "temperature_k"
    assert " K" in error.value.valid
