"""Faults end to end over MQTT: the broker stopped and restarted, the centre away, the network cut, the agent
killed with SIGKILL and restarted, messages replayed, tampered with or signed by an unknown device.
Afterwards the history holds every sample exactly once and the bad messages are refused and logged.

Every test runs its own Mosquitto (``tests.acquisition.broker``, on a free port, persistence in the
test's directory) and stops it itself: the shared broker on 127.0.0.1:1883 is never touched.

The broker is stopped for 2 minutes, as the acquisition issue asks; that test takes about 2.5 minutes
(2 min 8 s measured here: Mosquitto is back when paho's reconnection backoff, which doubles to 30 s,
next tries, so up to 30 s more).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import socket
import struct
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
from acquisition.batch import Batch, Sample
from acquisition.centre import Centre
from acquisition.conf import Broker
from acquisition.envelope import DUPLICATE
from acquisition.mqtt import MqttCentre, MqttTransport, up_topic
from acquisition.outbox import Outbox
from acquisition.uplink import Uplink
from geo.models import Reading
from tests.acquisition.broker import own_mosquitto  # noqa: F401 - fixture
from tests.acquisition.conftest import free_port
from tests.acquisition.peers import Peer
from tests.acquisition.test_uplink import point_map, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# The broker outage lasts minutes on PostGIS, the production backend; the SpatiaLite pass of `make test`
# runs the same test with a short outage, which exercises the same reconnection and drain.
OUTAGE_S = {"postgresql": 120.0, "sqlite": 20.0}
PREFIX, CENTRE_ID, AGENT_ID = "hazmap-test", "centre-test", "agent-test"
STEP = dt.timedelta(milliseconds=50)


class Feeder(threading.Thread):
    """Feeds one sample every 50 ms to a collector and flushes every 200 ms, counting what it fed.

    The n-th sample is dated ``start_time + n × 50 ms`` (in the past, so that the centre takes it).
    """

    def __init__(self, collector: Collector, key: str) -> None:
        super().__init__(daemon=True)
        self.collector, self.key = collector, key
        self.fed = 0
        self.halt = threading.Event()
        self.start_time = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)

    def run(self) -> None:
        while not self.halt.is_set():
            self.collector.samples([Sample(self.key, self.start_time + STEP * self.fed, float(self.fed % 20))])
            self.fed += 1
            if self.fed % 4 == 0:
                self.collector.flush()
            time.sleep(0.05)
        self.collector.flush()

    def times(self) -> list[dt.datetime]:
        """The time of every sample fed, in order."""
        return [self.start_time + STEP * n for n in range(self.fed)]


def history(sensor) -> list[dt.datetime]:
    return list(Reading.objects.filter(sensor=sensor).order_by("time").values_list("time", flat=True))


def mqtt_uplink(outbox: Outbox, broker: Broker, device, centre: Centre, **options) -> Uplink:
    transport = MqttTransport(broker, "GW-001", PREFIX, client_id=AGENT_ID)
    return Uplink(outbox, transport, "GW-001", device.key, centre.public_key, **options)


def test_a_broker_outage_loses_nothing_and_duplicates_nothing(plant, device, tmp_path, own_mosquitto):  # noqa: F811
    from django.db import connection

    outage_s = OUTAGE_S[connection.vendor]
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, own_mosquitto.broker, PREFIX, client_id=CENTRE_ID)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    uplink = mqtt_uplink(outbox, own_mosquitto.broker, device, centre, ack_timeout_s=5.0)
    collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
    feeder = Feeder(collector, plant.key(plant.gas))
    listener.start()
    uplink.start()
    try:
        wait_for(listener.connected.is_set)
        feeder.start()
        time.sleep(3)
        own_mosquitto.stop()
        assert not own_mosquitto.listening()
        time.sleep(outage_s)  # the agent keeps collecting into its outbox
        assert outbox.backlog().samples > 0
        own_mosquitto.start()
        time.sleep(3)
        feeder.halt.set()
        feeder.join()
        wait_for(uplink.idle, timeout=90, what=f"the backlog to drain after an outage of {outage_s:g} s")
    finally:
        feeder.halt.set()
        uplink.stop()
        listener.stop()
    assert feeder.fed > 20 * outage_s
    assert history(plant.gas) == feeder.times()


def test_messages_published_while_the_centre_is_away_wait_in_its_session_and_arrive_once(
    plant,
    device,
    tmp_path,
    own_mosquitto,  # noqa: F811
):
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, own_mosquitto.broker, PREFIX, client_id=CENTRE_ID)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    # The agent never sends a message again within the test: whatever reaches the centre came from the
    # broker's queue of the centre's persistent session.
    uplink = mqtt_uplink(outbox, own_mosquitto.broker, device, centre, window=1000, ack_timeout_s=600.0)
    collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
    feeder = Feeder(collector, plant.key(plant.gas))
    listener.start()
    uplink.start()
    readings = Reading.objects.filter(sensor=plant.gas)
    try:
        wait_for(listener.connected.is_set)
        feeder.start()
        wait_for(lambda: readings.count() > 20, what="the first samples at the centre")
        listener.stop()
        away = readings.count()
        time.sleep(10)  # the agent goes on publishing (QoS 1) to the centre's session
        assert readings.count() == away and not uplink.idle()
        listener = MqttCentre(centre, own_mosquitto.broker, PREFIX, client_id=CENTRE_ID)
        listener.start()
        time.sleep(2)
        feeder.halt.set()
        feeder.join()
        wait_for(uplink.idle, timeout=30, what="the messages queued for the centre to arrive and be acknowledged")
    finally:
        feeder.halt.set()
        uplink.stop()
        listener.stop()
    assert history(plant.gas) == feeder.times()
    # QoS 1 is at least once: the message the centre was storing as it left may be delivered to it again
    # (its PUBACK never reached the broker); the centre knows it and answers "duplicate", storing nothing.
    assert uplink.acks[DUPLICATE] <= 1


class CuttableProxy:
    """A TCP proxy from a free port of 127.0.0.1 to ``target``, in a thread of its own.

    ``cut`` resets every connection through it (RST) and closes its port, so that new connections are
    refused, until ``restore`` opens the port again: a network cut between agent and broker.
    """

    def __init__(self, target: Broker) -> None:
        self.target = target
        self.address = Broker("127.0.0.1", free_port())
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="proxy", daemon=True)
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.StreamWriter] = set()
        self.accepted = 0

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def start(self) -> None:
        self.thread.start()
        self.restore()

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def stop(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.address.host, self.address.port)

    async def _cut(self) -> None:
        for writer in list(self.connections):
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
            writer.transport.abort()
        self.connections.clear()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.target.host, self.target.port)
        except OSError:
            writer.transport.abort()
            return
        self.connections |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )
        self.connections -= {writer, upstream_writer}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()


def test_a_network_cut_between_agent_and_broker_loses_nothing_and_duplicates_nothing(
    plant,
    device,
    tmp_path,
    own_mosquitto,  # noqa: F811
):
    proxy = CuttableProxy(own_mosquitto.broker)
    proxy.start()
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, own_mosquitto.broker, PREFIX, client_id=CENTRE_ID)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    uplink = mqtt_uplink(outbox, proxy.address, device, centre, ack_timeout_s=5.0)
    collector = Collector(point_map(plant), outbox, on_flush=uplink.notify)
    feeder = Feeder(collector, plant.key(plant.gas))
    listener.start()
    uplink.start()
    try:
        wait_for(lambda: listener.connected.is_set() and uplink.transport.connected())
        feeder.start()
        time.sleep(3)
        proxy.cut()
        wait_for(lambda: not uplink.transport.connected(), what="the agent to notice the cut")
        accepted = proxy.accepted
        time.sleep(20)
        assert outbox.backlog().samples > 0 and not uplink.transport.connected()
        assert proxy.accepted == accepted  # refused, not accepted and dropped
        proxy.restore()
        time.sleep(3)
        feeder.halt.set()
        feeder.join()
        wait_for(uplink.idle, timeout=90, what="the backlog to drain after the cut")
    finally:
        feeder.halt.set()
        uplink.stop()
        listener.stop()
        proxy.stop()
    assert feeder.fed > 20 * 20
    assert history(plant.gas) == feeder.times()


AGENT_FILE = """
gateway: GW-001
key: gw.pem
centre_key: centre.pem
uplink: mqtt://127.0.0.1:{broker_port}
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
    timeout_s: 2.0
    points:
      - {{sensor: T1-LT1, address: 0, type: uint16}}
