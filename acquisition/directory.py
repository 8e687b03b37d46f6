"""The centre's directory of sensors by wire key (``owner/tag``), within what a gateway may write.

Keys are looked up in the database the first time they are seen and kept (with the sensor's region,
enterprise and equipment, which ingest and the event stream need); an unknown key is remembered as
unknown for a while so that a misconfigured agent costs one query, not one per message. Saving or
deleting a sensor or equipment empties every directory.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db.models import Q

from geo.models import Sensor

POSITIVE_TTL_S = 600.0
NEGATIVE_TTL_S = 30.0


@dataclass(frozen=True)
class Scope:
    """Which sensors may be written: a region (and below), optionally only one enterprise's; None = all."""

    region_path: str | None = None
    enterprise_id: int | None = None

    def narrow(self, sensors):
        if self.region_path:
            sensors = sensors.filter(region__path__startswith=self.region_path)
        if self.enterprise_id is not None:
            sensors = sensors.filter(enterprise_id=self.enterprise_id)
        return sensors


EVERYTHING = Scope()


def split_key(key: str) -> tuple[str, str] | None:
    owner, sep, tag = key.partition("/")
    return (owner, tag) if sep and owner and tag else None


class Directory:
    """Sensors by key within one scope."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._found: dict[str, tuple[float, Sensor | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, keys: list[str]) -> list[Sensor | None]:
        """The sensor of each key (None when there is none in the scope)."""
        now = time.monotonic()
        with self._lock:
            missing = []
            for key in keys:
                hit = self._found.get(key)
                if hit is None or hit[0] < now:
                    missing.append(key)
            if missing:
                found = self._load(missing)
                for key in missing:
                    sensor = found.get(key)
                    self._found[key] = (now + (POSITIVE_TTL_S if sensor else NEGATIVE_TTL_S), sensor)
            return [self._found[key][1] for key in keys]

    def _load(self, keys: list[str]) -> dict[str, Sensor]:
        pairs = [p for p in (split_key(k) for k in keys) if p]
        if not pairs:
            return {}
        owners = {o for o, _ in pairs}
        tags = {t for _, t in pairs}
        rows = self.scope.narrow(
            Sensor.objects.filter(tag__in=tags).filter(
                Q(enterprise__credit_code__in=owners) | Q(enterprise__isnull=True, region__code__in=owners)
            )
        ).select_related("region", "enterprise", "equipment__substance", "equipment__hazard_source__enterprise__region")
        wanted = set(keys)
        found = {}
        for sensor in rows:
            owner = sensor.enterprise.credit_code if sensor.enterprise_id else sensor.region.code
            key = f"{owner}/{sensor.tag}"
            if key in wanted:
                found[key] = sensor
        return found

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


_directories: dict[Scope, Directory] = {}
_lock = threading.Lock()


def directory(scope: Scope) -> Directory:
    """The shared directory of ``scope``."""
    with _lock:
        found = _directories.get(scope)
        if found is None:
            found = _directories[scope] = Directory(scope)
        return found


def clear_all(**_kwargs) -> None:
    """Forget every key (connected to the save and delete signals of sensors and equipment)."""
    with _lock:
        for found in _directories.values():
            found.clear()
