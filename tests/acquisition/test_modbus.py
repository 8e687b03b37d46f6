"""The Modbus connector: polling groups, number formats, a Modbus TCP server hazmap did not write (modbus-serial)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from acquisition import pointmap
from acquisition.agent import Agent
from acquisition.batch import BAD, GOOD, Batch
from acquisition.modbus import ModbusConnector, decode, encode, plan
from acquisition.outbox import Outbox
from tests.acquisition.conftest import free_port
from tests.acquisition.peers import Peer
from tests.acquisition.test_opcua import Sink, until
from tests.acquisition.test_uplink import wait_for

OWNER = "91310116000000001X"


def points(text: str) -> list[pointmap.PointSpec]:
    return list(
        pointmap.loads(
            f"owner: {OWNER}\ndevices:\n  - name: plc\n    protocol: modbus-tcp\n    host: h\n    points:\n{text}"
        ).points()
    )


def test_neighbouring_registers_are_read_in_one_request_and_far_ones_apart():
    requests = plan(
        points(
            """
      - {sensor: A, address: 0, type: float32}
      - {sensor: B, address: 2, type: int16}
      - {sensor: C, address: 8, type: float64}
      - {sensor: D, address: 40, type: uint16}
      - {sensor: E, address: 3, table: input, type: int16}
      - {sensor: F, address: 7, table: coil}
"""
        ),
        max_gap=8,
    )
    assert [(r.table, r.address, r.count, [p.tag for p in r.points]) for r in requests] == [
        ("holding", 0, 12, ["A", "B", "C"]),
        ("holding", 40, 1, ["D"]),
        ("input", 3, 1, ["E"]),
        ("coil", 7, 1, ["F"]),
    ]


def test_a_request_never_exceeds_125_registers():
    many = "".join(f"      - {{sensor: P{n}, address: {2 * n}, type: float32}}\n" for n in range(100))
    requests = plan(points(many), max_gap=8)
    assert [r.count for r in requests] == [124, 76]


# IEEE 754 single precision: 123.456 is 0x42F6E979 (A=42 B=F6 C=E9 D=79).
@pytest.mark.parametrize(
    ("byte_order", "word_order", "registers"),
    [
        ("big", "big", [0x42F6, 0xE979]),  # ABCD
        ("big", "little", [0xE979, 0x42F6]),  # CDAB
        ("little", "big", [0xF642, 0x79E9]),  # BADC
        ("little", "little", [0x79E9, 0xF642]),  # DCBA
    ],
)
def test_float32_is_read_in_each_byte_and_word_order(byte_order, word_order, registers):
    (point,) = points(
        f"      - {{sensor: A, address: 0, type: float32, byte_order: {byte_order}, word_order: {word_order}}}\n"
    )
    assert decode(registers, point) == pytest.approx(123.456, rel=1e-7)
    assert encode(123.456, point) == registers


@pytest.mark.parametrize(
    ("kind", "registers", "value"),
    [
        ("int16", [0xFFFE], -2),
        ("uint16", [0xFFFE], 65534),
        ("int32", [0xFFFF, 0xFFFE], -2),
        ("uint32", [0x0001, 0x0000], 65536),
        ("float64", [0x4009, 0x21FB, 0x5444, 0x2D18], 3.141592653589793),  # π, IEEE 754 double 0x400921FB54442D18
    ],
)
def test_integer_and_double_formats(kind, registers, value):
    (point,) = points(f"      - {{sensor: A, address: 0, type: {kind}}}\n")
    assert decode(registers, point) == value


def test_scale_and_offset_turn_raw_counts_into_the_sensors_unit():
    (point,) = points("      - {sensor: A, address: 0, type: int16, scale: 0.1, offset: -40}\n")
    assert decode([652], point) == pytest.approx(25.2)


def device(port: int, extra: str = "") -> pointmap.DeviceSpec:
    return pointmap.loads(
        f"""
owner: {OWNER}
devices:
  - name: plc
    protocol: modbus-tcp
    host: 127.0.0.1
    port: {port}
    poll_s: 0.2
    timeout_s: 0.5
    retries: 0
    max_gap: 0
{extra}
    points:
      - {{sensor: T1-LT1, address: 0, type: float32}}
      - {{sensor: T1-TT1, address: 2, type: int16, scale: 0.1}}
      - {{sensor: T1-XV1, table: coil, address: 3}}
      - {{sensor: T1-PT1, address: 50, type: int16}}
