"""Levels of concern shipped with hazmap, and the conversions and probits behind them."""

from __future__ import annotations

import pytest

from dispersion import endpoints
from dispersion.errors import DispersionInputError


def test_chlorine_aegl_levels_for_ten_thirty_and_sixty_minutes():
    # US EPA AEGL final values for chlorine (ppm): AEGL-2 2.8 / 2.8 / 2.0, AEGL-3 50 / 28 / 20, AEGL-1 0.5
    assert [e.display_value for e in endpoints.toxic_endpoints("7782-50-5", "AEGL", 10)] == [50.0, 2.8, 0.5]
    assert [e.display_value for e in endpoints.toxic_endpoints("7782-50-5", "AEGL", 30)] == [28.0, 2.8, 0.5]
    sixty = endpoints.toxic_endpoints("7782-50-5")
    assert [e.display_value for e in sixty] == [20.0, 2.0, 0.5]
    assert [e.exposure_s for e in sixty] == [3600.0] * 3
    assert sixty[0].value == pytest.approx(20e-6)


def test_erpg_levels_when_asked_for():
    assert [e.name for e in endpoints.toxic_endpoints("7782-50-5", "ERPG")] == ["ERPG-3", "ERPG-2", "ERPG-1"]


def test_a_substance_without_aegl_falls_back_to_its_idlh():
    only_idlh = endpoints.toxic_endpoints("1330-20-7")  # mixed xylenes: IDLH 900 ppm only
    assert [(e.name, e.display_value) for e in only_idlh] == [("IDLH", 900.0)]


def test_a_substance_without_toxic_levels_is_refused():
    with pytest.raises(DispersionInputError) as error:
        endpoints.toxic_endpoints("1333-74-0")  # hydrogen, a simple asphyxiant
    assert error.value.field == "substance"


def test_a_ten_minute_aegl_not_shipped_is_not_invented_the_erpg_is_used_and_named():
    levels = endpoints.toxic_endpoints("7783-06-4", "AEGL", 10)  # only the 60-min H2S AEGL ships
    assert [e.name for e in levels] == ["ERPG-3", "ERPG-2", "ERPG-1"]


def test_flammable_levels_are_fractions_of_the_lel():
    levels = endpoints.flammable_endpoints(0.021, "74-98-6")
    assert [(e.name, e.value) for e in levels] == [
        ("LEL", pytest.approx(0.021)),
        ("60% LEL", pytest.approx(0.0126)),
        ("10% LEL", pytest.approx(0.0021)),
    ]


def test_us_and_chinese_heat_flux_levels():
    assert [e.display_value for e in endpoints.heat_flux_endpoints("us")] == [10.0, 5.0, 2.0]
    assert [e.name for e in endpoints.heat_flux_endpoints("cn")] == ["死亡", "重伤", "轻伤", "财产损失"]


def test_one_psi_is_the_yellow_overpressure_level():
    assert endpoints.overpressure_endpoints("us")[-1].value == pytest.approx(6894.8, rel=1e-4)


def test_ppm_converts_to_mass_concentration_as_ccohs_writes_it():
    # CCOHS: mg/m³ = ppm × MW / 24.45 at 25 °C and 760 mmHg; the ideal gas gives 24.465 L/mol (0.1 %)
    mg_m3 = endpoints.ppm_to_kg_m3(100.0, 0.070906, 298.15) * 1e6
    assert mg_m3 == pytest.approx(100.0 * 70.906 / 24.45, rel=1e-3)
    assert endpoints.kg_m3_to_ppm(mg_m3 / 1e6, 0.070906, 298.15) == pytest.approx(100.0)


def test_probability_is_one_half_at_probit_five():
    assert endpoints.probability(5.0) == pytest.approx(0.5)
    assert endpoints.probability(5.0 + 1.2816) == pytest.approx(0.9, abs=1e-4)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: endpoints.toxic_endpoints("7782-50-5", "TEEL"), "toxic_family"),
        (lambda: endpoints.toxic_endpoints("7782-50-5", "AEGL", 15), "exposure_min"),
        (lambda: endpoints.heat_flux_endpoints("eu"), "standard"),
        (lambda: endpoints.flammable_endpoints(None, "7782-50-5"), "substance"),
        (lambda: endpoints.probit(-8.29, 0.92, 2.0, 0.0, 10.0), "concentration"),
    ],
)
def test_bad_endpoint_requests_are_refused_naming_the_field(call, field):
    with pytest.raises(DispersionInputError) as error:
        call()
    assert error.value.field == field
