"""Shared set-up of acquisition tests: a small plant (a tank with a level gauge, a gas detector) and keys."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest

from acquisition import directory, sm
from acquisition.models import Gateway
from geo.models import Enterprise, Equipment, Region, Sensor
from tests import factories


@dataclass
class Plant:
    park: Region
    enterprise: Enterprise
    other: Enterprise
    tank: Equipment
    level: Sensor
    gas: Sensor
    other_gas: Sensor

    def key(self, sensor: Sensor) -> str:
        owner = sensor.enterprise.credit_code if sensor.enterprise_id else sensor.region.code
        return f"{owner}/{sensor.tag}"


@pytest.fixture
def plant(db) -> Plant:
    directory.clear_all()
    regions = factories.region_chain()
    ent = factories.enterprise(regions["park"], serial=1)
    other = factories.enterprise(regions["park"], serial=2, lon=factories.LON + 0.01)
    source = factories.hazard_source(ent)
    so2 = factories.substance(liquid_density_kg_m3=1434.0)
    tank = factories.tank(source, so2, 150_000.0, capacity_m3=100.0, diameter_m=4.0, height_m=8.0)
    level = factories.sensor(
        ent, "T1-LT1", "level", "%", equipment=tank, range_min=0.0, range_max=100.0, hi=85.0, hihi=95.0
    )
    gas = factories.sensor(ent, "GD-001", "combustible_gas", "%LEL", range_min=0.0, range_max=100.0, hi=25.0, hihi=50.0)
    other_gas = factories.sensor(other, "GD-001", "combustible_gas", "%LEL", range_min=0.0, range_max=100.0, hi=25.0)
    return Plant(regions["park"], ent, other, tank, level, gas, other_gas)


@dataclass
class Device:
    """A gateway's key pair and its registration at the centre."""

    key: sm.PrivateKey
    gateway: Gateway


@pytest.fixture
def device(plant) -> Device:
    key = sm.generate_private_key()
    gateway = Gateway.objects.create(
        code="GW-001",
        name="测试网关",
        enterprise=plant.enterprise,
        credential=sm.public_key_pem(key.public_key()).decode(),
    )
    return Device(key, gateway)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
