"""Simulators: plausible live values for every sensor of a park, served over Modbus TCP and OPC UA.

``ParkModel`` computes, every step, a value for each sensor:

- tanks fill and empty: a level goes from about 20 % to 80 % and back, each tank at its own pace
  (a cycle of 20–50 minutes with holds in between); its inlet flow runs while it fills and its
  outlet flow while it empties; a second level gauge reads the same level within ±0.3 %;
- temperatures drift: a daily swing of ±3 °C around the tank's or unit's working temperature plus a
  slow random walk; pressures follow their temperature; process flows wander about their set point;
- gas detectors read a small background, and now and then a leak starts beside a random detector:
  the concentration rises for 30 s, holds 2 min and decays over 90 s, falling off with distance
  (e^(−d/12 m)), so the detectors nearest to it pass their first and second alarm levels;
- the weather station: a wind of 1–6 m/s turning slowly, a daily air temperature and humidity.

``Simulator`` serves the values: process instruments (level, temperature, pressure, flow,
humidity of warehouse rooms) from a Modbus TCP server (pymodbus), one unit id per enterprise,
float32 big-endian in holding registers 0, 2, 4, …; gas detectors and the weather station from an
OPC UA server (asyncua), one variable per sensor (``ns=2;s=<owner>/<tag>``). ``point_map`` is the
point map an agent uses to read them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from acquisition import pointmap
from acquisition.modbus import encode

log = logging.getLogger(__name__)

OPCUA_KINDS = ("combustible_gas", "toxic_gas", "oxygen", "wind_speed", "wind_direction", "air_temperature")
NAMESPACE = "urn:hazmap:simulator"


@dataclass(frozen=True)
class SimPoint:
    """A sensor as the simulator sees it (positions in metres east and north of the park's centre)."""

    key: str
    tag: str
    kind: str
    unit: str
    range_min: float | None
    range_max: float | None
    lo: float | None
    hi: float | None
    hihi: float | None
    equipment_id: int | None
    x_m: float
    y_m: float
    owner_index: int  # 0 for sensors of no enterprise
    on_tank: bool = False  # the sensor sits on a tank (its level and flows follow the filling cycle)

    @property
    def protocol(self) -> str:
        return "opcua" if self.kind in OPCUA_KINDS or self.owner_index == 0 else "modbus-tcp"


def points_from_database(sensors=None) -> list[SimPoint]:
    """Every sensor (or those of ``sensors``, a queryset) as simulator points."""
    from acquisition.models import sensor_key
    from geo.models import Sensor

    rows = list(
        (sensors if sensors is not None else Sensor.objects.all()).select_related("enterprise", "region").order_by("pk")
    )
    if not rows:
        return []
    lon0 = sum(s.location.x for s in rows) / len(rows)
    lat0 = sum(s.location.y for s in rows) / len(rows)
    owners = {e: n for n, e in enumerate(sorted({s.enterprise_id for s in rows if s.enterprise_id}), start=1)}
    metres = 111_320.0
    return [
        SimPoint(
            key=sensor_key(s),
            tag=s.tag,
            kind=s.kind,
            unit=s.unit,
            range_min=s.range_min,
            range_max=s.range_max,
            lo=s.lo,
            hi=s.hi,
            hihi=s.hihi,
            equipment_id=s.equipment_id,
            x_m=(s.location.x - lon0) * metres * math.cos(math.radians(lat0)),
            y_m=(s.location.y - lat0) * metres,
            owner_index=owners.get(s.enterprise_id, 0),
            on_tank=s.equipment_id is not None and s.equipment.kind == "tank",
        )
        for s in rows
    ]


class ParkModel:
    """Values of every point at a time (seconds since the model started); deterministic for a seed."""

    def __init__(self, points: list[SimPoint], seed: int = 7, leak_every_s: float = 600.0, first_leak_s: float = 90.0):
        self.points = points
        self.rng = np.random.default_rng(seed)
        self.leak_every_s = leak_every_s
        self.first_leak_s = first_leak_s
        n = len(points)
        low = np.array([p.range_min if p.range_min is not None else 0.0 for p in points])
        high = np.array([p.range_max if p.range_max is not None else 100.0 for p in points])
        self.low, self.span = low, np.maximum(high - low, 1e-9)
        self.kind = np.array([p.kind for p in points])
        self.xy = np.array([[p.x_m, p.y_m] for p in points]) if n else np.zeros((0, 2))
        self.gas = np.isin(self.kind, ("combustible_gas", "toxic_gas"))
        self.setpoint = np.array([self._setpoint(p) for p in points])
        self.walk = np.zeros(n)
        self.offset = self.rng.normal(0.0, 0.003, n) * self.span
        # tanks: one state per equipment with a level gauge
        tanks = sorted({p.equipment_id for p in points if p.kind == "level" and p.on_tank})
        self.tank_index = {e: i for i, e in enumerate(tanks)}
        self.tank_of = np.array([self.tank_index.get(p.equipment_id, -1) if p.on_tank else -1 for p in points])
        m = len(tanks)
        self.level = self.rng.uniform(0.25, 0.75, m)
        self.direction = self.rng.choice([-1.0, 1.0], m)
        self.rate = self.rng.uniform(0.6, 1.5, m) / 1800.0  # share of the tank per second (20–50 min a cycle)
        self.hold_until = np.zeros(m)
        self.last_t = 0.0
        self.leaks: list[tuple[float, np.ndarray]] = []  # (start time, source position)

    def _setpoint(self, p: SimPoint) -> float:
        if p.lo is not None and p.hi is not None:
            return (p.lo + p.hi) / 2
        low = p.range_min if p.range_min is not None else 0.0
        high = p.hi if p.hi is not None else (p.range_max if p.range_max is not None else 100.0)
        if p.kind == "temperature" and p.range_min is not None and p.range_min < 0 < (p.range_max or 0):
            return 20.0
        return low + 0.45 * (high - low)

    def _tanks(self, t: float, dt_s: float) -> None:
        moving = t >= self.hold_until
        self.level += np.where(moving, self.direction * self.rate * dt_s, 0.0)
        turning = ((self.level >= 0.80) & (self.direction > 0)) | ((self.level <= 0.20) & (self.direction < 0))
        for i in np.flatnonzero(turning):
            self.level[i] = min(max(self.level[i], 0.20), 0.80)
            self.direction[i] = -1.0 if self.level[i] >= 0.80 else 1.0
            self.hold_until[i] = t + self.rng.uniform(120.0, 600.0)

    def _gas(self, t: float) -> np.ndarray:
        if self.leak_every_s > 0 and self.gas.any():
            due = self.first_leak_s + len(self.leaks) * self.leak_every_s
            if t >= due:
                source = self.xy[self.rng.choice(np.flatnonzero(self.gas))]
                self.leaks.append((due, source))
                log.info("simulator: a leak starts near (%.0f m, %.0f m)", source[0], source[1])
        plume = np.zeros(len(self.points))
        for start, source in self.leaks[-3:]:
            age = t - start
            if age < 0 or age > 240:
                continue
            envelope = min(age / 30.0, 1.0) if age < 150 else max(0.0, 1.0 - (age - 150) / 90.0)
            distance = np.hypot(*(self.xy - source).T)
            plume = np.maximum(plume, envelope * np.exp(-distance / 12.0))
        return plume

    def step(self, t: float) -> np.ndarray:
        """The value of every point at ``t`` seconds (call with increasing times)."""
        dt_s = max(0.0, t - self.last_t)
        self.last_t = t
        n = len(self.points)
        self._tanks(t, dt_s)
        self.walk = 0.995 * self.walk + self.rng.normal(0.0, 0.0005, n) * np.sqrt(max(dt_s, 1e-3))
        day = math.sin(2 * math.pi * ((t / 86400.0) + 0.3))
        values = self.setpoint + self.offset + self.walk * self.span
        for i, p in enumerate(self.points):
            tank = self.tank_of[i]
            if p.kind == "level" and tank >= 0:
                values[i] = self.low[i] + self.level[tank] * self.span[i] + self.rng.normal(0.0, 0.0003) * self.span[i]
            elif p.kind == "flow" and tank >= 0:
                filling = self.direction[tank] > 0 and t >= self.hold_until[tank]
                inlet = p.tag.endswith("FT1")
                running = filling if inlet else (self.direction[tank] < 0 and t >= self.hold_until[tank])
                values[i] = (0.6 * self.span[i] + self.walk[i] * self.span[i]) if running else 0.0
            elif p.kind in ("temperature", "air_temperature"):
                values[i] += 3.0 * day
            elif p.kind == "relative_humidity":
                values[i] = 65.0 - 15.0 * day + self.walk[i] * 100
            elif p.kind == "wind_speed":
                values[i] = 3.5 + 2.0 * math.sin(t / 900.0) + self.walk[i] * 20
            elif p.kind == "wind_direction":
                values[i] = (135.0 + 40.0 * math.sin(t / 1800.0)) % 360.0
        if self.gas.any():
            plume = self._gas(t)
            peak = np.array([(p.hihi or p.hi or 0.5 * self.span[i]) * 1.4 for i, p in enumerate(self.points)])
            background = np.abs(self.walk) * self.span * 0.5 + 0.005 * self.span
            values = np.where(self.gas, background + plume * peak, values)
        return np.clip(values, self.low - 0.01 * self.span, self.low + 1.02 * self.span)


class Simulator:
    """Serves a ``ParkModel`` over Modbus TCP and OPC UA on ``host``."""

    def __init__(
        self,
        points: list[SimPoint],
        host: str = "127.0.0.1",
        modbus_port: int = 5020,
        opcua_port: int = 4840,
        update_s: float = 0.5,
        model: ParkModel | None = None,
    ) -> None:
        self.points = points
        self.host, self.modbus_port, self.opcua_port = host, modbus_port, opcua_port
        self.update_s = update_s
        self.model = model or ParkModel(points)
        self.modbus_points = [i for i, p in enumerate(points) if p.protocol == "modbus-tcp"]
        self.opcua_points = [i for i, p in enumerate(points) if p.protocol == "opcua"]
        units: dict[int, list[int]] = {}
        for i in self.modbus_points:
            units.setdefault(points[i].owner_index, []).append(i)
        self.units = {unit: indexes for unit, indexes in sorted(units.items()) if unit <= 247}
        self.registers = {unit: [0] * (2 * len(indexes) + 1) for unit, indexes in self.units.items()}
        self.values = np.zeros(len(points))
        self.ready = threading.Event()
        self._register_point = pointmap.PointSpec(key="x/x", type="float32")

    # --- the agent's view ------------------------------------------------------------------------

    def point_map(self, deadbands: dict[str, float] | None = None) -> pointmap.PointMap:
        """The point map an agent reads this simulator with (limits from the points)."""
        deadbands = deadbands or {}
        devices = []
        for unit, indexes in self.units.items():
            specs = tuple(
                pointmap.PointSpec(
                    key=self.points[i].key,
                    address=2 * n,
                    type="float32",
                    **self._limits(self.points[i], deadbands),
                )
                for n, i in enumerate(indexes)
            )
            devices.append(
                pointmap.DeviceSpec(
                    name=f"plc-{unit:03d}",
                    protocol="modbus-tcp",
                    host=self.host,
                    port=self.modbus_port,
                    unit=unit,
                    poll_s=2.0,  # the guide's slowest refresh of real-time data
                    timeout_s=2.0,
                    max_gap=0,
                    points=specs,
                )
            )
        if self.opcua_points:
            specs = tuple(
                pointmap.PointSpec(
                    key=self.points[i].key,
                    node=f"ns=2;s={self.points[i].key}",
                    sampling_interval_s=1.0,
                    deadband=0.01 * ((self.points[i].range_max or 100.0) - (self.points[i].range_min or 0.0)),
                    **self._limits(self.points[i], deadbands),
                )
                for i in self.opcua_points
            )
            devices.append(
                pointmap.DeviceSpec(
                    name="gas-detection",
                    protocol="opcua",
                    url=f"opc.tcp://{self.host}:{self.opcua_port}/hazmap/",
                    publishing_interval_s=0.5,
                    timeout_s=4.0,
                    points=specs,
                )
            )
        return pointmap.PointMap(tuple(devices), "simulator")

    @staticmethod
    def _limits(p: SimPoint, deadbands: dict[str, float]) -> dict:
        from acquisition.models import default_deadband

        return {
            "range_min": p.range_min,
            "range_max": p.range_max,
            "lo": p.lo,
            "hi": p.hi,
            "hihi": p.hihi,
            "alarm_deadband": deadbands.get(p.key, default_deadband(p.kind, p.range_min, p.range_max)),
        }

    # --- serving ---------------------------------------------------------------------------------

    def _update(self, t: float) -> None:
        self.values = self.model.step(t)
        for unit, indexes in self.units.items():
            registers = self.registers[unit]
            for n, i in enumerate(indexes):
                registers[2 * n : 2 * n + 2] = encode(float(self.values[i]), self._register_point)

    async def _modbus(self):
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        async def fill(unit, function_code, start_address, address, count, registers, values):
            source = self.registers[unit]
            registers[: len(source)] = source
            return None

        devices = [
            SimDevice(
                id=unit,
                simdata=[SimData(0, count=len(self.registers[unit]), values=0, datatype=DataType.REGISTERS)],
                action=functools.partial(fill, unit),
            )
            for unit in self.units
        ]
        server = ModbusTcpServer(devices, address=(self.host, self.modbus_port))
        await server.serve_forever(background=True)
        return server

    async def _opcua(self):
        from asyncua import Server, ua

        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://{self.host}:{self.opcua_port}/hazmap/")
        server.set_server_name("hazmap park simulator")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        index = await server.register_namespace(NAMESPACE)
        folder = await server.nodes.objects.add_folder(index, "Park")
        self.nodes = {}
        for i in self.opcua_points:
            p = self.points[i]
            node = await folder.add_variable(ua.NodeId(p.key, index), p.key, 0.0, varianttype=ua.VariantType.Double)
            self.nodes[i] = node.nodeid
        await server.start()
        return server

    async def _write_opcua(self, server) -> None:
        from asyncua import ua

        now = dt.datetime.now(dt.UTC)
        for i, nodeid in self.nodes.items():
            value = ua.DataValue(
                ua.Variant(float(self.values[i]), ua.VariantType.Double), SourceTimestamp=now, ServerTimestamp=now
            )
            await server.write_attribute_value(nodeid, value)

    async def run(self) -> None:
        """Serve until cancelled."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        self._update(0.0)
        modbus = await self._modbus() if self.units else None
        opcua = await self._opcua() if self.opcua_points else None
        log.info(
            "simulator: %d points over Modbus TCP %s:%d, %d over OPC UA opc.tcp://%s:%d/hazmap/",
            len(self.modbus_points),
            self.host,
            self.modbus_port,
            len(self.opcua_points),
            self.host,
            self.opcua_port,
        )
        self.ready.set()
        try:
            while True:
                if opcua is not None:
                    await self._write_opcua(opcua)
                await asyncio.sleep(self.update_s)
                self._update(loop.time() - started)
        finally:
            if modbus is not None:
                await modbus.shutdown()
            if opcua is not None:
                await opcua.stop()


def write_point_map(simulator: Simulator, path: Path) -> None:
    """Write the simulator's point map as a YAML file for ``hazmap acquire``."""
    path.write_text(pointmap.dumps(simulator.point_map()), encoding="utf-8")
