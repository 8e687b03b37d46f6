"""Ingest at the centre: the one place where live data enters ``geo``.

``ingest(batch, scope)`` writes, in one transaction:

- the readings (history), each ``(sensor, time)`` once: COPY into a temporary table and
  ``INSERT … ON CONFLICT DO NOTHING`` on PostGIS (into the day's partition), ``INSERT OR IGNORE`` on
  SpatiaLite;
- the sensors' live attributes from their latest sample (``value``, ``value_time``, ``quality``),
  never moving a sensor back to an older time, and their ``alarm_state``;
- the alarms raised and cleared (``geo.Alarm``, one row per ``(sensor, kind, started_at)``, whatever
  order raise and clear arrive in);
- the live inventory of a tank from its level sensors (``acquisition.inventory``);
- the events of those changes for the map (collections ``sensors`` and ``equipment``), which bulk
  updates write and so publish here; alarm rows are saved one by one, and their save publishes them
  when the transaction commits (``layers.signals``, as for every save of a registry model).

After the transaction commits, a change of a wind sensor's live value is handed to
``geo.consequences.follow_weather``, which recomputes the zones of live scenarios whose wind moved
enough (≥ 10° or ≥ 1 m/s, or another stability class; at most every 30 s per scenario).

The same batch ingested twice changes nothing the second time. Samples that cannot be stored are
refused with a log line naming the point: a key with no sensor in the scope, a time too far in the
future (clock skew) or before the retention period; a value that is not finite is stored as no
value of bad quality.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from acquisition import inventory
from acquisition.batch import BAD, Batch, from_us, to_us
from acquisition.conf import max_clock_skew_s
from acquisition.directory import EVERYTHING, Scope, directory
from geo import consequences
from geo.events import event_for, publish_many
from geo.models import Alarm, Equipment, Event, Sensor

log = logging.getLogger(__name__)

EPOCH_NAIVE = dt.datetime(1970, 1, 1)
ALARM_UNITS = {"rate": "{unit}/s", "stale": "s"}
WIND_KINDS = (Sensor.Kind.WIND_SPEED, Sensor.Kind.WIND_DIRECTION)


@dataclass
class IngestResult:
    """What one batch changed: readings offered and stored, sensors updated, alarms, refusals."""

    samples: int = 0
    stored: int = 0
    sensors: int = 0
    raised: int = 0
    cleared: int = 0
    refused: dict[str, str] = field(default_factory=dict)


def ingest(
    batch: Batch, scope: Scope = EVERYTHING, source: str = "in-process", now: dt.datetime | None = None
) -> IngestResult:
    """Store ``batch`` for sensors within ``scope``; ``source`` names the sender in log lines."""
    now = now or timezone.now()
    result = IngestResult(samples=len(batch))
    sensors = directory(scope).resolve(batch.keys)
    by_key = dict(zip(batch.keys, sensors, strict=True))
    extra = [k for k in {*batch.states, *(a.key for a in batch.alarms)} if k not in by_key]
    if extra:
        by_key.update(zip(extra, directory(scope).resolve(extra), strict=True))
    for key, sensor in by_key.items():
        if sensor is None:
            result.refused[key] = "unknown"
            if _first_in_a_while(source, key, "unknown"):
                log.warning("%s: point %s is not a sensor this sender may write; its samples are refused", source, key)

    ids_by_key = np.array([s.pk if s is not None else 0 for s in sensors] or [0], np.int64)
    ids = ids_by_key[batch.index] if len(batch) else np.zeros(0, np.int64)
    time_us = batch.time_us
    value = batch.value.copy()
    quality = batch.quality.copy()
    keep = ids != 0
    _refuse_times(batch, time_us, keep, now, source, result)
    infinite = np.isinf(value) & keep
    if infinite.any():
        for i in np.flatnonzero(infinite)[:20]:
            log.warning(
                "%s: point %s sent %s at %s; stored as no value of bad quality",
                source,
                batch.keys[batch.index[i]],
                value[i],
                from_us(time_us[i]).isoformat(),
            )
        value[infinite] = math.nan
        quality[infinite] = BAD

    ids, time_us, value, quality = ids[keep], time_us[keep], value[keep], quality[keep]
    by_id = {s.pk: s for s in by_key.values() if s is not None}
    events: list[Event] = []
    with transaction.atomic():
        result.stored = write_readings(ids, time_us, value, quality)
        changed = update_live(ids, time_us, value, quality)
        result.sensors = len(changed)
        wind = [sensor_id for sensor_id in changed if by_id[sensor_id].kind in WIND_KINDS]
        if wind:  # live scenarios follow the wind once the new values are committed
            transaction.on_commit(functools.partial(consequences.follow_weather, wind, now), robust=True)
        live: dict[int, dict] = defaultdict(dict)
        for sensor_id, props in changed.items():
            live[sensor_id].update(props)
        states = {by_key[k].pk: entry for k, entry in batch.states.items() if by_key.get(k) is not None}
        for sensor_id, state in update_states(states).items():
            live[sensor_id]["alarm_state"] = state
        for sensor_id, props in live.items():
            if worth_publishing(by_id[sensor_id], props):
                events.append(event_for("sensors", by_id[sensor_id], props))
        apply_alarms(batch, by_key, result, source)
        events += update_inventory(ids, time_us, value, quality, by_id)
        publish_many(events)
    return result


_warned: dict[tuple[str, str, str], float] = {}


def _first_in_a_while(source: str, key: str, fault: str, every_s: float = 60.0) -> bool:
    """True at most once a minute per sender, point and fault (a misconfigured agent does not flood the log)."""
    now = time.monotonic()
    if now - _warned.get((source, key, fault), -every_s) < every_s:
        return False
    _warned[(source, key, fault)] = now
    return True


def _refuse_times(batch: Batch, time_us: np.ndarray, keep: np.ndarray, now: dt.datetime, source: str, result) -> None:
    latest = to_us(now) + int(max_clock_skew_s() * 1e6)
    earliest = to_us(now - dt.timedelta(days=settings.HAZMAP_READING_RETENTION_DAYS))
    for mask, reason in ((time_us > latest, "future"), (time_us < earliest, "past")):
        mask &= keep
        if not mask.any():
            continue
        for key_index in np.unique(batch.index[mask]):
            key = batch.keys[key_index]
            first = from_us(time_us[mask & (batch.index == key_index)][0])
            result.refused[key] = reason
            if not _first_in_a_while(source, key, reason):
                continue
            if reason == "future":
                log.warning(
                    "%s: point %s sent a sample at %s, more than %d s after the centre's clock (%s); refused",
                    source,
                    key,
                    first.isoformat(),
                    max_clock_skew_s(),
                    now.isoformat(),
                )
            else:
                log.warning(
                    "%s: point %s sent a sample at %s, before the retention period; refused",
                    source,
                    key,
                    first.isoformat(),
                )
        keep &= ~mask


# --- history -------------------------------------------------------------------------------------


def write_readings(ids: np.ndarray, time_us: np.ndarray, value: np.ndarray, quality: np.ndarray) -> int:
    """Insert readings, skipping any ``(sensor, time)`` already stored; return how many were new."""
    if not len(ids):
        return 0
    if connection.vendor == "postgresql":
        return _copy_readings(ids, time_us, value, quality)
    rows = [
        (int(i), str(EPOCH_NAIVE + dt.timedelta(microseconds=int(t))), None if v != v else float(v), int(q))
        for i, t, v, q in zip(ids.tolist(), time_us.tolist(), value.tolist(), quality.tolist(), strict=True)
    ]
    with connection.cursor() as cursor:
        before = _total_changes(cursor)
        cursor.executemany(
            "INSERT OR IGNORE INTO geo_reading (sensor_id, time, value, quality) VALUES (%s, %s, %s, %s)", rows
        )
        return _total_changes(cursor) - before


def _total_changes(cursor) -> int:
    cursor.execute("SELECT total_changes()")
    return cursor.fetchone()[0]


COPY_TABLE = "acquisition_incoming"


def _copy_readings(ids: np.ndarray, time_us: np.ndarray, value: np.ndarray, quality: np.ndarray) -> int:
    """Binary COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING into the history.

    Measured here, this is faster than a COPY straight into the partitioned history table, and it
    skips readings already stored.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {COPY_TABLE} "
            "(sensor_id bigint, t_us bigint, value double precision, quality smallint) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {COPY_TABLE} (sensor_id, t_us, value, quality) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "int8", "float8", "int2"])
            values = [None if v != v else v for v in value.tolist()]
            for row in zip(ids.tolist(), time_us.tolist(), values, quality.tolist(), strict=True):
                copy.write_row(row)
        cursor.execute(
            "INSERT INTO geo_reading (sensor_id, time, value, quality) "
            "SELECT sensor_id, TIMESTAMPTZ 'epoch' + t_us * INTERVAL '1 microsecond', value, quality "
            f"FROM {COPY_TABLE} ON CONFLICT (sensor_id, time) DO NOTHING"
        )
        stored = cursor.rowcount
        cursor.execute(f"DELETE FROM {COPY_TABLE}")
        return stored


