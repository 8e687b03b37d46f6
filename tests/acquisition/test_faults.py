"""Faults end to end over Mosquitto: broker stopped and restarted, agent killed with SIGKILL and restarted,
messages replayed, tampered with or signed by an unknown device. Afterwards the history holds every
sample exactly once and the bad messages are refused and logged.

The broker outage stops the Mosquitto on 127.0.0.1:1883 (by the process id in its pid file) and starts it
again with ``mosquitto -d -c /etc/mosquitto/mosquitto.conf``; it is running again when the test ends.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from acquisition import envelope, keys, sm
from acquisition.agent import Collector
from acquisition.batch import Sample
from acquisition.centre import Centre
from acquisition.mqtt import MqttCentre, MqttTransport, up_topic
from acquisition.outbox import Outbox
from acquisition.uplink import Uplink
from geo.models import Reading
from tests.acquisition.conftest import free_port
from tests.acquisition.peers import Peer
from tests.acquisition.test_mqtt import BROKER, mosquitto_is_running, names  # noqa: F401 - fixtures
from tests.acquisition.test_uplink import point_map, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

MOSQUITTO_CONF = "/etc/mosquitto/mosquitto.conf"
MOSQUITTO_PID = Path("/run/mosquitto/mosquitto.pid")


def broker_up() -> bool:
    import socket

    try:
        socket.create_connection((BROKER.host, BROKER.port), timeout=1).close()
        return True
    except OSError:
        return False


def stop_broker() -> None:
    pid = int(MOSQUITTO_PID.read_text().split()[0])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while broker_up() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not broker_up(), "Mosquitto did not stop"


def start_broker() -> None:
    if not broker_up():
        subprocess.run(["mosquitto", "-d", "-c", MOSQUITTO_CONF], check=True)
    deadline = time.monotonic() + 20
    while not broker_up() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert broker_up(), "Mosquitto did not start again"


class Feeder(threading.Thread):
    """Feeds one sample every 50 ms to a collector and flushes every 200 ms, counting what it fed."""

    def __init__(self, collector: Collector, key: str) -> None:
        super().__init__(daemon=True)
        self.collector, self.key = collector, key
        self.fed = 0
        self.halt = threading.Event()
        self.start_time = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)

    def run(self) -> None:
        while not self.halt.is_set():
            moment = self.start_time + dt.timedelta(milliseconds=50 * self.fed)
            self.collector.samples([Sample(self.key, moment, float(self.fed % 20))])
            self.fed += 1
            if self.fed % 4 == 0:
                self.collector.flush()
            time.sleep(0.05)
        self.collector.flush()


def test_a_broker_outage_loses_nothing_and_duplicates_nothing(plant, device, tmp_path, names):  # noqa: F811
    prefix, centre_id, agent_id = names
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, BROKER, prefix, client_id=centre_id)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    uplink = Uplink(
        outbox,
        MqttTransport(BROKER, "GW-001", prefix, client_id=agent_id),
        "GW-001",
        device.key,
        centre.public_key,
        ack_timeout_s=5.0,
    )
    collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
    feeder = Feeder(collector, plant.key(plant.gas))
    listener.start()
    uplink.start()
    try:
        wait_for(listener.connected.is_set)
        feeder.start()
        time.sleep(3)
        stop_broker()
        try:
            time.sleep(30)  # the agent keeps collecting into its outbox
            assert outbox.backlog().samples > 0
        finally:
            start_broker()
        time.sleep(3)
        feeder.halt.set()
        feeder.join()
        wait_for(uplink.idle, timeout=90, what="the backlog to drain after the outage")
    finally:
        feeder.halt.set()
        uplink.stop()
        listener.stop()
        start_broker()
    assert Reading.objects.filter(sensor=plant.gas).count() == feeder.fed
    assert feeder.fed > 600


AGENT_FILE = """
gateway: GW-001
key: gw.pem
centre_key: centre.pem
uplink: mqtt://127.0.0.1:1883
prefix: {prefix}
client_id: {client_id}
outbox: outbox.sqlite3
drain_timeout_s: 45
owner: {owner}
devices:
  - name: plc
    protocol: modbus-tcp
    host: 127.0.0.1
    port: {port}
    poll_s: 0.2
    timeout_s: 0.5
    points:
      - {{sensor: T1-LT1, address: 0, type: int16}}
