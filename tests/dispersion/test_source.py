"""Source terms: flows through holes, flashing, pools and their evaporation."""

from __future__ import annotations

import math

import pytest
from scipy import optimize

from dispersion import source
from dispersion.constants import P_ATM, G, R
from dispersion.errors import DispersionInputError


def test_liquid_from_a_vented_tank_leaves_at_torricellis_speed():
    # With atmospheric pressure above the liquid, Bernoulli reduces to v = Cd·√(2 g h).
    rate = source.liquid_discharge(0.61, 0.01, 800.0, 5.0)
    assert rate == pytest.approx(0.61 * 0.01 * 800.0 * math.sqrt(2 * G * 5.0))


def test_pressure_above_the_liquid_adds_to_the_head():
    vented = source.liquid_discharge(0.61, 0.01, 800.0, 5.0)
    padded = source.liquid_discharge(0.61, 0.01, 800.0, 5.0, pressure_above_liquid_pa=P_ATM + 2e5)
    assert padded == pytest.approx(0.61 * 0.01 * math.sqrt(2 * 800.0 * (2e5 + 800.0 * G * 5.0)))
    assert padded > vented


def test_no_head_and_no_pressure_means_no_flow_and_is_refused():
    with pytest.raises(DispersionInputError) as error:
        source.liquid_discharge(0.61, 0.01, 800.0, 0.0)
    assert error.value.field == "liquid_head_m"


def _isentropic_maximum(p0, t0, m, gamma, pa=P_ATM):
    """The largest isentropic nozzle mass flux over throat pressures ≥ Pa (found numerically)."""
    rho0 = p0 * m / (R * t0)

    def flux(p):
        ratio = p / p0
        return math.sqrt(
            max(0.0, 2 * gamma / (gamma - 1) * p0 * rho0 * (ratio ** (2 / gamma) - ratio ** ((gamma + 1) / gamma)))
        )

    best = optimize.minimize_scalar(lambda p: -flux(p), bounds=(pa, p0), method="bounded", options={"xatol": 1e-6 * p0})
    return max(flux(best.x), flux(pa))


@pytest.mark.parametrize(("p0", "expect_choked"), [(10e5, True), (1.5e5, False), (1.92e5, True), (1.9e5, False)])
def test_gas_flow_is_the_largest_isentropic_flux_and_chokes_at_the_critical_ratio(p0, expect_choked):
    # γ = 1.4 chokes when P0/Pa ≥ 1.893; the closed form equals the maximum over throat pressures.
    rate, choked = source.gas_discharge(1.0, 1e-4, p0, 293.15, 0.028965, 1.4)
    assert choked is expect_choked
    assert rate == pytest.approx(1e-4 * _isentropic_maximum(p0, 293.15, 0.028965, 1.4), rel=1e-5)


def test_gas_below_ambient_pressure_is_refused():
    with pytest.raises(DispersionInputError) as error:
        source.gas_discharge(0.62, 1e-4, 0.9e5, 293.15, 0.028, 1.4)
    assert error.value.field == "pressure_pa"


def test_a_subcooled_liquid_does_not_flash_and_a_small_superheat_flashes_cp_dt_over_hv():
    assert source.flash_fraction(1000.0, 230.0, 239.0, 3e5) == 0.0
    assert source.flash_fraction(1000.0, 240.0, 239.0, 3e5) == pytest.approx(1000.0 * 1.0 / 3e5, rel=2e-3)


def test_a_spill_fills_its_dike_or_spreads_to_one_centimetre():
    assert source.pool_area(50.0) == pytest.approx(5000.0)
    assert source.pool_area(50.0, dike_area_m2=1200.0) == pytest.approx(1200.0)
    assert source.pool_area(5.0, dike_area_m2=1200.0) == pytest.approx(500.0)


def test_tank_drains_in_the_time_of_the_torricelli_law():
    # vented tank: tₑ = (At/A)·√(2 h₀/g)/Cd
    assert source.tank_draining_time(0.61, 10.0, 0.01, 800.0, 5.0) == pytest.approx(
        1000.0 * math.sqrt(2 * 5.0 / G) / 0.61
    )


def test_evaporation_grows_with_wind_as_u_to_the_0_78():
    slow = source.mackay_matsugu_evaporation(10.0, 2.0, 10_000.0, 0.078, 293.15)
    fast = source.mackay_matsugu_evaporation(10.0, 4.0, 10_000.0, 0.078, 293.15)
    assert fast / slow == pytest.approx(2**0.78)


def test_a_boiling_pool_is_refused_by_mackay_matsugu():
    with pytest.raises(DispersionInputError) as error:
        source.mackay_matsugu_evaporation(10.0, 2.0, 2e5, 0.071, 293.15)
    assert error.value.field == "temperature_k"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: source.hole_area(-0.01), "hole_diameter_m"),
        (lambda: source.hole_area(0.0), "hole_diameter_m"),
        (lambda: source.liquid_discharge(1.2, 0.01, 800.0, 5.0), "discharge_coefficient"),
        (lambda: source.release_duration(-5.0, 1.0), "inventory_kg"),
        (lambda: source.release_duration(5.0, 0.0), "rate_kg_s"),
        (lambda: source.pool_area(10.0, dike_area_m2=-1.0), "dike_area_m2"),
    ],
)
def test_bad_source_inputs_are_refused_naming_the_field(call, field):
    with pytest.raises(DispersionInputError) as error:
        call()
    assert error.value.field == field