# --- live attributes -----------------------------------------------------------------------------


def latest(ids: np.ndarray, time_us: np.ndarray) -> np.ndarray:
    """Positions of each sensor's latest sample."""
    if not len(ids):
        return np.zeros(0, np.int64)
    order = np.lexsort((time_us, ids))
    last = np.ones(len(order), bool)
    last[:-1] = ids[order][1:] != ids[order][:-1]
    return order[last]


def update_live(ids: np.ndarray, time_us: np.ndarray, value: np.ndarray, quality: np.ndarray) -> dict[int, dict]:
    """Set each sensor's value, value_time and quality from its latest sample, unless it holds a later one."""
    rows = []
    for i in latest(ids, time_us):
        v = float(value[i])
        rows.append((int(ids[i]), from_us(time_us[i]), None if math.isnan(v) else v, int(quality[i])))
    if not rows:
        return {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE geo_sensor AS s SET value = v.value, value_time = v.time, quality = v.quality "
                "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::timestamptz[]) AS time, "
                "unnest(%s::float8[]) AS value, unnest(%s::smallint[]) AS quality) AS v "
                "WHERE s.id = v.id AND (s.value_time IS NULL OR s.value_time < v.time) RETURNING s.id",
                [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]],
            )
            updated = {row[0] for row in cursor.fetchall()}
        else:
            updated = set()
            for sensor_id, time, v, q in rows:
                stamp = str(time.replace(tzinfo=None))
                cursor.execute(
                    "UPDATE geo_sensor SET value = %s, value_time = %s, quality = %s "
                    "WHERE id = %s AND (value_time IS NULL OR value_time < %s)",
                    [v, stamp, q, sensor_id, stamp],
                )
                if cursor.rowcount:
                    updated.add(sensor_id)
    return {r[0]: {"value": r[2], "value_time": r[1], "quality": r[3]} for r in rows if r[0] in updated}


