"""Consequence models in plain Python and NumPy (no Django): source terms, dispersion, fires, explosions.

The API the platform calls
==========================

Plain values in, shapely geometries and plain results out::

    from dispersion import DispersionInputError, Release, Weather, run, write_geotiff

    weather = Weather(wind_speed_m_s=3.0, wind_from_deg=90.0, stability="D")   # or day/insolation/cloud cover
    release = Release(
        cas="7782-50-5", kind="toxic", release="hole", storage="pressurised_liquefied",
        inventory_kg=40_000, hole_diameter_m=0.025, vessel_diameter_m=2.6,
    )
    result = run(release, weather, lon=121.33, lat=30.806)   # raises DispersionInputError on bad input

    for zone in result.zones:          # one per endpoint, the most severe first
        zone.endpoint.name             # "AEGL-2 (60 min)", "60% LEL", "5 kW/m²", "1 psi", "重伤" …
        zone.endpoint.display_value    # 2.0        → geo.ConsequenceZone.threshold
        zone.endpoint.unit             # "ppm"      → geo.ConsequenceZone.threshold_unit
        zone.endpoint.severity         # "orange"   → geo.ConsequenceZone.severity
        zone.area                      # shapely MultiPolygon in EPSG:4326 (empty when not reached)
        zone.envelope                  # the wind-direction uncertainty envelope (ALOHA's confidence lines)
        zone.max_distance_m, zone.max_width_m
        zone.local                     # the same footprint in metres about the source (x east, y north)
    result.limits                      # [Limit(code, message)]: model limits reached; show them to the user
    result.source                      # SourceTerm: rate, duration, mass, flash fraction, pool area …
    result.model                       # "gaussian_plume", "britter_mcquaid_puff", "pool_fire_solid_flame" …
    write_geotiff(result.grid(), "zone.tif")   # concentration (kg/m³), overpressure (Pa) or heat flux (W/m²)
    result.as_dict()                   # everything as JSON-able values (geometries as GeoJSON mappings)

``Release`` fields mirror ``geo.Scenario.parameters`` (SI units, absolute pressures) and ``Weather``
fields ``geo.Scenario.weather``; ``kind`` takes the values of ``geo.Scenario.Kind`` (toxic,
flammable, pool_fire, jet_fire, bleve, vce) and ``storage`` those of ``geo.Equipment.Storage``.
Every refusal is a :class:`DispersionInputError` (a ``ValueError``) with ``field``, ``value`` and
``valid`` — what is wrong and what is valid — for a 422 response. Model limits are not errors: they
are reported in ``result.limits``.

Modules, one idea each (equations and sources in their docstrings)
=================================================================

``weather``     Pasquill–Gifford stability, the power-law wind profile, :class:`Weather`
``properties``  physical properties from the ``chemicals`` library (cached per substance)
``source``      liquid and gas flow through holes, flash fraction, pools and evaporation
``sigmas``      Briggs plume and Slade puff dispersion coefficients (rural, urban)
``gaussian``    Gaussian plume and puff with ground reflection
``dense_gas``   Britter–McQuaid workbook correlations, the Richardson-number criteria
``fire``        pool fire (Yellow Book solid flame), jet fire (point source), BLEVE fireball
``explosion``   TNT equivalence (Kinney–Graham) and the Chinese textbook method (no TNO multi-energy)
``endpoints``   toxic (AEGL, ERPG, IDLH), flammable, overpressure and heat-flux levels; probits
``footprint``   polygons along the wind, local aeqd frame ↔ EPSG:4326, confidence envelope
``raster``      grids and GeoTIFF (rasterio)
``scenario``    :func:`run`: source term → model choice → zones
``errors``      :class:`DispersionInputError`, :class:`Limit`
"""

from dispersion.endpoints import Endpoint
from dispersion.errors import DispersionInputError, Limit
from dispersion.raster import Grid, write_geotiff
from dispersion.scenario import Release, Result, SourceTerm, Zone, run
from dispersion.weather import Weather

__all__ = [
    "DispersionInputError",
    "Endpoint",
    "Grid",
    "Limit",
    "Release",
    "Result",
    "SourceTerm",
    "Weather",
    "Zone",
    "run",
    "write_geotiff",
]
