"""The edge agent: connectors → checks → alarm rules → outbox, and the uplink from the outbox to the centre.

Every connector runs as a task in one asyncio loop (in its own thread) and hands its samples to the
``Collector``, which

1. checks each sample — a value that is not a finite number, or outside the point's measuring range
   by more than NAMUR NE 43 allows, is marked bad (a little outside: uncertain); a device clock
   more than ``MAX_SKEW_S`` off the agent's is replaced by the agent's time and the sample marked
   uncertain — each with a log line naming the point (at most one a minute per point and fault);
2. evaluates the alarm rules on it (``acquisition.alarms``);
3. keeps it until the next flush, every ``flush_interval_s`` (0.1 s): then the samples, the alarm
   states that changed and the alarms raised or cleared become one encoded batch, written to the
   outbox with the rules' state in one transaction, and the uplink is woken.

Nothing a device sends stops the agent: connectors catch their own faults and report the device
offline, and the agent keeps polling.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from acquisition import pointmap
from acquisition.alarms import Rules
from acquisition.batch import BAD, UNCERTAIN, AlarmChange, Batch, Sample, to_us
from acquisition.outbox import Outbox
from acquisition.pointmap import DeviceSpec, PointMap, PointMapError, PointSpec, Setting

log = logging.getLogger(__name__)

MAX_SKEW_S = 60.0  # a device clock further ahead than this is not trusted
MAX_AGE_S = 3600.0  # nor a sample older than this
# NAMUR NE 43 (4–20 mA): 3.8–20.5 mA is still a measurement (−1.25 % … +103.125 % of span);
# beyond that the signal means a failure.
NE43_LOW, NE43_HIGH = -0.0125, 0.03125


class ThrottledLog:
    """Log a fault of a point at most once per ``every_s``."""

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self._last: dict[tuple[str, str], float] = {}

    def warning(self, key: str, fault: str, message: str, *args) -> None:
        now = time.monotonic()
        if now - self._last.get((key, fault), -math.inf) >= self.every_s:
            self._last[(key, fault)] = now
            log.warning(message, *args)


class Collector:
    """Checks samples, runs the alarm rules and flushes batches to the outbox (one event-loop thread)."""

    def __init__(
        self,
        point_map: PointMap,
        outbox: Outbox,
        on_flush: Callable[[], None] = lambda: None,
        flush_interval_s: float = 0.1,
        max_samples: int = 20_000,
    ) -> None:
        self.points: dict[str, PointSpec] = {p.key: p for p in point_map.points()}
        self.outbox = outbox
        self.on_flush = on_flush
        self.flush_interval_s = flush_interval_s
        self.max_samples = max_samples
        self.rules = Rules(point_map.limits())
        self.rules.restore(outbox.state() or {})
        self.log = ThrottledLog()
        self.flushed_samples = 0
        self._samples: list[Sample] = []
        self._changes: list[AlarmChange] = []
        self._states: dict[str, tuple[str, int]] = {}
        self._sent_state: dict[str, str] = {}

    # --- input -----------------------------------------------------------------------------------

    def check(self, sample: Sample, now: dt.datetime) -> Sample:
        """The sample as it is stored: bad values and untrusted times marked (see the module's doc)."""
        key, value, quality, time_ = sample.key, sample.value, sample.quality, sample.time
        if value is not None and not math.isfinite(value):
            self.log.warning(key, "nan", "point %s: value %s is not a number; marked bad", key, value)
            value, quality = None, BAD
        if value is None:
            quality = BAD
        point = self.points.get(key)
        if value is not None and point is not None and point.range_min is not None and point.range_max is not None:
            span = point.range_max - point.range_min
            low, high = point.range_min + NE43_LOW * span, point.range_max + NE43_HIGH * span
            if value < low or value > high:
                self.log.warning(
                    key,
                    "range",
                    "point %s: %g is outside the measuring range %g…%g (NAMUR NE 43); marked bad",
                    key,
                    value,
                    point.range_min,
                    point.range_max,
                )
                quality = BAD
            elif (value < point.range_min or value > point.range_max) and quality != BAD:
                quality = max(quality, UNCERTAIN)
        skew = (time_ - now).total_seconds()
        if skew > MAX_SKEW_S or skew < -MAX_AGE_S:
            self.log.warning(
                key,
                "clock",
                "point %s: the device's time %s is %.0f s off the agent's; the agent's time is used",
                key,
                time_.isoformat(),
                skew,
            )
            time_ = now
            if quality != BAD:
                quality = UNCERTAIN
        if (value, quality, time_) == (sample.value, sample.quality, sample.time):
            return sample
        return replace(sample, value=value, quality=quality, time=time_)

    def samples(self, samples: list[Sample]) -> None:
        """Take samples from a connector."""
        now, arrived = dt.datetime.now(dt.UTC), time.monotonic()
        for sample in samples:
            sample = self.check(sample, now)
            self._samples.append(sample)
            self._changes += self.rules.sample(sample, arrived)
            self._note_state(sample.key, sample.time)
        if len(self._samples) >= self.max_samples:
            self.flush()

    def offline(self, keys: list[str], reason: str, time_: dt.datetime | None = None) -> None:
        """A device stopped answering: its points get a bad sample with no value and an offline alarm."""
        time_ = time_ or dt.datetime.now(dt.UTC)
        for key in keys:
            self._samples.append(Sample(key, time_, None, BAD))
            self._changes += self.rules.offline(key, time_)
            self._note_state(key, time_)

    def tick(self, now: dt.datetime | None = None) -> None:
        """Let time raise and clear alarms (delays, stale data)."""
        now = now or dt.datetime.now(dt.UTC)
        changes = self.rules.tick(now)
        self._changes += changes
        for change in changes:
            self._note_state(change.key, change.ended_at or change.started_at)

    def _note_state(self, key: str, at: dt.datetime) -> None:
        state = self.rules.state(key)
        if self._sent_state.get(key) != state:
            self._sent_state[key] = state
            self._states[key] = (state, to_us(at))

    # --- output ----------------------------------------------------------------------------------

    def flush(self) -> int:
        """Write what was collected as one chunk; how many samples."""
        if not (self._samples or self._changes or self._states):
            return 0
        batch = Batch.of(self._samples, self._states, self._changes)
        self.outbox.put(batch.encode(), len(batch), state=self.rules.snapshot())
        count = len(batch)
        self.flushed_samples += count
        self._samples, self._changes, self._states = [], [], {}
        self.on_flush()
        return count


def connector_for(device: DeviceSpec):
    """The connector that reads ``device``."""
    if device.protocol == "opcua":
        from acquisition.opcua import OpcUaConnector

        return OpcUaConnector(device)
    from acquisition.modbus import ModbusConnector

    return ModbusConnector(device)


class Agent:
    """Runs the connectors of a point map in a background thread, into an outbox, and its uplink."""

    def __init__(self, point_map: PointMap, outbox: Outbox, uplink=None, flush_interval_s: float = 0.1) -> None:
        self.point_map = point_map
        self.outbox = outbox
        self.uplink = uplink
        self.collector = Collector(
            point_map, outbox, on_flush=uplink.notify if uplink else (lambda: None), flush_interval_s=flush_interval_s
        )
        self.connectors = [connector_for(d) for d in point_map.devices]
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.started = threading.Event()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        tasks = [asyncio.create_task(c.run(self.collector), name=c.device.name) for c in self.connectors]
        tasks.append(asyncio.create_task(self._clock(), name="clock"))
        self.started.set()
        await self._stopped.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.collector.flush()

    async def _clock(self) -> None:
        last_tick = 0.0
        while True:
            await asyncio.sleep(self.collector.flush_interval_s)
            if time.monotonic() - last_tick >= 1.0:
                self.collector.tick()
                last_tick = time.monotonic()
            try:
                self.collector.flush()
            except Exception:
                log.exception("agent: the outbox could not be written; the samples are kept for the next flush")

    def start(self) -> None:
        """Start the connectors (and the uplink) in the background."""
        if self.uplink is not None:
            self.uplink.start()

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            try:
                self.loop.run_until_complete(self._main())
            finally:
                self.loop.close()

        self._thread = threading.Thread(target=run, name="agent", daemon=True)
        self._thread.start()
        self.started.wait(10)

    def stop(self, timeout: float = 10.0, drain_timeout_s: float = 0.0) -> None:
        """Stop the connectors, write what was collected, stop the uplink.

        With ``drain_timeout_s`` > 0 the uplink first goes on sending until the centre has acknowledged
        everything in the outbox, or that many seconds have passed (a clean shutdown); what is left
        stays in the outbox for the next start either way.
        """
        if self.loop is not None and self._stopped is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(timeout)
        if self.uplink is not None:
            if drain_timeout_s > 0:
                self.uplink.drain(drain_timeout_s)
            self.uplink.stop()


# --- the agent's file (hazmap acquire --config) ---------------------------------------------------

AGENT_FIELDS = {
    "gateway": Setting("str", required=True, help="the gateway's code, as registered at the centre"),
    "key": Setting("str", required=True, help="the gateway's SM2 private key (PEM)"),
    "centre_key": Setting("str", required=True, help="the centre's SM2 public key or certificate (PEM)"),
    "uplink": Setting("str", "in-process", help="mqtt://host:port, mqtts://host:port, or in-process"),
    "prefix": Setting("str", "hazmap", help="first level of the MQTT topics"),
    "client_id": Setting("str", help="MQTT client id (default hazmap-agent-<gateway>); keep it for the session"),
    "outbox": Setting("str", "outbox.sqlite3", help="the outbox file"),
    "outbox_max_bytes": Setting("int", 8 * 1024**3, low=1024**2),
    "flush_interval_s": Setting("float", 0.1, low=0.01, high=10.0),
    "drain_timeout_s": Setting(
        "float", 10.0, low=0.0, high=600.0, help="on a clean stop, seconds to wait for the centre to acknowledge"
    ),
}


@dataclass(frozen=True)
class AgentConfig:
    """An agent's file: its point map and the settings of its identity, uplink and outbox."""

    point_map: PointMap
    gateway: str
    key: Path
    centre_key: Path
    uplink: str
    prefix: str
    client_id: str | None
    outbox: Path
    outbox_max_bytes: int
    flush_interval_s: float
    drain_timeout_s: float


def load_config(path: str | Path) -> AgentConfig:
    """Read and check an agent's file; ``PointMapError`` lists every fault with its line."""
    path = Path(path)
    point_map = pointmap.load(path, AGENT_FIELDS)
    s = {name: point_map.settings.get(name, setting.default) for name, setting in AGENT_FIELDS.items()}
    uplink = s["uplink"]
    if uplink != "in-process":
        from django.core.exceptions import ImproperlyConfigured

        from acquisition.conf import parse_broker

        try:
            parse_broker(uplink, "uplink")
        except ImproperlyConfigured as error:
            raise PointMapError([(None, "uplink", str(error))], str(path)) from None
    here = path.parent

    def resolve(name: str) -> Path:
        value = Path(s[name])
        return value if value.is_absolute() else here / value

    return AgentConfig(
        point_map,
        s["gateway"],
        resolve("key"),
        resolve("centre_key"),
        uplink,
        s["prefix"],
        s["client_id"],
        resolve("outbox"),
        s["outbox_max_bytes"],
        s["flush_interval_s"],
        s["drain_timeout_s"],
    )


def build(config: AgentConfig) -> Agent:
    """The agent of a configuration, with its outbox and uplink (MQTT, or the centre in this process)."""
    from acquisition import keys, sm
    from acquisition.uplink import Uplink

    signer = keys.private_key(config.key)
    centre_key = sm.load_credential(config.centre_key.read_bytes()).public_key
    outbox = Outbox(config.outbox, config.outbox_max_bytes)
    if config.uplink == "in-process":
        from acquisition.centre import Centre
        from acquisition.uplink import InProcess

        transport = InProcess(Centre(keys.centre_key()))
    else:
        from acquisition.conf import parse_broker
        from acquisition.mqtt import MqttTransport

        transport = MqttTransport(parse_broker(config.uplink), config.gateway, config.prefix, config.client_id)
    uplink = Uplink(outbox, transport, config.gateway, signer, centre_key)
    return Agent(config.point_map, outbox, uplink, config.flush_interval_s)
