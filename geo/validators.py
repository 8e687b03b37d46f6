"""Validators for the codes, geometries, units and thresholds hazmap stores.

Each raises ``django.core.exceptions.ValidationError`` with a translated message that names the
offending value and a ``code`` that tests and API clients can rely on.
"""

from __future__ import annotations

import math
import re

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# --- geometry ------------------------------------------------------------------------------------


def validate_geometry(geom: GEOSGeometry | None) -> None:
    """Refuse empty or invalid geometries and coordinates outside longitude/latitude range.

    Geometries are stored in EPSG:4326 (longitude, latitude in degrees).
    """
    if geom is None:
        return
    if geom.empty:
        raise ValidationError(_("The geometry is empty."), code="geometry_empty")
    if geom.srid not in (None, 4326, 4490):
        raise ValidationError(
            _("The geometry must be in EPSG:4326 or EPSG:4490 (longitude, latitude), not EPSG:%(srid)s."),
            code="geometry_srid",
            params={"srid": geom.srid},
        )
    xmin, ymin, xmax, ymax = geom.extent
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise ValidationError(_("The geometry has coordinates that are not numbers."), code="geometry_nan")
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise ValidationError(
            _(
                "Coordinates must be longitude −180…180 and latitude −90…90 degrees; "
                "this geometry spans %(xmin).6f, %(ymin).6f to %(xmax).6f, %(ymax).6f "
                "(are longitude and latitude swapped, or is it in a projected CRS?)."
            ),
            code="geometry_range",
            params={"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax},
        )
    if not geom.valid:
        raise ValidationError(
            _("The geometry is not valid: %(reason)s."),
            code="geometry_invalid",
            params={"reason": geom.valid_reason},
        )


# --- codes ---------------------------------------------------------------------------------------

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 character set (no I O S V Z)
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, check character."""
    if len(value) != 18 or any(c not in CREDIT_CODE_CHARS for c in value):
        raise ValidationError(
            _(
                "“%(value)s” is not a unified social credit code: it must be 18 characters of "
                "digits and capital letters other than I, O, S, V and Z."
            ),
            code="credit_code_format",
            params={"value": value},
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("The check character of credit code “%(value)s” should be %(expected)s (GB 32100-2015)."),
            code="credit_code_check",
            params={"value": value, "expected": expected},
        )


def validate_cas(value: str) -> None:
    """CAS registry number: 2–7 digits, 2 digits, check digit, with a valid check digit."""
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", value)
    if not match:
        raise ValidationError(
            _("“%(value)s” is not a CAS number (digits-digits-digit, e.g. 7782-50-5)."),
            code="cas_format",
            params={"value": value},
        )
    digits = (match.group(1) + match.group(2))[::-1]
    check = sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10
    if check != int(match.group(3)):
        raise ValidationError(
            _("The check digit of CAS number “%(value)s” should be %(expected)s."),
            code="cas_check",
            params={"value": value, "expected": check},
        )


# GB/T 2260 administrative division codes, by level. A park (化工园区) has no GB/T 2260 code; it is
# given its county's (or city's) code followed by "P" and a two- or three-digit number.
REGION_CODE_PATTERNS = {
    "national": r"\d{6}",
    "province": r"\d{2}0000",
    "city": r"\d{4}00",
    "county": r"\d{6}",
    "park": r"\d{6}P\d{2,3}",
}


def validate_region_code(code: str, level: str, parent_code: str | None, level_label: str | None = None) -> None:
    """Check a region code against its level and its parent's code (GB/T 2260 prefixes).

    ``level_label`` is the level as users read it, for the message (default: the level's code).
    """
    pattern = REGION_CODE_PATTERNS.get(level)
    if pattern is None:
        return  # the level field reports an unknown level itself
    if not re.fullmatch(pattern, code) or (level == "county" and code.endswith("00")):
        raise ValidationError(
            _("“%(code)s” is not a valid code for a region of level “%(level)s”."),
            code="region_code",
            params={"code": code, "level": level_label or level},
        )
    if parent_code is None or level in ("national", "province"):
        return
    if level == "park":
        prefix = parent_code
    else:
        prefix = parent_code[:2] if parent_code.endswith("0000") else parent_code[:4]
    if not code.startswith(prefix):
        raise ValidationError(
            _("Region code “%(code)s” does not start with its parent's prefix “%(prefix)s”."),
            code="region_code_parent",
            params={"code": code, "prefix": prefix},
        )


# --- sensor units and thresholds -----------------------------------------------------------------

SENSOR_UNITS: dict[str, tuple[str, ...]] = {
    "level": ("m", "mm", "%"),
    "temperature": ("°C", "K"),
    "pressure": ("Pa", "kPa", "MPa"),
    "flow": ("kg/s", "t/h", "m³/h"),
    "combustible_gas": ("%LEL",),
    "toxic_gas": ("ppm", "mg/m³"),
    "oxygen": ("%VOL",),
    "wind_speed": ("m/s",),
    "wind_direction": ("°",),
    "air_temperature": ("°C", "K"),
    "relative_humidity": ("%",),
}


def validate_sensor_unit(kind: str, unit: str, kind_label: str | None = None) -> None:
    """A sensor's unit must be one of the units its kind is measured in (``kind_label`` names the kind)."""
    allowed = SENSOR_UNITS.get(kind)
    if allowed is not None and unit not in allowed:
        raise ValidationError(
            {
                "unit": ValidationError(
                    _("“%(unit)s” is not a unit for a sensor of kind “%(kind)s”; use one of: %(allowed)s."),
                    code="sensor_unit",
                    params={"unit": unit, "kind": kind_label or kind, "allowed": ", ".join(allowed)},
                )
            }
        )


def validate_thresholds(
    values: dict[str, float | None], order: tuple[str, ...], labels: dict[str, str] | None = None
) -> None:
    """Values that are set must rise strictly in ``order`` (e.g. lolo < lo < hi < hihi).

    ``values`` maps field names to numbers (None = not set); ``labels`` maps them to the names
    users read in messages (default: the field names).
    """
    labels = labels or {}
    errors: dict[str, ValidationError] = {}
    previous: tuple[str, float] | None = None
    for name in order:
        value = values.get(name)
        if value is None:
            continue
        if not math.isfinite(value):
            errors[name] = ValidationError(_("Must be a finite number."), code="not_finite")
            continue
        if previous is not None and value <= previous[1]:
            errors[name] = ValidationError(
                _("%(name)s (%(value)s) must be above %(other)s (%(other_value)s)."),
                code="threshold_order",
                params={
                    "name": labels.get(name, name),
                    "value": value,
                    "other": labels.get(previous[0], previous[0]),
                    "other_value": previous[1],
                },
            )
        previous = (name, value)
    if errors:
        raise ValidationError(errors)


def validate_within_range(
    values: dict[str, float | None], low: float | None, high: float | None, labels: dict[str, str] | None = None
) -> None:
    """Thresholds that are set must lie within the instrument's measuring range [low, high]."""
    labels = labels or {}
    errors: dict[str, ValidationError] = {}
    for name, value in values.items():
        if value is None or not math.isfinite(value):
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            errors[name] = ValidationError(
                _("%(name)s (%(value)s) lies outside the measuring range %(low)s…%(high)s."),
                code="threshold_range",
                params={"name": labels.get(name, name), "value": value, "low": low, "high": high},
            )
    if errors:
        raise ValidationError(errors)