"""


def start_agent(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hazmap", "acquire", "--config", str(config)],
        cwd=os.getcwd(),
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_an_agent_killed_mid_stream_loses_only_what_it_had_not_yet_written(plant, device, tmp_path, names):  # noqa: F811
    prefix, centre_id, agent_id = names
    port = free_port()
    peer = Peer("modbus_server.js", {"port": port, "unit": 1, "holding": {"0": 42}})
    keys.write_private_key(tmp_path / "gw.pem", device.key)
    centre = Centre(sm.generate_private_key())
    (tmp_path / "centre.pem").write_bytes(sm.public_key_pem(centre.public_key))
    config = tmp_path / "agent.yaml"
    config.write_text(
        AGENT_FILE.format(prefix=prefix, client_id=agent_id, owner=plant.enterprise.credit_code, port=port)
    )
    listener = MqttCentre(centre, BROKER, prefix, client_id=centre_id)
    listener.start()
    readings = Reading.objects.filter(sensor=plant.level)
    agent = start_agent(config)
    try:
        wait_for(lambda: readings.count() > 20, timeout=60, what="the agent's first samples")
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
        killed = timezone.now()
        time.sleep(3)
        agent = start_agent(config)
        wait_for(lambda: readings.filter(time__gt=killed + dt.timedelta(seconds=3)).count() > 20, timeout=60)
        os.kill(agent.pid, signal.SIGTERM)  # a clean stop writes and sends what it has, and waits for the acks
        agent.wait(60)
        assert Outbox(tmp_path / "outbox.sqlite3").backlog().chunks == 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        listener.stop()
        peer.stop()
    times = sorted(readings.values_list("time", flat=True))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    long = [g for g in gaps if g > 1.0]
    assert len(long) == 1, f"one gap while the agent was dead, not {long}"
    assert 3.0 <= long[0] < 30.0
    assert len(times) == len(set(times))


def test_replayed_tampered_and_foreign_messages_are_refused_and_logged(plant, device, tmp_path, names, caplog):  # noqa: F811
    prefix, centre_id, agent_id = names
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, BROKER, prefix, client_id=centre_id)
    seen: list[bytes] = []
    spy = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"spy-{agent_id}")
    spy.on_message = lambda client, userdata, message: seen.append(message.payload)
    spy.connect(BROKER.host, BROKER.port)
    spy.subscribe(up_topic(prefix, "GW-001"), qos=1)
    spy.loop_start()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    uplink = Uplink(
        outbox, MqttTransport(BROKER, "GW-001", prefix, client_id=agent_id), "GW-001", device.key, centre.public_key
    )
    collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
    listener.start()
    uplink.start()
    try:
        wait_for(listener.connected.is_set)
        t0 = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=60)
        for n in range(40):
            collector.samples([Sample(plant.key(plant.gas), t0 + dt.timedelta(seconds=n), float(n))])
        collector.flush()
        wait_for(uplink.idle)
        wait_for(lambda: seen)
        genuine = seen[0]
        tampered = bytearray(genuine)
        tampered[len(envelope.parse(genuine).header) + 10] ^= 0x40  # inside the ciphertext
        stranger = envelope.seal(
            envelope.parse(genuine).ciphertext,  # any payload: it is refused before it is opened
            "GW-001",
            b"\x09" * 8,
            1,
            envelope.Session.new(centre.public_key),
            sm.generate_private_key(),
        )
        with caplog.at_level(logging.WARNING, logger="acquisition.centre"):
            before = listener.received
            for bad in (genuine, bytes(tampered), stranger):
                spy.publish(up_topic(prefix, "GW-001"), bad, qos=1)
            wait_for(lambda: listener.received >= before + 3)
    finally:
        uplink.stop()
        listener.stop()
        spy.loop_stop()
        spy.disconnect()
    assert Reading.objects.filter(sensor=plant.gas).count() == 40
    assert "refused: replayed" in caplog.text
    assert caplog.text.count("digest or SM2 signature does not match") == 2
