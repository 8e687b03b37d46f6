"""MQTT for the uplink (paho-mqtt): the agent's transport and the centre's listener.

Topics: the agent publishes its messages on ``{prefix}/up/{gateway}`` and receives the centre's
acknowledgements on ``{prefix}/ack/{gateway}``; both with QoS 1 on persistent sessions (clean session
off, a fixed client id), so that acknowledgements wait at the broker while an agent is away and
messages wait while the centre is away. The centre acknowledges each MQTT delivery to the broker only
after it has dealt with the message (manual acknowledgement), so a centre that stops mid-message
gets it again. The same two classes carry child centres' messages to their parent (``hierarchy``),
on topics of their own: ``up`` and ``ack`` name the second level of the topics.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from acquisition.conf import Broker

log = logging.getLogger(__name__)


def up_topic(prefix: str, gateway: str, up: str = "up") -> str:
    return f"{prefix}/{up}/{gateway}"


def ack_topic(prefix: str, gateway: str, ack: str = "ack") -> str:
    return f"{prefix}/{ack}/{gateway}"


def _client(broker: Broker, client_id: str, manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=False,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.max_inflight_messages_set(20)
    client.max_queued_messages_set(100)
    return client


class MqttTransport:
    """The agent's transport over MQTT."""

    def __init__(
        self,
        broker: Broker,
        gateway: str,
        prefix: str = "hazmap",
        client_id: str | None = None,
        up: str = "up",
        ack: str = "ack",
    ) -> None:
        self.broker = broker
        self.gateway = gateway
        self.prefix = prefix
        self.up, self.ack = up, ack
        self.client = _client(broker, client_id or f"hazmap-agent-{gateway}")
        self._connected = threading.Event()
        self._stopping = False
        self._on_ack: Callable[[bytes], None] | None = None
        self.client.on_connect = self._connected_cb
        self.client.on_disconnect = self._disconnected_cb
        self.client.on_message = self._message_cb

    def _connected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("mqtt %s: the broker refused the connection: %s", self.gateway, reason_code)
            return
        client.subscribe(ack_topic(self.prefix, self.gateway, self.ack), qos=1)
        self._connected.set()
        log.info("mqtt %s: connected to %s:%d", self.gateway, self.broker.host, self.broker.port)

    def _disconnected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("mqtt %s: disconnected from the broker (%s); reconnecting", self.gateway, reason_code)
        self._connected.clear()

    def _message_cb(self, client, userdata, message) -> None:
        if self._on_ack is not None:
            self._on_ack(message.payload)

    def start(self, on_ack: Callable[[bytes], None]) -> None:
        self._on_ack = on_ack
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=15)
        self.client.loop_start()

    def send(self, message: bytes) -> bool:
        if not self._connected.is_set():
            return False
        info = self.client.publish(up_topic(self.prefix, self.gateway, self.up), message, qos=1)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def connected(self) -> bool:
        return self._connected.is_set()

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def close_thread(self) -> None:
        pass


class MqttCentre:
    """The centre's listener: every gateway's messages in, acknowledgements out."""

    def __init__(
        self,
        centre,
        broker: Broker,
        prefix: str = "hazmap",
        client_id: str = "hazmap-centre",
        up: str = "up",
        ack: str = "ack",
    ) -> None:
        self.centre = centre
        self.broker = broker
        self.prefix = prefix
        self.up, self.ack = up, ack
        self.client = _client(broker, client_id, manual_ack=True)
        self.connected = threading.Event()
        self.received = 0
        self._stopping = False
        self.client.on_connect = self._connected_cb
        self.client.on_disconnect = self._disconnected_cb
        self.client.on_message = self._message_cb

    def _connected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("mqtt centre: the broker refused the connection: %s", reason_code)
            return
        client.subscribe(up_topic(self.prefix, "+", self.up), qos=1)
        self.connected.set()
        topic = up_topic(self.prefix, "+", self.up)
        log.info("mqtt centre: listening on %s:%d under %s", self.broker.host, self.broker.port, topic)

    def _disconnected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if self._stopping:
            from django.db import connection

            connection.close()  # the database connection this network thread opened
            return
        if self.connected.is_set():
            log.warning("mqtt centre: disconnected from the broker (%s); reconnecting", reason_code)
        self.connected.clear()

    def _message_cb(self, client, userdata, message) -> None:
        from django.db import close_old_connections

        close_old_connections()
        try:
            receipt = self.centre.receive(message.payload)
            if receipt.ack is not None and receipt.gateway:
                client.publish(ack_topic(self.prefix, receipt.gateway, self.ack), receipt.ack, qos=1)
        except Exception:
            log.exception(
                "mqtt centre: a message on %s could not be dealt with; the agent will send it again", message.topic
            )
        finally:
            self.received += 1
            client.ack(message.mid, message.qos)

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=15)
        self.client.loop_start()

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()
