"""The simulators: plausible behaviour, served over Modbus TCP (pymodbus) and OPC UA (asyncua), read by the agent."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command

from acquisition import keys, pointmap, sm
from acquisition.agent import Agent, load_config
from acquisition.centre import Centre
from acquisition.outbox import Outbox
from acquisition.simulate import ParkModel, SimPoint, Simulator, points_from_database
from acquisition.uplink import InProcess, Uplink
from geo.models import Equipment, Reading, Sensor
from tests.acquisition.conftest import free_port
from tests.acquisition.test_uplink import wait_for


def point(tag, kind, x=0.0, y=0.0, equipment=None, on_tank=False, hi=None, hihi=None, low=0.0, high=100.0):
    return SimPoint(f"X/{tag}", tag, kind, "%", low, high, None, hi, hihi, equipment, x, y, 1, on_tank)


def test_a_tank_fills_and_empties_within_its_band_with_the_matching_flows():
    points = [
        point("T1-LT1", "level", equipment=1, on_tank=True),
        point("T1-FT1", "flow", equipment=1, on_tank=True),
        point("T1-FT2", "flow", equipment=1, on_tank=True),
    ]
    model = ParkModel(points, seed=3, leak_every_s=0)
    series = np.array([model.step(t) for t in np.arange(0, 4 * 3600, 10.0)])
    level, inlet, outlet = series.T
    assert 19.0 < level.min() < 25.0 and 75.0 < level.max() < 81.0
    change = np.diff(level)  # in 10 s filling moves 0.33–0.83 %, the gauge's noise a tenth of that
    rising, falling = change > 0.25, change < -0.25
    assert rising.any() and falling.any()
    assert (inlet[1:][rising] > 30.0).all() and (outlet[1:][rising] == 0.0).all()
    assert (outlet[1:][falling] > 30.0).all() and (inlet[1:][falling] == 0.0).all()


def test_a_leak_trips_the_detectors_next_to_it_and_not_those_far_away():
    points = [
        point("GD-1", "combustible_gas", 0, 0, hi=25, hihi=50),
        point("GD-2", "combustible_gas", 100, 0, hi=25, hihi=50),
    ]
    model = ParkModel(points, seed=1, leak_every_s=10_000, first_leak_s=60)
    model.rng = np.random.default_rng(1)
    values = {t: model.step(t) for t in np.arange(0, 400, 5.0)}
    source = model.leaks[0][1]
    near = 0 if np.allclose(source, [0, 0]) else 1
    far = 1 - near
    assert max(v[near] for v in values.values()) > 50.0  # second-level alarm
    assert max(v[far] for v in values.values()) < 25.0
    assert values[395.0][near] < 25.0  # the leak is over


def test_the_model_is_the_same_for_the_same_seed():
    points = [point("T1-LT1", "level", equipment=1, on_tank=True), point("TT", "temperature")]
    a, b = ParkModel(points, seed=5), ParkModel(points, seed=5)
    assert np.array_equal([a.step(t) for t in range(0, 100, 7)], [b.step(t) for t in range(0, 100, 7)])


@pytest.mark.django_db(transaction=True)
def test_the_agent_reads_the_simulated_park_over_modbus_and_opc_ua_into_the_database(plant, device, tmp_path):
    points = points_from_database()
    simulator = Simulator(points, "127.0.0.1", free_port(), free_port(), update_s=0.2)
    assert {p.protocol for p in points} == {"modbus-tcp", "opcua"}
    from acquisition.embedded import LoopThread

    serving = LoopThread("simulator", simulator.run)
    serving.start()
    centre = Centre(sm.generate_private_key())
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    agent = Agent(
        simulator.point_map(),
        outbox,
        Uplink(outbox, InProcess(centre), "GW-001", device.key, centre.public_key),
    )
    assert simulator.ready.wait(60)
    agent.start()
    try:
        own = Sensor.objects.filter(pk__in=[plant.level.pk, plant.gas.pk])  # GW-001 writes its enterprise's only
        wait_for(lambda: own.filter(value__isnull=False).count() == 2, timeout=60, what="the sensors' values")
        wait_for(lambda: Equipment.objects.get(pk=plant.tank.pk).inventory_kg is not None, what="the tank's inventory")
    finally:
        agent.stop()
        serving.stop()
    level = Sensor.objects.get(pk=plant.level.pk)
    assert 15.0 < level.value < 85.0 and level.quality == 0
    assert Reading.objects.filter(sensor=plant.gas).exists()
    assert not Reading.objects.filter(sensor=plant.other_gas).exists()


def test_the_simulators_point_map_is_a_valid_agent_file(plant, tmp_path):
    path = tmp_path / "agent.yaml"
    call_command("simulate", write_pointmap=str(path), modbus_port=15020, opcua_port=14840)
    key = tmp_path / "gw.pem"
    keys.private_key(key, create=True)
    (tmp_path / "centre.pem").write_bytes(sm.public_key_pem(sm.generate_private_key().public_key()))
    text = path.read_text()
    path.write_text(f"gateway: GW-001\nkey: gw.pem\ncentre_key: centre.pem\n{text}")
    config = load_config(path)
    assert sorted(config.point_map.keys()) == sorted(p.key for p in points_from_database())
    assert {d.protocol for d in config.point_map.devices} == {"modbus-tcp", "opcua"}
    assert config.outbox == tmp_path / "outbox.sqlite3"


def test_acquire_check_reports_the_faults_of_an_agent_file_by_line(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "agent.yaml"
    path.write_text("gateway: GW-1\nkey: k.pem\nuplink: ftp://x\ndevices:\n  - {name: a, protocol: modbus}\n")
    with pytest.raises(CommandError) as caught:
        call_command("acquire", config=str(path), check=True)
    message = str(caught.value)
    assert f"{path}:1: centre_key: is required" in message
    assert f"{path}:5: devices[0].protocol: “modbus” is not one of modbus-tcp, modbus-rtu, opcua" in message
    assert pointmap  # the same checker as the point map
