"""Samples, alarm changes and the compact batch that carries them from the agent to the centre.

A sample is one value of one point: the sensor's key (``owner/tag``: the enterprise's credit code,
or the region's code for a sensor of no enterprise, then the sensor's tag), a UTC time, a value in
the sensor's unit (None when there is none) and a quality (``geo.models.Quality``: 0 good,
1 uncertain, 2 bad). A batch holds many samples as columns (NumPy arrays), the alarm state of each
sensor after its last sample, and the alarms raised and cleared; ``encode`` packs it into a few bytes
per sample (columns, time as deltas, zlib), ``decode`` refuses anything malformed with a
``BatchError`` that says what.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

GOOD, UNCERTAIN, BAD = 0, 1, 2
QUALITIES = (GOOD, UNCERTAIN, BAD)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)

# Alarm kinds the rules raise and the sensor alarm states they lead to (geo.Alarm.Kind, geo.Sensor.AlarmState).
ALARM_KINDS = ("hi", "hihi", "lo", "lolo", "rate", "stale", "offline", "bad_quality")
ALARM_STATES = ("normal", "lolo", "lo", "hi", "hihi", "offline", "bad_quality")

MAGIC = b"HZB1"
MAX_DECODED_BYTES = 256 * 1024 * 1024  # a batch never unpacks to more than this (refuses zip bombs)


class BatchError(ValueError):
    """A batch that cannot be read; the message says what is wrong with it."""


def to_us(moment: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return (moment - EPOCH) // MICROSECOND


def from_us(us: int) -> dt.datetime:
    """The aware UTC datetime of microseconds since 1970-01-01 UTC."""
    return EPOCH + dt.timedelta(microseconds=int(us))


@dataclass(frozen=True)
class Sample:
    """One value of one point, in the sensor's unit; ``value`` None when the device gave none."""

    key: str
    time: dt.datetime
    value: float | None
    quality: int = GOOD


@dataclass(frozen=True)
class AlarmChange:
    """An alarm raised (``ended_at`` None) or cleared, with the value and threshold that caused it.

    ``(key, kind, started_at)`` names the alarm: a clear carries the same ``started_at`` as its raise.
    ``level`` is 1 (first-level) or 2 (second-level); thresholds are in the sensor's unit (a rate
    of change in unit per second, stale data in seconds).
    """

    key: str
    kind: str
    level: int
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    value: float | None = None
    threshold: float | None = None