# A sensor's event for the map is published when its quality or alarm state changes at once; a change
# of value only when it moved by at least EVENT_SHARE of the measuring span (any change without a
# range) and the last event is EVENT_INTERVAL_S old (the guide's slowest refresh of real-time data),
# and at least every HEARTBEAT_S. The history holds every sample; the map is not sent each one.
EVENT_SHARE = 0.005
EVENT_INTERVAL_S = 2.0
HEARTBEAT_S = 60.0
_published: dict[int, tuple[float, float | None, int | None, str | None]] = {}


def forget_published(**_kwargs) -> None:
    """Publish every sensor's next change (connected to the save and delete signals of sensors)."""
    _published.clear()


def worth_publishing(sensor: Sensor, props: dict) -> bool:
    """Whether a live change of ``sensor`` is sent to the map (and remember it when it is)."""
    now = time.monotonic()
    last = _published.get(sensor.pk)
    value = props.get("value", last[1] if last else None)
    quality = props.get("quality", last[2] if last else None)
    state = props.get("alarm_state", last[3] if last else None)
    publish = last is None or now - last[0] >= HEARTBEAT_S or (quality, state) != (last[2], last[3])
    if not publish and now - last[0] >= EVENT_INTERVAL_S:
        if value is not None and last[1] is not None:
            span = (sensor.range_max - sensor.range_min) if None not in (sensor.range_min, sensor.range_max) else 0.0
            publish = abs(value - last[1]) >= EVENT_SHARE * span if span > 0 else value != last[1]
        else:
            publish = value != last[1]
    if publish:
        _published[sensor.pk] = (now, value, quality, state)
    return publish


