"""Positions over MQTT through the Mosquitto on 127.0.0.1:1883: ``{prefix}/positions/{credit code}``.

The test park of test_positioning_ingest; every test has a topic prefix and client ids of its own.
"""

from __future__ import annotations

import json

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from acquisition.positioning.ingest import Positioning
from acquisition.positioning.mqtt import PositionListener, positions_topic
from geo.models import Alarm, PersonnelTag, Position
from tests.acquisition import test_mqtt
from tests.acquisition.test_positioning_ingest import Park, at, line
from tests.acquisition.test_uplink import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

BROKER = test_mqtt.BROKER
mosquitto_is_running = test_mqtt.mosquitto_is_running  # fails the tests at once when the broker is down
names = test_mqtt.names  # a topic prefix and client ids of this test only


@pytest.fixture
def park() -> Park:
    return Park()


@pytest.fixture
def listener(names):
    prefix, centre_id, _agent_id = names
    running = PositionListener(BROKER, prefix, client_id=centre_id, positioning=Positioning())
    running.start()
    wait_for(running.connected.is_set, what="the listener to connect")
    yield running
    running.stop()


@pytest.fixture
def engine(names):
    """The positioning engine's MQTT client."""
    _prefix, _centre_id, agent_id = names
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=agent_id, clean_session=True)
    client.connect(BROKER.host, BROKER.port)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def publish(engine, topic: str, payload: bytes) -> None:
    engine.publish(topic, payload, qos=1).wait_for_publish(10)


def test_a_walk_published_over_mqtt_is_stored_and_raises_its_alarm_once(park, listener, engine, names):
    topic = positions_topic(names[0], park.enterprise.credit_code)
    track = [park.fix("TAG-1", t, x, y) for t, x, y in line(0, 50, -10.5, 39.5)]
    for start in range(0, len(track), 10):  # batches of ten positions
        publish(engine, topic, json.dumps(track[start : start + 10]).encode())
    wait_for(lambda: listener.received == 6, what="every message to be dealt with")
    assert Position.objects.filter(tag=park.tags["TAG-1"]).count() == 51
    assert list(Alarm.objects.values_list("kind", "started_at", "ended_at")) == [("fence_entry", at(12), at(35))]
    assert PersonnelTag.objects.get(code="TAG-1").position_time == at(50)


def test_malformed_messages_and_unknown_enterprises_are_refused_and_the_listener_goes_on(park, listener, engine, names):
    prefix = names[0]
    ours = positions_topic(prefix, park.enterprise.credit_code)
    publish(engine, ours, b"\xff not json")
    publish(engine, positions_topic(prefix, "91310116000000999X"), json.dumps(park.fix("TAG-1", 0, 0.0, 0.0)).encode())
    publish(engine, ours, json.dumps([park.fix("TAG-OTHER", 0, 0.0, 0.0), {"tag": "TAG-1"}]).encode())
    publish(engine, ours, json.dumps(park.fix("TAG-2", 0, -100.0, 0.0)).encode())
    wait_for(lambda: listener.received == 4, what="every message to be dealt with")
    assert list(Position.objects.values_list("tag__code", flat=True)) == ["TAG-2"]
    assert not Alarm.objects.exists()
