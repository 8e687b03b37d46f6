"""Endpoints (levels of concern) and probits: which concentration, overpressure or heat flux bounds a zone.

Data shipped in ``dispersion/data`` (sources in ``dispersion/data/README.md``):

* ``toxic_endpoints.json`` — AEGL-1/2/3 (by exposure time), ERPG-1/2/3, IDLH and lethality probits
  of the substances the demo stores, keyed by CAS number;
* ``thresholds.json`` — flammable fractions of the LEL, and overpressure and heat-flux levels: the
  US levels of ALOHA and the RMP rule, and the levels of Chinese safety evaluation.

Probit: Y = a + b·ln(Cⁿ·t) (Crowl & Louvar, chapter 2, probit analysis; TNO Purple Book, chapter 5), probability
P = ½·[1 + erf((Y − 5)/√2)] (Crowl & Louvar eq. for the probit-to-percentage conversion).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from dispersion.constants import P_ATM, T_AMBIENT, R
from dispersion.errors import DispersionInputError, require_choice, require_positive

DATA = Path(__file__).with_name("data")
TOXIC_FAMILIES = ("AEGL", "ERPG", "IDLH")
STANDARDS = ("us", "cn")
AEGL_TIMES_MIN = ("10", "30", "60")
SEVERITY_BY_LEVEL = {1: "yellow", 2: "orange", 3: "red"}


@dataclass(frozen=True)
class Endpoint:
    """One level of concern.

    ``quantity`` is ``concentration`` (``value`` a volume fraction), ``overpressure`` (Pa) or
    ``heat_flux`` (W/m²); ``display_value`` and ``unit`` are how the level is usually written
    (e.g. 2.0 "ppm", 6.9 "kPa", 5.0 "kW/m²", 60 "% LEL"). ``rule`` names a radius formula for levels
    defined by one (the Chinese explosion method) instead of a threshold value. ``exposure_s`` is the
    exposure time a toxic level is defined for (AEGL 10/30/60 min, ERPG 60 min, IDLH 30 min): the
    concentration compared with it is averaged over that time.
    """

    name: str
    quantity: str
    value: float
    display_value: float
    unit: str
    severity: str
    source: str = ""
    rule: str = "threshold"
    exposure_s: float | None = None

    def as_dict(self) -> dict:
        """The endpoint as plain values."""
        return {
            "name": self.name,
            "quantity": self.quantity,
            "value": self.value,
            "display_value": self.display_value,
            "unit": self.unit,
            "severity": self.severity,
            "source": self.source,
        }


@functools.cache
def _load(name: str) -> dict:
    with (DATA / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def toxic_data(cas: str) -> dict | None:
    """The shipped toxic data of ``cas`` (AEGL, ERPG, IDLH, probits), or None."""
    return _load("toxic_endpoints.json")["substances"].get(cas)


def thresholds() -> dict:
    """The shipped flammable, overpressure and heat-flux levels (``thresholds.json``)."""
    return _load("thresholds.json")


def ppm_to_kg_m3(ppm: float, molar_mass: float, temperature_k: float = T_AMBIENT, pressure_pa: float = P_ATM) -> float:
    """Mass concentration (kg/m³) of ``ppm`` parts per million by volume of an ideal gas: ppm·10⁻⁶·P·M/(R·T)."""
    return ppm * 1e-6 * pressure_pa * molar_mass / (R * temperature_k)


def kg_m3_to_ppm(concentration: float, molar_mass: float, temperature_k: float = T_AMBIENT, pressure_pa: float = P_ATM):
    """Parts per million by volume of a mass concentration (kg/m³) of an ideal gas."""
    return concentration * R * temperature_k / (pressure_pa * molar_mass) * 1e6


def toxic_endpoints(cas: str, family: str = "AEGL", exposure_min: int = 60) -> list[Endpoint]:
    """The three toxic levels of ``cas`` (level 3 first): AEGL at ``exposure_min`` (10, 30 or 60), ERPG, or IDLH.

    Falls back from AEGL to ERPG to IDLH when the requested family has no value; raises
    :class:`DispersionInputError` when the substance has none of them.
    """
    require_choice("toxic_family", family, TOXIC_FAMILIES)
    minutes = str(exposure_min)
    require_choice("exposure_min", minutes, AEGL_TIMES_MIN)
    data = toxic_data(cas)
    if data is None:
        raise DispersionInputError(
            "substance",
            cas,
            "a substance with toxic endpoints in dispersion/data/toxic_endpoints.json",
            f"no toxic endpoints (AEGL, ERPG, IDLH) are known for {cas}",
        )
    order = TOXIC_FAMILIES[TOXIC_FAMILIES.index(family) :] + TOXIC_FAMILIES[: TOXIC_FAMILIES.index(family)]
    for candidate in order:
        found = _family(data, candidate, minutes)
        if found:
            return found
    raise DispersionInputError(
        "substance", cas, "a substance with AEGL, ERPG or IDLH values", f"no toxic endpoints are known for {cas}"
    )


def _family(data: dict, family: str, minutes: str) -> list[Endpoint]:
    sources = "; ".join(data.get("sources", []))
    result = []
    if family == "AEGL":
        for level in (3, 2, 1):
            by_time = data["aegl_ppm"].get(f"AEGL-{level}", {})
            if minutes in by_time:
                ppm = by_time[minutes]
                name = f"AEGL-{level} ({minutes} min)"
                severity = SEVERITY_BY_LEVEL[level]
                result.append(
                    Endpoint(
                        name,
                        "concentration",
                        ppm * 1e-6,
                        ppm,
                        "ppm",
                        severity,
                        sources,
                        "threshold",
                        60.0 * int(minutes),
                    )
                )
    elif family == "ERPG":
        for level in (3, 2, 1):
            ppm = data["erpg_ppm"].get(f"ERPG-{level}")
            if ppm is not None:
                severity = SEVERITY_BY_LEVEL[level]
                result.append(
                    Endpoint(
                        f"ERPG-{level}", "concentration", ppm * 1e-6, ppm, "ppm", severity, sources, "threshold", 3600.0
                    )
                )
    elif data.get("idlh_ppm"):
        ppm = data["idlh_ppm"]
        result.append(Endpoint("IDLH", "concentration", ppm * 1e-6, ppm, "ppm", "red", sources, "threshold", 1800.0))
    return result


def flammable_endpoints(lfl_fraction: float | None, cas: str = "") -> list[Endpoint]:
    """LEL, 60 % LEL and 10 % LEL as volume fractions; raises when the substance has no known LEL."""
    if not lfl_fraction:
        raise DispersionInputError(
            "substance", cas, "a flammable substance with a known lower explosive limit", f"{cas} has no known LEL"
        )
    return [
        Endpoint(
            level["name"],
            "concentration",
            lfl_fraction * level["fraction_of_lel"],
            100.0 * level["fraction_of_lel"],
            "% LEL",
            level["severity"],
            level["source"],
        )
        for level in thresholds()["flammable"]
    ]


def heat_flux_endpoints(standard: str = "us") -> list[Endpoint]:
    """Heat-flux levels (W/m²) of ``standard``: ALOHA/RMP (``us``) or Chinese safety evaluation (``cn``)."""
    require_choice("standard", standard, STANDARDS)
    data = thresholds()["heat_flux"]
    source = data.get("cn_source", "") if standard == "cn" else ""
    return [
        Endpoint(
            level["name"],
            "heat_flux",
            level["value_w_m2"],
            level["value_w_m2"] / 1000.0,
            "kW/m²",
            level["severity"],
            level.get("source", source),
        )
        for level in data[standard]
    ]


def overpressure_endpoints(standard: str = "us") -> list[Endpoint]:
    """Overpressure levels (Pa) of ``standard``; the Chinese death and property-damage levels are radius rules."""
    require_choice("standard", standard, STANDARDS)
    data = thresholds()["overpressure"]
    if standard == "us":
        return [
            Endpoint(
                level["name"],
                "overpressure",
                level["value_pa"],
                level["value_pa"] / 1000.0,
                "kPa",
                level["severity"],
                level["source"],
            )
            for level in data["us"]
        ]
    cn = data["cn"]
    result = []
    for level in cn["levels"]:
        value = level.get("value_pa", math.nan)
        result.append(
            Endpoint(
                level["name"],
                "overpressure",
                value,
                value / 1000.0,
                "kPa",
                level["severity"],
                cn["source"],
                rule=level["rule"],
            )
        )
    return result


def probit(a: float, b: float, n: float, concentration: float, minutes: float) -> float:
    """Probit Y = a + b·ln(Cⁿ·t) for a constant exposure (C in the probit's unit, t in minutes)."""
    c = require_positive("concentration", concentration, "the probit's concentration unit")
    t = require_positive("exposure_min", minutes, "min")
    return a + b * (n * math.log(c) + math.log(t))


def probability(y: float) -> float:
    """Fraction of the exposed population affected at probit ``y``: ½·[1 + erf((Y − 5)/√2)]."""
    return 0.5 * (1.0 + math.erf((y - 5.0) / math.sqrt(2.0)))


def toxic_death_probability(
    cas: str, concentration_ppm: float, minutes: float, molar_mass: float | None = None
) -> float:
    """Probability of death from a constant exposure, by the first lethality probit shipped for ``cas``.

    A probit written for mg/m³ converts the ppm at 25 °C and 1 atm and needs ``molar_mass`` (kg/mol).
    """
    data = toxic_data(cas)
    if not data or not data.get("probits"):
        raise DispersionInputError("substance", cas, "a substance with a lethality probit in toxic_endpoints.json")
    entry = data["probits"][0]
    concentration = concentration_ppm
    if entry["concentration_unit"] == "mg/m3":
        if molar_mass is None:
            raise DispersionInputError("molar_mass", None, "the molar mass (kg/mol) to convert ppm to mg/m³")
        concentration = ppm_to_kg_m3(concentration_ppm, molar_mass, 298.15) * 1e6
    return probability(probit(entry["a"], entry["b"], entry["n"], concentration, minutes))


def thermal_probit_eisenberg(heat_flux_w_m2: float, seconds: float) -> float:
    """Probit of death by thermal radiation, Eisenberg et al. (1975): Y = −14.9 + 2.56·ln(t·I^{4/3}/10⁴), I in W/m².

    As given by Crowl & Louvar Table 2-5; HSE OSD/30 Table 17 writes it with I in kW/m² and no 10⁴.
    """
    q = require_positive("heat_flux_w_m2", heat_flux_w_m2, "W/m²")
    t = require_positive("exposure_s", seconds, "s")
    return -14.9 + 2.56 * math.log(t * q ** (4 / 3) / 1e4)