def update_states(states: dict[int, tuple[str, int]]) -> dict[int, str]:
    """Set alarm states that changed, unless the sensor already holds a value later than the state."""
    if not states:
        return {}
    rows = [(sensor_id, state, from_us(at)) for sensor_id, (state, at) in states.items()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE geo_sensor AS s SET alarm_state = v.state "
                "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS state, "
                "unnest(%s::timestamptz[]) AS time) AS v "
                "WHERE s.id = v.id AND s.alarm_state <> v.state AND (s.value_time IS NULL OR s.value_time <= v.time) "
                "RETURNING s.id, s.alarm_state",
                [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
            )
            return dict(cursor.fetchall())
        changed = {}
        for sensor_id, state, time in rows:
            stamp = str(time.replace(tzinfo=None))
            cursor.execute(
                "UPDATE geo_sensor SET alarm_state = %s "
                "WHERE id = %s AND alarm_state <> %s AND (value_time IS NULL OR value_time <= %s)",
                [state, sensor_id, state, stamp],
            )
            if cursor.rowcount:
                changed[sensor_id] = state
        return changed


# --- alarms --------------------------------------------------------------------------------------


def alarm_message(sensor: Sensor, kind: str, value: float | None, threshold: float | None, unit: str) -> str:
    """The alarm's one-line description, in the language active when it is raised."""
    label = dict(Alarm.Kind.choices)[kind]
    if value is None or threshold is None:
        return _("%(tag)s %(name)s: %(kind)s") % {"tag": sensor.tag, "name": sensor.name, "kind": label}
    return _("%(tag)s %(name)s: %(kind)s, %(value).4g %(unit)s (limit %(threshold).4g %(unit)s)") % {
        "tag": sensor.tag,
        "name": sensor.name,
        "kind": label,
        "value": value,
        "threshold": threshold,
        "unit": unit,
    }


def apply_alarms(batch: Batch, sensors: dict[str, Sensor | None], result: IngestResult, source: str) -> None:
    """Create or close the alarm rows of the batch's alarm changes (each save publishes its event)."""
    for change in batch.alarms:
        sensor = sensors.get(change.key)
        if sensor is None:
            log.warning(
                "%s: alarm %s of point %s refused: no such sensor for this sender", source, change.kind, change.key
            )
            continue
        existing = Alarm.objects.filter(sensor=sensor, kind=change.kind, started_at=change.started_at).first()
        if existing is None:
            unit = ALARM_UNITS.get(change.kind, "{unit}").format(unit=sensor.unit)
            alarm = Alarm(
                region=sensor.region,
                enterprise=sensor.enterprise,
                hazard_source_id=sensor.hazard_source_id,
                sensor=sensor,
                kind=change.kind,
                level=change.level,
                value=change.value,
                threshold=change.threshold,
                unit=unit[:8],
                started_at=change.started_at,
                ended_at=change.ended_at,
                location=sensor.location,
                message=alarm_message(sensor, change.kind, change.value, change.threshold, unit)[:300],
            )
            alarm.save()
            result.raised += 1
            result.cleared += change.ended_at is not None
        elif change.ended_at is not None and existing.ended_at is None:
            existing.ended_at = max(change.ended_at, existing.started_at)
            existing.save(update_fields=["ended_at"])
            result.cleared += 1


# --- tank inventory ------------------------------------------------------------------------------


def update_inventory(
    ids: np.ndarray, time_us: np.ndarray, value: np.ndarray, quality: np.ndarray, sensors: dict[int, Sensor]
) -> list[Event]:
    """Set the live inventory of tanks whose level sensors sent a good or uncertain value."""
    latest_level: dict[int, tuple[int, float, Sensor]] = {}
    for i in latest(ids, time_us):
        sensor = sensors.get(int(ids[i]))
        if sensor is None or sensor.kind != Sensor.Kind.LEVEL or sensor.equipment_id is None:
            continue
        if quality[i] == BAD or math.isnan(value[i]):
            continue
        known = latest_level.get(sensor.equipment_id)
        if known is None or time_us[i] > known[0]:
            latest_level[sensor.equipment_id] = (int(time_us[i]), float(value[i]), sensor)
    events = []
    for equipment_id, (_time, level, sensor) in latest_level.items():
        tank = sensor.equipment
        substance = tank.substance
        kg = inventory.inventory_kg(
            level,
            sensor.unit,
            tank.tank_type,
            tank.capacity_m3,
            substance.liquid_density_kg_m3 if substance else None,
            tank.height_m,
            tank.diameter_m,
        )
        if kg is None:
            continue
        kg = round(kg, 1)
        if tank.inventory_kg is not None and abs(tank.inventory_kg - kg) < 0.05:
            continue
        Equipment.objects.filter(pk=equipment_id).update(inventory_kg=kg)
        tank.inventory_kg = kg
        events.append(event_for("equipment", tank, {"inventory_kg": kg}, location=tank.footprint.centroid))
    return events
