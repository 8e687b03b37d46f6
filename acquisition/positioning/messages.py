"""The JSON a positioning engine sends (over MQTT or HTTP push), read into ``Fix`` records.

A message is one position object, a JSON array of them, or ``{"positions": [...]}``::

    {"tag": "TAG-000001", "time": "2025-05-01T08:00:00.250+08:00",
     "lon": 121.4301, "lat": 30.8102, "floor": 1, "battery_pct": 76, "sos": false, "moving": true}

``time`` is ISO 8601 with its UTC offset, or a number of seconds since the Unix epoch; the place is
``lon``/``lat`` (degrees, WGS 84 / CGCS2000) or ``x``/``y`` (metres in the enterprise's plant grid,
``acquisition.models.PlantGrid``). ``floor``, ``battery_pct`` (0–100), ``sos`` (default false) and
``moving`` (the tag's motion sensor; absent when it has none) are optional. A message that is not
such JSON is refused whole (``MessageError``); a position with a bad field is refused alone, the
others kept.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 4 * 1024 * 1024
MAX_POSITIONS = 10_000
FIELDS = {"tag", "time", "lon", "lat", "x", "y", "floor", "battery_pct", "sos", "moving"}


class MessageError(ValueError):
    """The message as a whole cannot be read; the text says why, in the sender's terms."""


@dataclass(frozen=True)
class Fix:
    """One position of one tag as sent: either (lon, lat) or plant (x, y) is given."""

    tag: str
    time: dt.datetime
    lon: float | None = None
    lat: float | None = None
    x: float | None = None
    y: float | None = None
    floor: int | None = None
    battery_pct: float | None = None
    sos: bool = False
    moving: bool | None = None


def _number(item: dict, name: str) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(_("%(name)s must be a finite number, not %(value)r") % {"name": name, "value": value})
    return float(value)


def _time(value: object) -> dt.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                raise ValueError(_("time %(value)r has no UTC offset (e.g. +08:00)") % {"value": value})
            return moment.astimezone(dt.UTC)
    raise ValueError(
        _("time must be ISO 8601 with a UTC offset or seconds since 1970, not %(value)r") % {"value": value}
    )


def read_fix(item: object) -> Fix:
    """One position object as a ``Fix``; ``ValueError`` naming the first bad field."""
    if not isinstance(item, dict):
        raise ValueError(_("a position must be a JSON object"))
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        raise ValueError(_("unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    tag = item.get("tag")
    if not isinstance(tag, str) or not tag.strip() or len(tag) > 40:
        raise ValueError(_("tag must be the tag's id (text of at most 40 characters)"))
    if "time" not in item:
        raise ValueError(_("time is missing"))
    time = _time(item["time"])
    lon, lat, x, y = (_number(item, name) for name in ("lon", "lat", "x", "y"))
    geographic, grid = lon is not None and lat is not None, x is not None and y is not None
    if geographic == grid or (geographic and (x is not None or y is not None)) or (grid and (lon, lat) != (None, None)):
        raise ValueError(_("give either lon and lat, or plant x and y"))
    if geographic and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(_("lon %(lon)s, lat %(lat)s is not a place on Earth") % {"lon": lon, "lat": lat})
    floor = item.get("floor")
    if floor is not None and (isinstance(floor, bool) or not isinstance(floor, int) or not -100 <= floor <= 300):
        raise ValueError(_("floor must be a whole number"))
    battery = _number(item, "battery_pct")
    if battery is not None and not 0 <= battery <= 100:
        raise ValueError(_("battery_pct must be between 0 and 100"))
    flags = {}
    for name in ("sos", "moving"):
        value = item.get(name)
        if value is not None and not isinstance(value, bool):
            raise ValueError(_("%(name)s must be true or false") % {"name": name})
        flags[name] = value
    return Fix(tag.strip(), time, lon, lat, x, y, floor, battery, bool(flags["sos"]), flags["moving"])


def parse(payload: bytes | str) -> tuple[list[Fix], dict[str, str]]:
    """The positions of a message and the refused ones (``"#index tag": reason``); ``MessageError`` if unreadable."""
    if len(payload) > MAX_BYTES:
        raise MessageError(_("The message is larger than %(n)d bytes.") % {"n": MAX_BYTES})
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MessageError(_("The message is not JSON: %(error)s") % {"error": error}) from None
    if isinstance(document, dict) and "positions" in document:
        document = document["positions"]
    if not isinstance(document, dict | list) or (isinstance(document, dict) and not document):
        raise MessageError(_('The message must be a position object, an array of them, or {"positions": [...]}.'))
    items = document if isinstance(document, list) else [document]
    if len(items) > MAX_POSITIONS:
        raise MessageError(_("The message holds more than %(n)d positions.") % {"n": MAX_POSITIONS})
    fixes, refused = [], {}
    for index, item in enumerate(items):
        try:
            fixes.append(read_fix(item))
        except ValueError as error:
            tag = item.get("tag") if isinstance(item, dict) and isinstance(item.get("tag"), str) else ""
            refused[f"#{index} {tag}".strip()] = str(error)
    return fixes, refused