@dataclass
class Batch:
    """Samples as columns, plus alarm states and alarm changes.

    ``index[i]`` points into ``keys``; ``time_us`` is microseconds since 1970 UTC; ``value`` is NaN
    where a sample has no value. ``states`` maps a key to ``(alarm state, time in µs)``: the state of
    the sensor's alarms as of that time.
    """

    keys: list[str] = field(default_factory=list)
    index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    time_us: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    quality: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    states: dict[str, tuple[str, int]] = field(default_factory=dict)
    alarms: list[AlarmChange] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.index)

    @classmethod
    def of(
        cls,
        samples: Iterable[Sample],
        states: dict[str, tuple[str, int]] | None = None,
        alarms: Iterable[AlarmChange] = (),
    ) -> Batch:
        """A batch of ``samples`` (in their order), with alarm states and changes."""
        samples = list(samples)
        positions: dict[str, int] = {}
        index = [positions.setdefault(s.key, len(positions)) for s in samples]
        return cls(
            keys=list(positions),
            index=np.array(index, np.uint32),
            time_us=np.array([to_us(s.time) for s in samples], np.int64),
            value=np.array([math.nan if s.value is None else s.value for s in samples], np.float64),
            quality=np.array([s.quality for s in samples], np.uint8),
            states=dict(states or {}),
            alarms=list(alarms),
        )

    def samples(self) -> Iterator[Sample]:
        """The samples one by one (for tests and logs; ingest works on the columns)."""
        for i, t, v, q in zip(self.index, self.time_us, self.value, self.quality, strict=True):
            yield Sample(self.keys[i], from_us(t), None if math.isnan(v) else float(v), int(q))

    @classmethod
    def concat(cls, batches: Iterable[Batch]) -> Batch:
        """One batch holding the samples, states and alarms of ``batches`` in their order."""
        batches = [b for b in batches]
        if len(batches) == 1:
            return batches[0]
        positions: dict[str, int] = {}
        indexes = []
        for b in batches:
            remap = np.array([positions.setdefault(k, len(positions)) for k in b.keys] or [0], np.uint32)
            indexes.append(remap[b.index] if len(b.index) else b.index)
        states: dict[str, tuple[str, int]] = {}
        for b in batches:
            for key, (state, at) in b.states.items():
                if key not in states or at >= states[key][1]:
                    states[key] = (state, at)
        return cls(
            keys=list(positions),
            index=np.concatenate(indexes) if indexes else np.zeros(0, np.uint32),
            time_us=np.concatenate([b.time_us for b in batches]) if batches else np.zeros(0, np.int64),
            value=np.concatenate([b.value for b in batches]) if batches else np.zeros(0, np.float64),
            quality=np.concatenate([b.quality for b in batches]) if batches else np.zeros(0, np.uint8),
            states=states,
            alarms=[a for b in batches for a in b.alarms],
        )

    # --- wire format -----------------------------------------------------------------------------

    def encode(self, level: int = 6) -> bytes:
        """Pack into bytes: a JSON header (keys, states, alarms) and the columns, zlib-compressed.

        Times are stored as the first time and then differences, which compress to almost nothing
        for regular sampling.
        """
        alarms = [
            [
                a.key,
                a.kind,
                a.level,
                to_us(a.started_at),
                None if a.ended_at is None else to_us(a.ended_at),
                a.value,
                a.threshold,
            ]
            for a in self.alarms
        ]
        header = json.dumps(
            {"keys": self.keys, "n": len(self), "states": self.states, "alarms": alarms},
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        ).encode()
        deltas = np.diff(self.time_us, prepend=np.int64(0)).astype("<i8")
        body = b"".join(
            (
                MAGIC,
                struct.pack("<I", len(header)),
                header,
                self.index.astype("<u4").tobytes(),
                deltas.tobytes(),
                self.value.astype("<f8").tobytes(),
                self.quality.astype("u1").tobytes(),
            )
        )
        return zlib.compress(body, level)

    @classmethod
    def decode(cls, data: bytes) -> Batch:
        """Unpack ``encode``'s bytes; ``BatchError`` naming the fault when they are not a valid batch."""
        try:
            inflater = zlib.decompressobj()
            body = inflater.decompress(data, MAX_DECODED_BYTES)
        except zlib.error as error:
            raise BatchError(f"the batch is not zlib data ({error})") from None
        if inflater.unconsumed_tail:
            raise BatchError(f"the batch unpacks to more than {MAX_DECODED_BYTES} bytes")
        if body[:4] != MAGIC or len(body) < 8:
            raise BatchError("the batch does not start with the HZB1 marker")
        (header_len,) = struct.unpack_from("<I", body, 4)
        try:
            header = json.loads(body[8 : 8 + header_len])
            keys, n, states, alarms = header["keys"], header["n"], header["states"], header["alarms"]
        except (ValueError, KeyError, TypeError):
            raise BatchError("the batch header is not the expected JSON object") from None
        if not (isinstance(keys, list) and all(isinstance(k, str) and k for k in keys)):
            raise BatchError("the batch keys must be a list of non-empty strings")
        if not isinstance(n, int) or n < 0 or len(body) != 8 + header_len + n * 21:
            raise BatchError(f"the batch announces {n!r} samples but holds {len(body) - 8 - header_len} bytes of them")
        at = 8 + header_len
        index = np.frombuffer(body, "<u4", n, at).astype(np.uint32)
        time_us = np.cumsum(np.frombuffer(body, "<i8", n, at + 4 * n)).astype(np.int64)
        value = np.frombuffer(body, "<f8", n, at + 12 * n).astype(np.float64)
        quality = np.frombuffer(body, "u1", n, at + 20 * n).astype(np.uint8)
        if n and int(index.max()) >= len(keys):
            raise BatchError("a sample points to a key the batch does not list")
        if n and int(quality.max()) > BAD:
            raise BatchError("a sample has a quality other than 0 (good), 1 (uncertain) or 2 (bad)")
        return cls(keys, index, time_us, value, quality, _states(states), _alarms(alarms))


def _states(raw) -> dict[str, tuple[str, int]]:
    if not isinstance(raw, dict):
        raise BatchError("the batch states must be an object")
    states = {}
    for key, entry in raw.items():
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] in ALARM_STATES and isinstance(entry[1], int)):
            raise BatchError(f"the alarm state of {key} is not [state, time]: {entry!r}")
        states[key] = (entry[0], entry[1])
    return states


def _alarms(raw) -> list[AlarmChange]:
    if not isinstance(raw, list):
        raise BatchError("the batch alarms must be a list")
    changes = []
    for entry in raw:
        try:
            key, kind, level, start, end, value, threshold = entry
            if not isinstance(key, str) or kind not in ALARM_KINDS or level not in (1, 2):
                raise ValueError
            changes.append(
                AlarmChange(
                    key,
                    kind,
                    level,
                    from_us(start),
                    None if end is None else from_us(end),
                    None if value is None else float(value),
                    None if threshold is None else float(threshold),
                )
            )
        except (ValueError, TypeError, OverflowError):
            raise BatchError(
                f"an alarm change is not [key, kind, level, start, end, value, threshold]: {entry!r}"
            ) from None
    return changes
