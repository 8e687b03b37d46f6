"""The point map in the database: devices and points checked like the file, run with the sensors' limits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from acquisition.models import Device, Point, default_deadband
from geo.models import User

pytestmark = pytest.mark.django_db


def test_a_device_is_checked_like_the_point_map_file(device):
    with pytest.raises(ValidationError) as caught:
        Device(gateway=device.gateway, name="gds", protocol="opcua").full_clean()
    assert caught.value.message_dict["url"] == ["is required for an opcua device"]
    with pytest.raises(ValidationError) as caught:
        Device(gateway=device.gateway, name="plc", protocol="modbus-tcp", host="h", poll_s=0.0).full_clean()
    assert "below the minimum" in caught.value.message_dict["poll_s"][0]


def test_a_point_runs_with_its_sensors_limits_range_and_default_deadband(plant, device):
    plc = Device.objects.create(gateway=device.gateway, name="plc", protocol="modbus-tcp", host="127.0.0.1", port=5020)
    Point.objects.create(device=plc, sensor=plant.level, address=10, type="float32", on_delay_s=5)
    spec = plc.spec()
    (point,) = spec.points
    assert (spec.host, spec.port, point.key, point.address, point.type) == (
        "127.0.0.1",
        5020,
        plant.key(plant.level),
        10,
        "float32",
    )
    limits = point.limits()
    assert (limits.hi, limits.hihi, limits.on_delay_s) == (85.0, 95.0, 5.0)
    assert limits.deadband == default_deadband("level", 0.0, 100.0) == 5.0


def test_a_point_refuses_a_bit_table_with_a_number_type(plant, device):
    plc = Device.objects.create(gateway=device.gateway, name="plc", protocol="modbus-tcp", host="h")
    with pytest.raises(ValidationError) as caught:
        Point(device=plc, sensor=plant.level, table="coil", address=1, type="float32").full_clean()
    assert "use type bool" in caught.value.message_dict["type"][0]


def test_the_admin_lists_gateways_and_devices(client, device):
    Device.objects.create(gateway=device.gateway, name="plc", protocol="modbus-tcp", host="h")
    admin = User.objects.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    for url in ("/admin/acquisition/gateway/", "/admin/acquisition/device/", "/admin/acquisition/device/add/"):
        assert client.get(url).status_code == 200


def test_a_gateways_point_map_is_written_from_the_database_and_reads_back(plant, device, tmp_path):
    from django.core.management import call_command

    from acquisition import pointmap

    plc = Device.objects.create(gateway=device.gateway, name="plc", protocol="modbus-tcp", host="10.0.0.5")
    Point.objects.create(device=plc, sensor=plant.level, address=0)
    Point.objects.create(device=plc, sensor=plant.gas, address=2, type="int16", scale=0.1, rate_limit=2.0)
    path = tmp_path / "pointmap.yaml"
    call_command("pointmap", gateway="GW-001", output=str(path))
    again = pointmap.load(path)
    assert [(p.key, p.address, p.type, p.scale, p.hi, p.rate_limit) for p in again.points()] == [
        (plant.key(plant.level), 0, "float32", 1.0, 85.0, None),
        (plant.key(plant.gas), 2, "int16", 0.1, 25.0, 2.0),
    ]
    assert path.read_text().startswith(f"owner: {plant.enterprise.credit_code}\n")
