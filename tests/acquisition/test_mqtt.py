"""The MQTT uplink through the Mosquitto on 127.0.0.1:1883: QoS 1, persistent sessions, acknowledgements back."""

from __future__ import annotations

import datetime as dt
import secrets
import socket

import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from acquisition import sm
from acquisition.agent import Collector
from acquisition.batch import Sample
from acquisition.centre import Centre
from acquisition.conf import Broker
from acquisition.mqtt import MqttCentre, MqttTransport
from acquisition.outbox import Outbox
from acquisition.uplink import Uplink
from geo.models import Reading
from tests.acquisition.test_uplink import point_map, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

BROKER = Broker("127.0.0.1", 1883)


@pytest.fixture(autouse=True)
def mosquitto_is_running():
    try:
        socket.create_connection((BROKER.host, BROKER.port), timeout=2).close()
    except OSError:
        pytest.fail(
            "Mosquitto is not listening on 127.0.0.1:1883 (start it: mosquitto -d -c /etc/mosquitto/mosquitto.conf)"
        )


@pytest.fixture
def names():
    """A topic prefix and client ids of this test only; their persistent sessions are removed afterwards."""
    tag = secrets.token_hex(4)
    yield f"hazmap-test-{tag}", f"centre-{tag}", f"agent-{tag}"
    for client_id in (f"centre-{tag}", f"agent-{tag}"):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        try:
            client.connect(BROKER.host, BROKER.port)
            client.loop(0.5)
            client.disconnect()
        except OSError:
            pass


def test_samples_travel_over_mqtt_and_acknowledged_chunks_leave_the_outbox(plant, device, tmp_path, names):
    prefix, centre_id, agent_id = names
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, BROKER, prefix, client_id=centre_id)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    uplink = Uplink(
        outbox, MqttTransport(BROKER, "GW-001", prefix, client_id=agent_id), "GW-001", device.key, centre.public_key
    )
    collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
    listener.start()
    uplink.start()
    try:
        wait_for(listener.connected.is_set, what="the centre to connect")
        t0 = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=200)
        for n in range(200):
            collector.samples([Sample(plant.key(plant.gas), t0 + dt.timedelta(seconds=n), float(n))])
            if n % 20 == 19:
                collector.flush()
        wait_for(uplink.idle, what="every chunk to be acknowledged")
    finally:
        uplink.stop()
        listener.stop()
    assert Reading.objects.filter(sensor=plant.gas).count() == 200
    assert uplink.acks[0] >= 1 and outbox.backlog().chunks == 0