"""
    ).devices[0]


def run(connector, sink, scenario) -> None:
    async def main():
        task = asyncio.create_task(connector.run(sink))
        try:
            await scenario()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


@pytest.fixture
def modbus_serial():
    started = []

    def start(port=None, **registers) -> Peer:
        port = port or free_port()
        peer = Peer("modbus_server.js", {"port": port, "unit": 1, **registers})
        peer.port = port
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()


def test_values_are_read_from_modbus_serial_and_a_refused_address_marks_only_its_point_bad(modbus_serial):
    (level,) = points("      - {sensor: X, address: 0, type: float32}\n")
    registers = encode(42.5, level)
    peer = modbus_serial(holding={"0": registers[0], "1": registers[1], "2": 253}, coils={"3": True})
    sink = Sink()

    async def scenario():
        await until(lambda: len({s.key for s in sink.received}) == 4, what="every point")

    run(ModbusConnector(device(peer.port)), sink, scenario)
    latest = {s.key.split("/")[1]: (s.value, s.quality) for s in sink.received}
    assert latest == {
        "T1-LT1": (42.5, GOOD),
        "T1-TT1": (pytest.approx(25.3), GOOD),
        "T1-XV1": (1.0, GOOD),
        "T1-PT1": (None, BAD),  # address 50 answers with exception 2
    }


def test_a_server_that_goes_away_is_reported_offline_and_polled_again_when_back(modbus_serial):
    peer = modbus_serial(holding={"0": 0, "1": 0, "2": 1, "50": 0}, coils={"3": False})
    port = peer.port
    sink = Sink()

    async def scenario():
        await until(lambda: sink.received, what="a first poll")
        peer.stop()
        await until(lambda: sink.outages, what="the outage")
        modbus_serial(port=port, holding={"0": 0, "1": 0, "2": 7, "50": 0}, coils={"3": False})
        await until(
            lambda: (f"{OWNER}/T1-TT1", 0.7) in {(s.key, s.value and round(s.value, 6)) for s in sink.received},
            timeout=30,
        )

    run(ModbusConnector(device(port)), sink, scenario)
    assert set(sink.outages[0][0]) == {f"{OWNER}/T1-LT1", f"{OWNER}/T1-TT1", f"{OWNER}/T1-XV1", f"{OWNER}/T1-PT1"}


def test_an_unreachable_device_is_offline_and_the_connector_keeps_trying():
    sink = Sink()

    async def scenario():
        await until(lambda: len(sink.outages) >= 2, timeout=10, what="two attempts")

    run(ModbusConnector(device(free_port())), sink, scenario)
    assert "cannot connect" in sink.outages[0][1]


def test_rtu_frames_over_tcp_are_read_from_a_pymodbus_server():
    """A serial device behind a serial-to-Ethernet server: Modbus RTU framing (with CRC) on a TCP socket."""
    from pymodbus import FramerType
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    port = free_port()
    (level,) = points("      - {sensor: X, address: 0, type: float32}\n")
    spec = pointmap.loads(
        f"""
owner: {OWNER}
devices:
  - {{name: rtu, protocol: modbus-tcp, framer: rtu, host: 127.0.0.1, port: {port}, unit: 7, poll_s: 0.2, points: [
      {{sensor: T1-LT1, address: 0, type: float32}}]}}
"""
    ).devices[0]
    sink = Sink()

    async def scenario():
        registers = encode(61.25, level)
        device = SimDevice(id=7, simdata=[SimData(0, values=[*registers, 0], datatype=DataType.REGISTERS)])
        server = ModbusTcpServer([device], framer=FramerType.RTU, address=("127.0.0.1", port))
        await server.serve_forever(background=True)
        try:
            task = asyncio.create_task(ModbusConnector(spec).run(sink))
            await until(lambda: sink.received, what="a value over RTU framing")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        finally:
            await server.shutdown()

    asyncio.run(scenario())
    assert (sink.received[0].value, sink.received[0].quality) == (61.25, GOOD)


def test_discrete_inputs_are_read_with_their_own_function_apart_from_coils(modbus_serial):
    peer = modbus_serial(coils={"3": False, "4": False}, discrete={"3": True, "4": False})
    spec = pointmap.loads(
        f"""
owner: {OWNER}
devices:
  - {{name: plc, protocol: modbus-tcp, host: 127.0.0.1, port: {peer.port}, poll_s: 0.1, points: [
      {{sensor: GD-001-FLT, table: discrete, address: 3}},
      {{sensor: GD-002-FLT, table: discrete, address: 4}},
      {{sensor: T1-XV1, table: coil, address: 3}}]}}
