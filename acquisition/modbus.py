"""The Modbus connector (pymodbus): TCP, RTU over TCP and RTU on a serial line.

Points of a device are read in *polling groups*: per table, points are sorted by address and merged
into one request while the gap between them is at most ``max_gap`` registers and the request stays
within the protocol's limits (125 registers, 2,000 bits: Modbus Application Protocol v1.1b3 §6).
Each poll reads every group once; a group answered with an exception marks its points bad; a device
that does not answer (after ``retries`` more attempts of ``timeout_s`` each) or refuses the connection
is reported offline and tried again with a backoff of 1 s doubling up to 30 s.

Numbers: int16/uint16 (1 register), int32/uint32/float32 (2), float64 (4); ``byte_order`` big reads
each register high byte first (AB), little swaps them (BA); ``word_order`` big takes the first
register as the most significant word (ABCD), little the last (CDAB). value = raw × scale + offset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import struct
from dataclasses import dataclass

from acquisition.batch import BAD, GOOD, Sample
from acquisition.pointmap import DeviceSpec, PointSpec

log = logging.getLogger(__name__)

MAX_REGISTERS, MAX_BITS = 125, 2000
FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f", "float64": ">d"}
BACKOFF_MAX_S = 30.0


@dataclass(frozen=True)
class Request:
    """One read: a table, the first address, how many registers (or bits), and the points inside."""

    table: str
    address: int
    count: int
    points: tuple[PointSpec, ...]


def plan(points: list[PointSpec], max_gap: int = 8) -> list[Request]:
    """Polling groups: contiguous (up to ``max_gap`` unused) registers of one table read in one request."""
    requests = []
    for table in ("holding", "input", "coil", "discrete"):
        limit = MAX_BITS if table in ("coil", "discrete") else MAX_REGISTERS
        group: list[PointSpec] = []
        start = end = 0
        for point in sorted((p for p in points if p.table == table), key=lambda p: p.address):
            size = 1 if table in ("coil", "discrete") else point.registers
            if group and point.address - end <= max_gap and point.address + size - start <= limit:
                group.append(point)
                end = max(end, point.address + size)
                continue
            if group:
                requests.append(Request(table, start, end - start, tuple(group)))
            group, start, end = [point], point.address, point.address + size
        if group:
            requests.append(Request(table, start, end - start, tuple(group)))
    return requests


def decode(registers: list[int], point: PointSpec) -> float:
    """The value of a numeric point from its registers (already cut to the point), scaled."""
    words = [r & 0xFFFF for r in registers[: point.registers]]
    if point.word_order == "little":
        words.reverse()
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    if point.byte_order == "little":
        raw = b"".join(raw[i + 1 : i + 2] + raw[i : i + 1] for i in range(0, len(raw), 2))
    (number,) = struct.unpack(FORMATS[point.type], raw)
    return number * point.scale + point.offset


def encode(value: float, point: PointSpec) -> list[int]:
    """The registers holding ``value`` (before scaling) for ``point`` (simulators and tests)."""
    number = (value - point.offset) / point.scale
    if point.type not in ("float32", "float64"):
        number = round(number)
    raw = struct.pack(FORMATS[point.type], number)
    if point.byte_order == "little":
        raw = b"".join(raw[i + 1 : i + 2] + raw[i : i + 1] for i in range(0, len(raw), 2))
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    if point.word_order == "little":
        words.reverse()
    return words


class DeviceOffline(Exception):
    """The device did not answer or could not be reached."""


class ModbusConnector:
    """Polls one Modbus device."""

    def __init__(self, device: DeviceSpec) -> None:
        self.device = device
        self.requests = plan(list(device.points), device.max_gap)
        self.keys = [p.key for p in device.points]
        self.polls = 0

    def _client(self):
        from pymodbus import FramerType
        from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient

        d = self.device
        common = {"timeout": d.timeout_s, "retries": d.retries, "reconnect_delay": 0}
        if d.protocol == "modbus-rtu":
            return AsyncModbusSerialClient(
                d.serial,
                framer=FramerType.RTU,
                baudrate=d.baudrate,
                parity=d.parity,
                stopbits=d.stopbits,
                bytesize=d.bytesize,
                **common,
            )
        framer = FramerType.RTU if d.framer == "rtu" else FramerType.SOCKET
        return AsyncModbusTcpClient(d.host, port=d.port, framer=framer, **common)

    def where(self) -> str:
        d = self.device
        return d.serial if d.protocol == "modbus-rtu" else f"{d.host}:{d.port}"

    async def run(self, sink) -> None:
        """Poll until cancelled, reporting samples and outages to ``sink``."""
        backoff = 1.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                client = self._client()
            except Exception as error:  # e.g. pyserial missing for a serial line
                log.error("modbus %s: cannot be read: %s", self.device.name, error)
                sink.offline(self.keys, str(error))
                await asyncio.sleep(BACKOFF_MAX_S)
                continue
            try:
                if not await client.connect():
                    raise DeviceOffline(f"cannot connect to {self.where()}")
                log.info("modbus %s: connected to %s", self.device.name, self.where())
                backoff = 1.0
                while True:
                    started = loop.time()
                    sink.samples(await self.poll(client))
                    self.polls += 1
                    await asyncio.sleep(max(0.0, self.device.poll_s - (loop.time() - started)))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("modbus %s: offline (%s); trying again in %.0f s", self.device.name, error, backoff)
                sink.offline(self.keys, str(error))
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, BACKOFF_MAX_S)
            finally:
                client.close()

    async def poll(self, client) -> list[Sample]:
        """Read every polling group once."""
        from pymodbus.exceptions import ModbusIOException

        readers = {
            "holding": client.read_holding_registers,
            "input": client.read_input_registers,
            "coil": client.read_coils,
            "discrete": client.read_discrete_inputs,
        }
        samples = []
        for request in self.requests:
            try:
                response = await readers[request.table](
                    request.address, count=request.count, device_id=self.device.unit
                )
            except ModbusIOException as error:
                raise DeviceOffline(f"no answer from {self.where()} unit {self.device.unit}: {error}") from None
            now = dt.datetime.now(dt.UTC)
            if response.isError():
                tags = ", ".join(p.tag for p in request.points)
                log.warning(
                    "modbus %s: %s %d+%d answered with exception %s; points %s marked bad",
                    self.device.name,
                    request.table,
                    request.address,
                    request.count,
                    getattr(response, "exception_code", "?"),
                    tags,
                )
                samples += [Sample(p.key, now, None, BAD) for p in request.points]
                continue
            samples += self._values(request, response, now)
        return samples

    def _values(self, request: Request, response, now: dt.datetime) -> list[Sample]:
        samples = []
        for point in request.points:
            at = point.address - request.address
            if request.table in ("coil", "discrete"):
                bits = response.bits
                if at >= len(bits):
                    samples.append(Sample(point.key, now, None, BAD))
                    continue
                samples.append(Sample(point.key, now, (1.0 if bits[at] else 0.0) * point.scale + point.offset, GOOD))
                continue
            registers = response.registers[at : at + point.registers]
            if len(registers) < point.registers:
                log.warning("modbus %s: point %s: short answer", self.device.name, point.key)
                samples.append(Sample(point.key, now, None, BAD))
                continue
            samples.append(Sample(point.key, now, decode(registers, point), GOOD))
        return samples
