"""Positioning settings read from the environment (the rest of ``rules.Settings`` keeps its defaults).

================================  =========  ==========================================================
variable                          default    meaning
================================  =========  ==========================================================
HAZMAP_CROWD_RADIUS_M             ``15``     a gathering: people within one disc of this radius (2023 MEM guide)
HAZMAP_CROWD_DURATION_S           ``60``     … for more than this long (2023 MEM guide)
HAZMAP_CROWD_LEVELS               ``5,10``   head-counts of the first- and second-level crowd alarm where no
                                             fence rule sets them; hazmap's choice, **not official**; ``off``:
                                             crowds raise alarms only in fences whose rule sets head-counts
HAZMAP_BATTERY_LOW_PCT            ``20``     a tag's battery below this raises a low-battery alarm
HAZMAP_VEHICLE_SPEED_LIMIT_KMH    ``20``     vehicle speed limit where no fence rule sets one (hazmap's
                                             choice; set the plant's own)
HAZMAP_POSITION_MAX_OFF_SITE_M    ``500``    positions farther than this outside the enterprise's site
                                             are refused
HAZMAP_POSITION_LOST_S            ``120``    a person not heard from for this long counts in no
                                             head-count and no crowd
================================  =========  ==========================================================
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from acquisition.conf import _float
from acquisition.positioning.rules import Settings


def crowd_levels() -> tuple[int, ...]:
    """HAZMAP_CROWD_LEVELS: one or two increasing head-counts, or ``off`` (empty tuple)."""
    raw = os.environ.get("HAZMAP_CROWD_LEVELS", "").strip().lower()
    if not raw:
        return Settings.crowd_levels
    if raw in ("off", "none", "0"):
        return ()
    try:
        levels = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ImproperlyConfigured(f"HAZMAP_CROWD_LEVELS={raw!r} is not one or two whole numbers, e.g. 5,10") from None
    if not 1 <= len(levels) <= 2 or levels[0] < 2 or (len(levels) == 2 and levels[1] <= levels[0]):
        raise ImproperlyConfigured(
            f"HAZMAP_CROWD_LEVELS={raw!r}: give the first-level head-count (at least 2) and optionally a larger second"
        )
    return levels


def settings() -> Settings:
    """The positioning settings of this process."""
    return Settings(
        crowd_radius_m=_float("HAZMAP_CROWD_RADIUS_M", Settings.crowd_radius_m, 1.0),
        crowd_duration_s=_float("HAZMAP_CROWD_DURATION_S", Settings.crowd_duration_s, 0.0),
        crowd_levels=crowd_levels(),
        battery_low_pct=(low := _float("HAZMAP_BATTERY_LOW_PCT", Settings.battery_low_pct, 0.0)),
        battery_clear_pct=low + (Settings.battery_clear_pct - Settings.battery_low_pct),
        speed_limit_m_s=_float("HAZMAP_VEHICLE_SPEED_LIMIT_KMH", Settings.speed_limit_m_s * 3.6, 1.0) / 3.6,
        max_off_site_m=_float("HAZMAP_POSITION_MAX_OFF_SITE_M", Settings.max_off_site_m, 0.0),
        lost_after_s=_float("HAZMAP_POSITION_LOST_S", Settings.lost_after_s, 1.0),
    )
