"""Batches: a compact encoding that gives back exactly what went in and refuses anything malformed."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib

import pytest

from acquisition.batch import BAD, GOOD, AlarmChange, Batch, BatchError, Sample

T0 = dt.datetime(2026, 11, 22, 8, 0, 0, 123456, tzinfo=dt.UTC)


def sample_batch() -> Batch:
    samples = [
        Sample("91310116000000001X/T101-LT1", T0, 42.5),
        Sample("91310116000000001X/GD-001", T0 + dt.timedelta(milliseconds=1), None, BAD),
        Sample("91310116000000001X/T101-LT1", T0 + dt.timedelta(seconds=2), 42.75, GOOD),
    ]
    alarms = [AlarmChange("91310116000000001X/GD-001", "bad_quality", 1, T0, None, None, None)]
    return Batch.of(samples, {"91310116000000001X/GD-001": ("bad_quality", 1)}, alarms)


def test_a_batch_round_trips_samples_states_and_alarms_exactly():
    batch = sample_batch()
    again = Batch.decode(batch.encode())
    assert list(again.samples()) == list(batch.samples())
    assert again.states == batch.states
    assert again.alarms == batch.alarms


def test_regular_samples_take_a_few_bytes_each():
    key = "91310116000000001X/T101-LT1"
    samples = [Sample(key, T0 + dt.timedelta(seconds=2 * i), 40.0 + (i % 7) * 0.25) for i in range(10_000)]
    assert len(Batch.of(samples).encode()) / len(samples) < 12


def test_concatenated_batches_keep_every_sample_in_order_and_the_latest_state():
    first, second = sample_batch(), sample_batch()
    second.states = {"91310116000000001X/GD-001": ("normal", 5)}
    joined = Batch.concat([first, second])
    assert list(joined.samples()) == list(first.samples()) + list(second.samples())
    assert joined.states == {"91310116000000001X/GD-001": ("normal", 5)}
    assert len(joined.alarms) == 2


def rebuilt(header: dict, columns: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return zlib.compress(b"HZB1" + struct.pack("<I", len(raw)) + raw + columns)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not zlib", "not zlib"),
        (zlib.compress(b"XXXX...."), "HZB1"),
        (rebuilt({"keys": ["a/b"], "n": 2, "states": {}, "alarms": []}, b"\0" * 21), "announces 2 samples"),
        (rebuilt({"keys": [], "n": 1, "states": {}, "alarms": []}, b"\0" * 21), "key the batch does not list"),
        (rebuilt({"keys": ["a/b"], "n": 1, "states": {}, "alarms": []}, b"\0" * 20 + b"\x07"), "quality"),
        (rebuilt({"keys": ["a/b"], "n": 0, "states": {"a/b": ["panic", 1]}, "alarms": []}, b""), "alarm state"),
        (rebuilt({"keys": ["a/b"], "n": 0, "states": {}, "alarms": [["a/b", "fire", 1, 0, None, 1, 2]]}, b""), "alarm"),
        (rebuilt({"keys": "a/b", "n": 0, "states": {}, "alarms": []}, b""), "keys"),
    ],
)
def test_a_malformed_batch_is_refused_with_what_is_wrong(data, message):
    with pytest.raises(BatchError, match=message):
        Batch.decode(data)


def test_a_zip_bomb_is_refused():
    bomb = zlib.compress(b"HZB1" + b"\0" * (300 * 1024 * 1024), 9)
    with pytest.raises(BatchError, match="more than"):
        Batch.decode(bomb)
