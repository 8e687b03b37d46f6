"""Physical properties of a substance, from the ``chemicals`` library (Caleb Bell et al., MIT licence).

``chemicals`` ships its data tables and works offline. hazmap takes from it:

* molar mass, normal boiling point, critical constants, acentric factor, flammability limits
  (``chemicals.MW``, ``Tb``, ``Tc``, ``Pc``, ``omega``, ``LFL``, ``UFL``);
* vapour pressure: DIPPR equation 101 with the coefficients of Perry's Chemical Engineers'
  Handbook, 8th ed., Table 2-8; else the Antoine coefficients of Poling et al. (2001); else the
  Lee–Kesler corresponding-states estimate;
* liquid density: DIPPR equation 105 with the coefficients of Perry's (8th ed.) liquid-density table;
* heat of vaporisation: DIPPR equation 106, Perry's Table 2-150; else Riedel at the boiling point
  carried to T by Watson;
* heat capacity of the ideal gas: the polynomial of Poling et al. (2001), else the TRC equation
  (Thermodynamics Research Center); of the liquid: DIPPR equations 100/114 of Perry's Table 2-153,
  else Poling et al.'s value at 298 K, and the Rowlinson–Poling estimate outside the table's range;
* lower heat of combustion: from the standard enthalpy of formation (``chemicals.Hfg``) and the
  combustion stoichiometry (``chemicals.combustion``), water as vapour.

The first look-up loads ``chemicals``' tables (about 1 s); afterwards a substance's properties are
cached (:func:`properties` is memoised) and each evaluation is a few microseconds.

Two substances of the demo are mixtures that ``chemicals`` does not hold; hazmap gives them the
properties of a stated component (:data:`PROXIES`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

from dispersion.constants import P_ATM, R
from dispersion.errors import DispersionInputError

# CAS of a mixture -> (CAS whose properties are used, why)
PROXIES: dict[str, tuple[str, str]] = {
    "68476-85-7": ("74-98-6", "LPG is given the properties of propane (the demo's LPG is commercial propane)"),
    "1330-20-7": ("108-38-3", "mixed xylenes are given the properties of m-xylene, their main isomer"),
}


@dataclass(frozen=True)
class Correlation:
    """A temperature correlation: equation ``kind`` with ``coefficients``, valid from ``t_min`` to ``t_max`` (K)."""

    kind: str
    coefficients: tuple[float, ...]
    t_min: float
    t_max: float


@dataclass(frozen=True)
class Properties:
    """Properties of one substance (SI units: kg/mol, K, Pa, volume fractions, J/kg).

    A property ``chemicals`` does not know is ``None``; asking a method for it raises
    :class:`DispersionInputError` naming the substance and the property.
    """

    cas: str
    name: str
    molar_mass: float
    boiling_point: float | None
    critical_temperature: float | None
    critical_pressure: float | None
    acentric_factor: float | None
    lfl: float | None
    ufl: float | None
    heat_of_combustion: float | None
    source_cas: str
    note: str = ""
    psat: Correlation | None = field(default=None, repr=False)
    liquid_molar_density: Correlation | None = field(default=None, repr=False)
    hvap: Correlation | None = field(default=None, repr=False)
    cp_gas: Correlation | None = field(default=None, repr=False)
    cp_liquid: Correlation | None = field(default=None, repr=False)

    def require(self, name: str) -> float:
        """The property ``name`` (an attribute of this class), or an error saying the substance lacks it."""
        value = getattr(self, name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise DispersionInputError(
                "substance",
                self.cas,
                f"a substance with a known {name.replace('_', ' ')}",
                f"{self.name} ({self.cas}) has no {name.replace('_', ' ')} in the chemicals library; "
                "the model needs it",
            )
        return value

    def _evaluate(self, what: str, correlation: Correlation | None, temperature: float) -> float:
        from chemicals import dippr, vapor_pressure

        if correlation is None:
            raise DispersionInputError(
                "substance",
                self.cas,
                f"a substance with a known {what}",
                f"{self.name} ({self.cas}) has no {what} correlation in the chemicals library; the model needs it",
            )
        if not correlation.t_min - 1e-9 <= temperature <= correlation.t_max + 1e-9:
            raise DispersionInputError(
                "temperature_k",
                temperature,
                f"{correlation.t_min:.1f} to {correlation.t_max:.1f} K for the {what} of {self.name}",
            )
        c = correlation.coefficients
        if correlation.kind == "EQ101":
            return dippr.EQ101(temperature, *c)
        if correlation.kind == "ANTOINE":
            return vapor_pressure.Antoine(temperature, *c)
        if correlation.kind == "LEE_KESLER":
            return vapor_pressure.Lee_Kesler(temperature, *c)
        if correlation.kind == "EQ105":
            return dippr.EQ105(temperature, *c)
        if correlation.kind == "EQ106":
            return dippr.EQ106(temperature, *c)
        if correlation.kind == "EQ100":
            return dippr.EQ100(temperature, *c)
        if correlation.kind == "EQ114":
            return dippr.EQ114(temperature, *c)
        if correlation.kind == "POLING":
            from chemicals.heat_capacity import Poling

            return Poling(temperature, *c)
        if correlation.kind == "TRC":
            from chemicals.heat_capacity import TRCCp

            return TRCCp(temperature, *c)
        if correlation.kind == "CONSTANT":
            return c[0]
        raise AssertionError(correlation.kind)  # pragma: no cover - every kind is handled above

    def vapour_pressure(self, temperature: float) -> float:
        """Saturation pressure (Pa) of the liquid at ``temperature`` (K)."""
        return self._evaluate("vapour pressure", self.psat, temperature)

    def boiling_temperature(self, pressure: float = P_ATM) -> float:
        """Temperature (K) at which the vapour pressure equals ``pressure`` (Pa), by bisection."""
        if self.psat is None:
            self._evaluate("vapour pressure", None, 0.0)
        low, high = self.psat.t_min, self.psat.t_max
        if not self.vapour_pressure(low) <= pressure <= self.vapour_pressure(high):
            raise DispersionInputError(
                "pressure_pa", pressure, f"a pressure within the vapour-pressure range of {self.name}"
            )
        for _ in range(60):
            middle = 0.5 * (low + high)
            if self.vapour_pressure(middle) < pressure:
                low = middle
            else:
                high = middle
        return 0.5 * (low + high)

    def liquid_density(self, temperature: float) -> float:
        """Density (kg/m³) of the saturated liquid at ``temperature`` (K)."""
        return self._evaluate("liquid density", self.liquid_molar_density, temperature) * self.molar_mass

    def heat_of_vaporisation(self, temperature: float) -> float:
        """Heat of vaporisation (J/kg) at ``temperature`` (K)."""
        return self._evaluate("heat of vaporisation", self.hvap, temperature) / self.molar_mass

    def liquid_heat_capacity(self, temperature: float) -> float:
        """Heat capacity (J/(kg·K)) of the liquid at ``temperature`` (K).

        Outside the range of the tabulated correlation, the Rowlinson–Poling corresponding-states
        estimate from the ideal-gas heat capacity (Poling et al. 2001, eq. 6-6.8).
        """
        table = self.cp_liquid
        if table is not None and table.t_min <= temperature <= table.t_max:
            return self._evaluate("liquid heat capacity", table, temperature) / self.molar_mass
        if self.cp_gas is not None and self.critical_temperature and self.acentric_factor is not None:
            if temperature < self.critical_temperature:
                from chemicals.heat_capacity import Rowlinson_Poling

                cpg = self.gas_heat_capacity(temperature) * self.molar_mass
                return (
                    Rowlinson_Poling(temperature, self.critical_temperature, self.acentric_factor, cpg)
                    / self.molar_mass
                )
        return self._evaluate("liquid heat capacity", table, temperature) / self.molar_mass

    def gas_heat_capacity(self, temperature: float) -> float:
        """Heat capacity at constant pressure (J/(kg·K)) of the ideal gas at ``temperature`` (K)."""
        return self._evaluate("ideal-gas heat capacity", self.cp_gas, temperature) / self.molar_mass

    def heat_capacity_ratio(self, temperature: float) -> float:
        """cp/cv of the ideal gas at ``temperature`` (K): cp / (cp − R/M)."""
        cp = self.gas_heat_capacity(temperature)
        return cp / (cp - R / self.molar_mass)

    def gas_density(self, temperature: float, pressure: float = P_ATM) -> float:
        """Density (kg/m³) of the pure vapour as an ideal gas at ``temperature`` (K) and ``pressure`` (Pa)."""
        return pressure * self.molar_mass / (R * temperature)


def _row(frame, cas: str, columns: list[str]) -> tuple[float, ...] | None:
    if cas not in frame.index:
        return None
    values = frame.loc[cas, columns]
    numbers = tuple(float(v) for v in values)
    if any(math.isnan(v) for v in numbers):
        return None
    return numbers


def _optional(function, *args, **kwargs) -> float | None:
    try:
        value = function(*args, **kwargs)
    except Exception:  # chemicals raises ValueError/KeyError for unknown data: treat as "not known"
        return None
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _valid_cas(cas: str) -> bool:
    """Whether ``cas`` has the form of a CAS registry number with a correct check digit."""
    parts = cas.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[1]) != 2 or len(parts[2]) != 1:
        return False
    digits = (parts[0] + parts[1])[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(parts[2])


@functools.lru_cache(maxsize=256)
def properties(cas: str) -> Properties:
    """The properties of the substance with CAS number ``cas``, from the ``chemicals`` library (cached).

    Raises :class:`DispersionInputError` (field ``substance``) for a CAS number ``chemicals`` does not know.
    """
    import chemicals
    from chemicals import combustion, heat_capacity, identifiers, phase_change, vapor_pressure, volume

    if not isinstance(cas, str) or not cas:
        raise DispersionInputError("substance", cas, "a CAS number such as 7782-50-5")
    if not _valid_cas(cas):
        raise DispersionInputError("substance", cas, "a CAS number such as 7782-50-5 (with a valid check digit)")
    source_cas, note = PROXIES.get(cas, (cas, ""))
    vapor_pressure.load_vapor_pressure_dfs()
    tables = (
        vapor_pressure.Psat_data_Perrys2_8,
        vapor_pressure.Psat_data_AntoinePoling,
        heat_capacity.Cp_data_Poling,
        heat_capacity.TRC_gas_data,
        phase_change.phase_change_data_Perrys2_150,
    )
    if not any(source_cas in table.index for table in tables):  # a quick refusal before searching every database
        raise DispersionInputError(
            "substance", cas, "a substance whose properties the chemicals library tabulates", f"unknown substance {cas}"
        )
    try:
        chemical = identifiers.search_chemical(source_cas)
    except Exception as error:
        raise DispersionInputError(
            "substance", cas, "a CAS number known to the chemicals library", f"unknown substance {cas}: {error}"
        ) from error
    molar_mass = chemical.MW / 1000.0
    tb = _optional(chemicals.Tb, source_cas)
    tc = _optional(chemicals.Tc, source_cas)
    pc = _optional(chemicals.Pc, source_cas)
    omega = _optional(chemicals.omega, source_cas)

    psat = None
    row = _row(vapor_pressure.Psat_data_Perrys2_8, source_cas, ["C1", "C2", "C3", "C4", "C5", "Tmin", "Tmax"])
    if row:
        psat = Correlation("EQ101", row[:5], row[5], row[6])
    else:
        row = _row(vapor_pressure.Psat_data_AntoinePoling, source_cas, ["A", "B", "C", "Tmin", "Tmax"])
        if row:
            psat = Correlation("ANTOINE", row[:3], row[3], row[4])
        elif tc and pc and omega is not None and tb:
            psat = Correlation("LEE_KESLER", (tc, pc, omega), 0.5 * tb, tc)

    density = None
    row = _row(volume.rho_data_Perry_8E_105_l, source_cas, ["C1", "C2", "C3", "C4", "Tmin", "Tmax"])
    if row:
        density = Correlation("EQ105", row[:4], row[4], row[5])

    hvap = None
    frame = phase_change.phase_change_data_Perrys2_150
    row = _row(frame, source_cas, ["Tc", "C1", "C2", "C3", "C4", "Tmin", "Tmax"])
    if row:
        hvap = Correlation("EQ106", row[:5], row[5], row[6])

    cp_gas = None
    row = _row(heat_capacity.Cp_data_Poling, source_cas, ["a0", "a1", "a2", "a3", "a4", "Tmin", "Tmax"])
    if row:
        cp_gas = Correlation("POLING", row[:5], row[5], row[6])
    else:
        columns = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "Tmin", "Tmax"]
        row = _row(heat_capacity.TRC_gas_data, source_cas, columns)
        if row:
            cp_gas = Correlation("TRC", row[:8], row[8], row[9])
    cp_liquid = None
    row = _row(heat_capacity.Cp_data_Perry_Table_153_100, source_cas, ["A", "B", "C", "D", "E", "Tmin", "Tmax"])
    if row:  # J/(kmol·K) in the table
        cp_liquid = Correlation("EQ100", tuple(v / 1000.0 for v in row[:5]), row[5], row[6])
    else:
        row = _row(heat_capacity.Cp_data_Perry_Table_153_114, source_cas, ["A", "B", "C", "D", "Tmin", "Tmax"])
        if row and tc:
            a, b, c, d = row[:4]
            cp_liquid = Correlation("EQ114", (tc, a / 1e3**0.5, b / 1e3, c / 1e3**0.5, d / 1e3**0.5), row[4], row[5])
        else:
            row = _row(heat_capacity.Cp_data_Poling, source_cas, ["Cpl"])
            if row:
                cp_liquid = Correlation("CONSTANT", row, 0.0, 1e4)

    heat_of_combustion = None
    hf = _optional(chemicals.Hfg, source_cas)
    if hf is not None and chemical.formula:
        try:
            data = combustion.combustion_data(formula=chemical.formula, Hf=hf)
            water = data.stoichiometry.get("H2O", 0.0)
            lhv = combustion.LHV_from_HHV(data.HHV, water)
            if lhv < -1.0:
                heat_of_combustion = -lhv / molar_mass
        except Exception:
            heat_of_combustion = None

    return Properties(
        cas=cas,
        name=chemical.common_name or cas,
        molar_mass=molar_mass,
        boiling_point=tb,
        critical_temperature=tc,
        critical_pressure=pc,
        acentric_factor=omega,
        lfl=_optional(chemicals.LFL, CASRN=source_cas),
        ufl=_optional(chemicals.UFL, CASRN=source_cas),
        heat_of_combustion=heat_of_combustion,
        source_cas=source_cas,
        note=note,
        psat=psat,
        liquid_molar_density=density,
        hvap=hvap,
        cp_gas=cp_gas,
        cp_liquid=cp_liquid,
    )