"""
    ).devices[0]
    connector = ModbusConnector(spec)
    assert [(r.table, r.address, r.count) for r in connector.requests] == [("coil", 3, 1), ("discrete", 3, 2)]
    sink = Sink()

    def latest() -> dict:
        return {s.key.split("/")[1]: (s.value, s.quality) for s in sink.received}

    async def scenario():
        await until(lambda: len(latest()) == 3, what="every point")
        assert latest() == {"GD-001-FLT": (1.0, GOOD), "GD-002-FLT": (0.0, GOOD), "T1-XV1": (0.0, GOOD)}
        peer.send({"discrete": {"4": True}})
        await until(lambda: latest()["GD-002-FLT"] == (1.0, GOOD), what="the changed input")

    run(connector, sink, scenario)
    assert latest()["T1-XV1"] == (0.0, GOOD)


class SilentDevice:
    """A TCP server that accepts connections and reads every request but never answers (a hung gateway).

    ``requests[i]`` counts the Modbus TCP frames (MBAP header: length in bytes 4–5) of the i-th connection.
    """

    def __init__(self) -> None:
        self.requests: list[int] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> SilentDevice:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = len(self.requests)
        self.requests.append(0)
        try:
            while True:
                header = await reader.readexactly(6)
                await reader.readexactly(int.from_bytes(header[4:6], "big"))
                self.requests[connection] += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def stop(self) -> None:
        self.server.close()


def test_a_device_that_accepts_but_never_answers_is_retried_reported_offline_and_tried_again():
    sink = Sink()
    silent = SilentDevice()

    async def scenario():
        await silent.start()
        spec = pointmap.loads(
            f"""
owner: {OWNER}
devices:
  - {{name: hung, protocol: modbus-tcp, host: 127.0.0.1, port: {silent.port}, timeout_s: 0.3, retries: 2,
      points: [{{sensor: T1-LT1, address: 0, type: int16}}]}}
"""
        ).devices[0]
        task = asyncio.create_task(ModbusConnector(spec).run(sink))
        try:
            await until(lambda: len(sink.outages) >= 2, timeout=15, what="a second attempt after the first outage")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await silent.stop()

    asyncio.run(scenario())
    assert sink.outages[0] == ((f"{OWNER}/T1-LT1",), sink.outages[0][1])
    assert "no answer from 127.0.0.1" in sink.outages[0][1]
    assert silent.requests[0] == 3  # the request and its two retries, then offline
    assert len(silent.requests) >= 2  # connected again after the backoff
    assert not sink.received


def test_the_agent_keeps_reading_its_other_devices_while_one_never_answers(modbus_serial, tmp_path):
    peer = modbus_serial(holding={"0": 17})
    outbox = Outbox(tmp_path / "outbox.sqlite3")

    def stored() -> tuple[list, list]:
        batches = [Batch.decode(c.body) for c in outbox.pending(0, max_bytes=1 << 30)]
        return [s for b in batches for s in b.samples()], [a for b in batches for a in b.alarms]

    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)  # the kernel completes the connections; nobody reads or answers
        point_map = pointmap.loads(
            f"""
owner: {OWNER}
devices:
  - {{name: good, protocol: modbus-tcp, host: 127.0.0.1, port: {peer.port}, poll_s: 0.1,
      points: [{{sensor: T1-LT1, address: 0, type: int16}}]}}
  - {{name: hung, protocol: modbus-tcp, host: 127.0.0.1, port: {hung.getsockname()[1]}, timeout_s: 0.3, retries: 1,
      points: [{{sensor: T1-PT1, address: 0}}]}}
"""
        )
        agent = Agent(point_map, outbox)
        agent.start()
        try:
            wait_for(
                lambda: sum(s.key.endswith("T1-PT1") for s in stored()[0]) >= 2,
                timeout=20,
                what="the hung device reported offline twice",
            )

            def read_after_second_outage() -> bool:
                samples = stored()[0]
                second_offline = [s.time for s in samples if s.key.endswith("T1-PT1")][1]
                return any(s.key.endswith("T1-LT1") and s.time > second_offline for s in samples)

            wait_for(read_after_second_outage, timeout=20, what="the good device read after the second outage")
        finally:
            agent.stop()
    samples, alarms = stored()
    good = [s for s in samples if s.key.endswith("T1-LT1")]
    offline = [s for s in samples if s.key.endswith("T1-PT1")]
    assert {(s.value, s.quality) for s in good} == {(17.0, GOOD)}
    assert {(s.value, s.quality) for s in offline} == {(None, BAD)}
    assert sum(s.time > offline[1].time for s in good) >= 1  # still reading after the second outage
    assert sum(offline[0].time < s.time < offline[1].time for s in good) >= 5  # and between the two
    assert [(a.key, a.kind, a.ended_at) for a in alarms] == [(f"{OWNER}/T1-PT1", "offline", None)]