"""
# At the kill, what the agent had not yet written is at most the reads of one flush interval (0.1 s,
# so one poll of 0.2 s) and the read on the wire: nothing else may be missing.
UNWRITTEN_AT_MOST = 2


def start_agent(config: Path) -> subprocess.Popen:
    with open(config.parent / "agent.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "hazmap", "acquire", "--config", str(config)],
            cwd=os.getcwd(),
            env={**os.environ, "PYTHONPATH": os.getcwd()},
            stdout=log,
            stderr=log,
        )


def outbox_samples(path: Path) -> list[tuple[dt.datetime, float]]:
    """Every sample (time, value) in the chunks of an outbox file."""
    outbox = Outbox(path)
    try:
        chunks = outbox.pending(0, max_bytes=1 << 40, max_chunks=1 << 30)
    finally:
        outbox.close()
    return [(s.time, s.value) for c in chunks for s in Batch.decode(c.body).samples()]


def test_an_agent_killed_mid_stream_loses_only_what_it_had_not_yet_written(plant, device, tmp_path, own_mosquitto):  # noqa: F811
    port = free_port()
    # The level gauge reads a register that counts its reads: the values stored tell every reading apart.
    peer = Peer("modbus_server.js", {"port": port, "unit": 1, "holding": {"0": 1}, "counter": 0})
    keys.write_private_key(tmp_path / "gw.pem", device.key)
    centre = Centre(sm.generate_private_key())
    (tmp_path / "centre.pem").write_bytes(sm.public_key_pem(centre.public_key))
    config = tmp_path / "agent.yaml"
    config.write_text(
        AGENT_FILE.format(
            broker_port=own_mosquitto.broker.port,
            prefix=PREFIX,
            client_id=AGENT_ID,
            owner=plant.enterprise.credit_code,
            port=port,
        )
    )
    listener = MqttCentre(centre, own_mosquitto.broker, PREFIX, client_id=CENTRE_ID)
    listener.start()
    readings = Reading.objects.filter(sensor=plant.level)
    agent = start_agent(config)
    try:
        wait_for(lambda: readings.count() > 20, timeout=60, what="the agent's first samples")
        listener.stop()  # no acknowledgements for a while: the outbox fills, its messages wait at the broker
        time.sleep(2)
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
        killed = timezone.now()
        written = outbox_samples(tmp_path / "outbox.sqlite3")  # written, and not yet acknowledged
        listener = MqttCentre(centre, own_mosquitto.broker, PREFIX, client_id=CENTRE_ID)
        listener.start()
        time.sleep(3)
        agent = start_agent(config)
        wait_for(lambda: readings.filter(time__gt=killed).count() > 20, timeout=60, what="the restarted agent")
        os.kill(agent.pid, signal.SIGTERM)  # a clean stop writes and sends what it has, and waits for the acks
        agent.wait(60)
        assert Outbox(tmp_path / "outbox.sqlite3").backlog().chunks == 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        listener.stop()
        peer.stop()
    stored = list(readings.order_by("time").values_list("time", "value"))
    assert len(written) >= 5, "the outbox held (almost) nothing at the kill: the test did not kill mid-stream"
    assert set(written) <= set(stored), "samples written to the outbox before the kill are missing"
    counts = [int(value) for _, value in stored]
    assert len(counts) == len(set(counts)), "a reading is stored twice"
    assert counts == sorted(counts), "readings out of order"
    before = [int(value) for moment, value in stored if moment < killed]
    after = [int(value) for moment, value in stored if moment > killed]
    assert before == list(range(1, len(before) + 1)), "a reading written before the kill is missing"
    assert after == list(range(after[0], after[0] + len(after))), "a reading after the restart is missing"
    assert 0 <= after[0] - before[-1] - 1 <= UNWRITTEN_AT_MOST, "more was lost than the agent had not yet written"


def test_replayed_tampered_and_foreign_messages_are_refused_and_logged(
    plant,
    device,
    tmp_path,
    own_mosquitto,  # noqa: F811
    caplog,
):
    broker = own_mosquitto.broker
    centre = Centre(sm.generate_private_key())
    listener = MqttCentre(centre, broker, PREFIX, client_id=CENTRE_ID)
    seen: list[bytes] = []
    spy = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="spy-test")
    spy.on_message = lambda client, userdata, message: seen.append(message.payload)
    spy.connect(broker.host, broker.port)
    spy.subscribe(up_topic(PREFIX, "GW-001"), qos=1)
    spy.loop_start()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    uplink = mqtt_uplink(outbox, broker, device, centre)
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
                spy.publish(up_topic(PREFIX, "GW-001"), bad, qos=1)
            wait_for(lambda: listener.received >= before + 3)
    finally:
        uplink.stop()
        listener.stop()
        spy.loop_stop()
        spy.disconnect()
    assert Reading.objects.filter(sensor=plant.gas).count() == 40
    assert "refused: replayed" in caplog.text
    assert caplog.text.count("digest or SM2 signature does not match") == 2
