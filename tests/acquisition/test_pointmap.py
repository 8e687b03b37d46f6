"""The point map file: read into devices and points, every fault reported with its line before anything runs."""

from __future__ import annotations

import textwrap

import pytest

from acquisition import pointmap
from acquisition.pointmap import PointMapError

GOOD = textwrap.dedent(
    """\
    owner: 91310116000000001X
    devices:
      - name: plc
        protocol: modbus-tcp
        host: 127.0.0.1
        port: 5020
        word_order: little
        points:
          - sensor: T101-LT1
            address: 0
            type: float32
            hi: 90
            hihi: 95
          - sensor: T101-XV1
            table: coil
            address: 3
      - name: gds
        protocol: opcua
        url: opc.tcp://127.0.0.1:4840
        points:
          - sensor: 310116P01/WS-01
            node: ns=2;s=WS-01
            deadband: 0.2
    """
)


def test_a_good_point_map_gives_devices_points_keys_and_limits():
    pm = pointmap.loads(GOOD)
    plc, gds = pm.devices
    assert (plc.name, plc.protocol, plc.host, plc.port, plc.unit, plc.poll_s) == (
        "plc",
        "modbus-tcp",
        "127.0.0.1",
        5020,
        1,
        1.0,
    )
    level, valve = plc.points
    assert (level.key, level.type, level.word_order, level.registers, level.line) == (
        "91310116000000001X/T101-LT1",
        "float32",
        "little",
        2,
        9,
    )
    assert (valve.table, valve.type) == ("coil", "bool")
    assert gds.points[0].key == "310116P01/WS-01"
    assert pm.limits()["91310116000000001X/T101-LT1"].hihi == 95.0


def test_dumping_and_reading_again_gives_the_same_map():
    pm = pointmap.loads(GOOD)
    again = pointmap.loads(pointmap.dumps(pm, owner="91310116000000001X"))
    strip = lambda m: [(d.name, [p.__class__(**{**p.__dict__, "line": None}) for p in d.points]) for d in m.devices]  # noqa: E731
    assert strip(again) == strip(pm)


def faults(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(PointMapError) as caught:
        pointmap.loads(textwrap.dedent(text), "agent.yaml")
    return caught.value.errors


def test_every_fault_is_reported_at_its_line():
    errors = faults(
        """\
        owner: 91310116000000001X
        devices:
          - name: plc
            protocol: modbus-tcp
            host: 127.0.0.1
            prot: 5020
            points:
              - sensor: T101-LT1
                address: 0
                type: flaot32
              - sensor: T101-LT2
                address: 70000
              - sensor: T101-TT1
                table: coil
                address: 4
                type: float32
        """
    )
    assert [(line, where) for line, where, _ in errors] == [
        (6, "devices[0].prot"),
        (10, "devices[0].points[0].type"),
        (12, "devices[0].points[1].address"),
        (16, "devices[0].points[2].type"),
    ]
    assert "did you mean “port”" in errors[0][2]
    assert "“flaot32” is not one of int16" in errors[1][2]
    assert "70000 is above the maximum 65535" in errors[2][2]
    assert "use type bool" in errors[3][2]


def test_the_error_message_names_the_file_and_line():
    with pytest.raises(PointMapError) as caught:
        pointmap.loads("devices: []\n", "agent.yaml")
    assert str(caught.value) == "agent.yaml:1: devices: give a list of devices"


def test_registers_read_twice_and_sensors_mapped_twice_are_refused():
    errors = faults(
        """\
        owner: X1
        devices:
          - name: plc
            protocol: modbus-tcp
            host: h
            points:
              - {sensor: A, address: 0, type: float32}
              - {sensor: B, address: 1, type: int16}
              - {sensor: A, address: 9, type: int16}
        """
    )
    messages = {(line, message) for line, _, message in errors}
    assert (9, "X1/A is also read on line 7") in messages
    assert (8, "holding 1 is already read for A") in messages


def test_limits_out_of_order_and_settings_of_another_protocol_are_refused():
    errors = faults(
        """\
        owner: X1
        devices:
          - name: gds
            protocol: opcua
            url: opc.tcp://h:4840
            unit: 3
            points:
              - {sensor: A, node: "ns=2;s=A", hi: 50, hihi: 25}
              - {sensor: B, node: "not a node"}
        """
    )
    messages = {(line, message) for line, _, message in errors}
    assert (6, "does not apply to opcua devices") in messages
    assert (8, "hihi (25) must be above hi (50)") in messages
    assert any(line == 9 and "not an OPC UA node id" in m for line, m in messages)


def test_security_without_certificate_and_broken_yaml_are_refused():
    errors = faults(
        """\
        devices:
          - name: gds
            protocol: opcua
            url: opc.tcp://h:4840
            security: Basic256Sha256
            points:
              - {sensor: X1/A, node: "ns=2;s=A"}
        """
    )
    assert {m for _, _, m in errors} == {
        "give Sign or SignAndEncrypt with a security policy",
        "a security policy needs the agent's certificate and private_key",
    }
    broken = faults("devices:\n  - name: [unclosed\n")
    assert broken[0][0] == 3 and "not valid YAML" in broken[0][2]


def test_a_sensor_without_owner_is_refused():
    errors = faults(
        """\
        devices:
          - {name: plc, protocol: modbus-tcp, host: h, points: [{sensor: A, address: 0}]}
        """
    )
    assert errors == [(2, "devices[0].points[0].sensor", "give owner/tag, or the owner of the device or of the map")]


def test_the_sample_agent_file_shipped_with_hazmap_is_valid():
    from pathlib import Path

    from acquisition.agent import load_config

    config = load_config(Path(pointmap.__file__).parent / "data" / "agent.sample.yaml")
    assert (config.gateway, config.uplink, len(config.point_map.points())) == (
        "GW-310116-0001",
        "mqtt://broker.example.cn:1883",
        6,
    )
