"""Dispersion, fire and explosion models: their equations keep the physics they are built on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from dispersion import dense_gas, explosion, fire, gaussian, sigmas
from dispersion.errors import DispersionInputError


def test_briggs_rural_d_sigmas_at_one_kilometre():
    # Briggs (1973), Crowl & Louvar Table 5-2, rural D: σy = 0.08x(1+0.0001x)^-½, σz = 0.06x(1+0.0015x)^-½
    assert float(sigmas.briggs_sigma_y(1000.0, "D")) == pytest.approx(80.0 / math.sqrt(1.1))
    assert float(sigmas.briggs_sigma_z(1000.0, "D")) == pytest.approx(60.0 / math.sqrt(2.5))


def test_urban_plumes_spread_faster_than_rural_ones():
    assert sigmas.briggs_sigma_y(500.0, "D", "urban") > sigmas.briggs_sigma_y(500.0, "D", "rural")
    assert sigmas.briggs_sigma_z(500.0, "F", "urban") > sigmas.briggs_sigma_z(500.0, "F", "rural")


@pytest.mark.parametrize("height", [0.0, 20.0])
def test_the_plume_carries_the_whole_release_rate_downwind(height):
    # u·∫∫C dy dz over y ∈ ℝ and z ≥ 0 equals Q: a lost ground reflection would halve it.
    q, u, sy, sz = 2.0, 3.0, 40.0, 20.0
    y = np.linspace(-12 * sy, 12 * sy, 2001)
    z = np.linspace(0.0, height + 12 * sz, 2001)
    c = gaussian.plume_concentration_sigmas(q, u, y[:, None], z[None, :], height, sy, sz)
    flux = integrate.trapezoid(integrate.trapezoid(c, z, axis=1), y)
    assert u * flux == pytest.approx(q, rel=1e-5)


def test_the_puff_holds_the_whole_released_mass():
    mass, u, t = 100.0, 2.0, 300.0
    sy = float(sigmas.puff_sigma_y(u * t, "D"))
    sz = float(sigmas.puff_sigma_z(u * t, "D"))
    along = np.linspace(-7 * sy, 7 * sy, 281)
    z = np.linspace(0.0, 8 * sz, 161)
    x, y = np.meshgrid(u * t + along, along, indexing="ij")
    c = gaussian.puff_concentration(mass, u, t, x[..., None], y[..., None], z, 0.0, "D")
    column = integrate.trapezoid(c, z, axis=-1)
    assert integrate.trapezoid(integrate.trapezoid(column, along, axis=1), along) == pytest.approx(mass, rel=1e-4)


def test_a_crosswind_profile_exceeds_the_threshold_within_the_gaussian_half_width():
    width = gaussian.crosswind_half_width(30.0, 1e-3, 1e-4)
    assert float(width) == pytest.approx(30.0 * math.sqrt(2 * math.log(10)))
    assert float(gaussian.crosswind_half_width(30.0, 1e-5, 1e-4)) == 0.0


def test_chlorine_from_a_large_leak_is_dense_and_a_trickle_in_strong_wind_is_not():
    air = 1.2
    g0 = dense_gas.reduced_gravity(3.6, air)  # chlorine vapour at its boiling point
    assert dense_gas.continuous_is_dense(g0, q0=3.0, wind=2.0)
    assert not dense_gas.continuous_is_dense(g0, q0=0.001, wind=10.0)
    assert dense_gas.instantaneous_is_dense(g0, v0=1e4, wind=3.0)
    assert not dense_gas.continuous_is_dense(dense_gas.reduced_gravity(0.7, air), q0=10.0, wind=1.0)


def test_dense_plume_concentration_falls_with_distance_until_its_correlations_end():
    betas, _ = dense_gas.plume_curve(-0.3)
    end = 10.0 ** betas[-1]
    ratio = dense_gas.plume_ratio(np.geomspace(1, end * (1 - 1e-12), 200), alpha=-0.3)
    assert np.all(np.diff(ratio) <= 0)
    assert ratio[-1] == pytest.approx(0.002, rel=1e-6)  # the last correlation curve, Cm/C0 = 0.002
    assert np.isnan(dense_gas.plume_ratio(np.array(end * 1.01), alpha=-0.3))


def test_the_non_isothermal_correction_is_undone_by_its_inverse():
    assert float(dense_gas.isothermal(dense_gas.non_isothermal(0.02, 2.6), 2.6)) == pytest.approx(0.02)
    assert float(dense_gas.non_isothermal(0.5, 1.0)) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("x_over_r", "h_over_r", "printed_fv", "printed_fh"),
    [(2.0, 2.0, 0.236, 0.126), (5.0, 5.0, 0.086, 0.037), (1.5, 1.0, 0.312, 0.170)],
)
def test_vertical_cylinder_view_factors_yellow_book_table_6a1(x_over_r, h_over_r, printed_fv, printed_fh):
    # Yellow Book Appendix 6.1, Table 6.A.1 (Raj, vertical cylinder), three decimals printed: ±0.001.
    fv, fh = fire.cylinder_view_factor(h_over_r, x_over_r, 0.0)
    assert float(fv) == pytest.approx(printed_fv, abs=1e-3)
    assert float(fh) == pytest.approx(printed_fh, abs=1e-3)


def test_a_flame_leaning_towards_a_target_heats_it_more_than_one_leaning_away():
    toward = fire.pool_fire_heat_flux(50e3, 20.0, 30.0, math.radians(40), 40.0, 1.0)
    away = fire.pool_fire_heat_flux(50e3, 20.0, 30.0, math.radians(-40), 40.0, 1.0)
    assert toward > away


def test_a_target_under_an_overhanging_flame_receives_the_emissive_power():
    flux = fire.pool_fire_heat_flux(50e3, 20.0, 30.0, math.radians(60), 12.0, 0.9)
    assert float(flux) == pytest.approx(50e3 * 0.9)


def test_burgess_burning_rate_drops_the_sensible_heat_for_a_liquefied_gas():
    assert fire.burning_rate_burgess(46e6, 4.26e5, 2500.0, 231.0, 293.0) == pytest.approx(0.001 * 46e6 / 4.26e5)


def test_fireball_size_and_duration_ccps():
    # CCPS (1999) §3.5.2 for 1000 kg: Dmax = 5.8·10 = 58 m, t = 0.45·10 = 4.5 s, centre at 0.75·58 m
    assert fire.fireball_diameter(1000.0) == pytest.approx(58.0)
    assert fire.fireball_duration(1000.0) == pytest.approx(4.5)
    assert fire.fireball_height(1000.0) == pytest.approx(43.5)
    assert fire.fireball_duration(64_000.0) == pytest.approx(2.6 * 64_000 ** (1 / 6))


def test_transmissivity_stays_within_its_fitted_range_and_never_exceeds_one():
    tau = fire.transmissivity_bagster(1500.0, np.array([0.1, 10.0, 50.0, 1e4]))
    assert np.all(tau <= 1.0)
    assert tau[1] == pytest.approx(2.02 * (1500.0 * 10.0) ** -0.09)
    assert tau[-1] == pytest.approx(2.02 * 1e5**-0.09)


def test_chamberlain_fraction_radiated_falls_with_jet_speed():
    assert fire.chamberlain_radiated_fraction(0.0) == pytest.approx(0.32)
    assert fire.chamberlain_radiated_fraction(300.0) < fire.chamberlain_radiated_fraction(50.0)


def test_tnt_distance_inverts_the_overpressure_curve():
    distance = explosion.tnt_distance(6894.8, 500.0)
    assert float(explosion.tnt_overpressure(distance, 500.0)) == pytest.approx(6894.8, rel=1e-6)


def test_ground_reflection_doubles_the_charge():
    assert float(explosion.tnt_overpressure(100.0, 100.0, ground_factor=2.0)) == pytest.approx(
        float(explosion.tnt_overpressure(100.0, 200.0, ground_factor=1.0))
    )


def test_tnt_equivalent_mass_is_the_yield_share_of_the_heat_of_combustion():
    assert explosion.tnt_equivalent_mass(1000.0, 46.8e6, 0.1) == pytest.approx(1000.0)


def test_chinese_textbook_radii():
    # W_TNT = 1000 kg: death radius 13.6 m; injury radii where ΔP/P₀ of the textbook fit meets 44 and 17 kPa
    assert explosion.cn_death_radius(1000.0) == pytest.approx(13.6)
    energy = 1000.0 * explosion.CN_Q_TNT
    for pressure in (44_000.0, 17_000.0):
        radius = explosion.cn_injury_radius(1000.0, pressure)
        z = radius * (101_325 / energy) ** (1 / 3)
        assert float(explosion.cn_overpressure_ratio(z)) * 101_325 == pytest.approx(pressure, rel=1e-6)
    assert explosion.cn_property_damage_radius(1000.0) == pytest.approx(5.6 * 10 / (1 + 3.175**2) ** (1 / 6))


def test_an_overpressure_off_the_blast_curve_is_refused():
    with pytest.raises(DispersionInputError) as error:
        explosion.tnt_distance(10.0, 100.0)
    assert error.value.field == "overpressure_pa"
