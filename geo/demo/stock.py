"""How the demo stores each substance, and how its leaks are detected.

These are demo choices, not properties of the substance (those are in ``geo/data/substances.json``):
the density used for the design maximum quantity, the storage state and design pressure of its tanks,
the accident types a unit holding it registers, and its gas detectors.

Gas detector set points follow GB/T 50493-2019 §5.5.2: combustible gas, first-level alarm 25 %LEL,
second-level 50 %LEL; toxic gas, first level 100 % and second level 200 % of the occupational exposure
limit (OEL). The OEL used is the GBZ 2.1-2019 MAC (最高容许浓度) where the substance has one, else its
PC-TWA (时间加权平均容许浓度), in mg/m³; ``Stock.oel_basis`` names which. The detector ranges cover
200 % of the OEL, so the IDLH fallback of §5.5.2-3 is not needed.
"""

from __future__ import annotations

from dataclasses import dataclass

ATMOSPHERIC = "atmospheric_liquid"
PRESSURISED = "pressurised_liquefied"
COMPRESSED = "compressed_gas"
SOLID = "solid"

DESIGN_TEMPERATURE_K = 323.15  # 50 °C, the design temperature of the demo's storage tanks


@dataclass(frozen=True)
class Stock:
    """How the demo keeps one substance.

    ``density_kg_m3`` is the liquid density at 20 °C (saturated liquid for liquefied gases) used for
    design maximum quantities (None for gases and solids kept only in process units or warehouses);
    ``tank_pressure_pa`` the gauge design pressure of its pressurised tanks. ``oel_mg_m3`` with
    ``oel_basis`` ("MAC" or "PC-TWA", GBZ 2.1-2019) and ``toxic_range_mg_m3`` set up a toxic gas
    detector; ``combustible`` asks for combustible gas detectors; ``lighter_than_air`` puts detectors
    above the release source instead of 0.3-0.6 m above the ground (GB/T 50493-2019 §6.1).
    """

    density_kg_m3: float | None
    storage: str
    fire: bool
    explosion: bool
    poisoning: bool
    combustible: bool
    tank_pressure_pa: float = 0.0
    oel_mg_m3: float | None = None
    oel_basis: str = ""
    toxic_range_mg_m3: float | None = None
    lighter_than_air: bool = False


STOCKS: dict[str, Stock] = {
    # liquefied toxic gases; saturated liquid density at 20 °C; design pressures of ambient-temperature
    # storage (vapour pressure at 50 °C plus margin)
    "氯": Stock(1410.0, PRESSURISED, False, False, True, False, 1.6e6, 1.0, "MAC", 20.0),
    "氨": Stock(610.0, PRESSURISED, True, True, True, False, 2.16e6, 20.0, "PC-TWA", 150.0, True),
    "环氧乙烷": Stock(871.0, PRESSURISED, True, True, True, True, 0.6e6, 2.0, "PC-TWA", 50.0),
    "氯乙烯": Stock(911.0, PRESSURISED, True, True, True, True, 0.85e6, 10.0, "PC-TWA", 100.0),
    "液化石油气": Stock(500.0, PRESSURISED, True, True, False, True, 1.77e6),
    # gases held in process units only
    "氢": Stock(None, COMPRESSED, True, True, False, True, lighter_than_air=True),
    "乙烯": Stock(None, COMPRESSED, True, True, False, True),
    "硫化氢": Stock(None, COMPRESSED, True, True, True, True, 0.0, 10.0, "MAC", 100.0),
    "氯化氢": Stock(None, COMPRESSED, False, False, True, False, 0.0, 7.5, "MAC", 50.0),
    # flammable liquids at atmospheric pressure; liquid density at 20 °C
    "甲醇": Stock(791.4, ATMOSPHERIC, True, True, True, True),
    "苯": Stock(876.5, ATMOSPHERIC, True, True, True, True, 0.0, 6.0, "PC-TWA", 100.0),
    "甲苯": Stock(866.9, ATMOSPHERIC, True, True, False, True),
    "乙醇": Stock(789.3, ATMOSPHERIC, True, True, False, True),
    "丙酮": Stock(790.0, ATMOSPHERIC, True, True, False, True),
    "2-丙烯腈": Stock(806.0, ATMOSPHERIC, True, True, True, True, 0.0, 1.0, "PC-TWA", 20.0),
    "二甲苯": Stock(864.0, ATMOSPHERIC, True, True, False, True),  # mixed xylenes
    "乙酸": Stock(1049.0, ATMOSPHERIC, True, False, False, True),
    # solids in warehouses (calcium carbide gives off acetylene with water: combustible detectors)
    "氯酸钠": Stock(None, SOLID, True, True, False, False),
    "过氧化钠": Stock(None, SOLID, True, False, False, False),
    "碳化钙": Stock(None, SOLID, True, True, False, True),
}

# Filling coefficients (fraction of the geometric capacity) for the design maximum quantity:
# floating roofs 0.9, fixed roofs 0.85 (room for the breathing space under the roof), pressurised
# liquefied gases 0.9, the maximum of TSG 21-2016 for the filling of liquefied gases, and 0.85 for
# the demo's horizontal (liquid chlorine) tanks.
FILLING = {
    "internal_floating": 0.9,
    "external_floating": 0.9,
    "fixed_roof": 0.85,
    "sphere": 0.9,
    "horizontal": 0.85,
}

# Gauge design pressure (Pa) of atmospheric tanks: fixed roofs are built for a small positive
# pressure (2 kPa), floating roofs ride on the liquid.
ATMOSPHERIC_TANK_PRESSURE_PA = {"fixed_roof": 2000.0, "internal_floating": 0.0, "external_floating": 0.0}

# Tank areas of these substances (named toxic gases of GB 18218 Table 3) get a restricted-area fence.
RESTRICTED = ("氯", "氨", "硫化氢", "氯化氢", "环氧乙烷")


def design_max_kg(substance: str, tank_type: str, capacity_m3: float) -> float:
    """Design maximum quantity (kg) of a tank: capacity × liquid density × filling coefficient."""
    density = STOCKS[substance].density_kg_m3
    if density is None:
        raise ValueError(f"{substance} is not kept in tanks in the demo")
    return round(capacity_m3 * density * FILLING[tank_type], 1)
