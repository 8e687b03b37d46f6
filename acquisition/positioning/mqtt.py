"""Positions over MQTT: each enterprise's positioning engine publishes on ``{prefix}/positions/{credit code}``.

The payload is the JSON of ``acquisition.positioning.messages`` (one position, an array, or
``{"positions": [...]}``), QoS 0 or 1. The topic's last level is the enterprise's unified social
credit code, and only that enterprise's tags are taken from it; who may publish on which topic is
the broker's business (Mosquitto ``acl_file``, EMQX authorisation): give each engine its own user,
allowed to publish on its enterprise's topic only.

The listener subscribes to ``{prefix}/positions/+`` with a persistent session and acknowledges each
delivery after it has dealt with it; it also ticks the rules every ``tick_s`` seconds, so that dwell
times run out and crowds are found between messages.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection

from acquisition.conf import Broker
from acquisition.directory import Scope
from acquisition.ingest import _first_in_a_while
from acquisition.mqtt import _client
from acquisition.positioning import messages
from acquisition.positioning.ingest import Positioning, Ticker, shared
from geo.models import Enterprise

log = logging.getLogger(__name__)


def positions_topic(prefix: str, credit_code: str) -> str:
    return f"{prefix}/positions/{credit_code}"


class PositionListener:
    """Receives positions from the broker and ticks the rules; ``start`` and ``stop``."""

    def __init__(
        self,
        broker: Broker,
        prefix: str = "hazmap",
        client_id: str = "hazmap-positions",
        positioning: Positioning | None = None,
        tick_s: float = 1.0,
    ) -> None:
        self.broker = broker
        self.prefix = prefix
        self.positioning = positioning or shared()
        self.tick_s = tick_s
        self.client = _client(broker, client_id, manual_ack=True)
        self.client.on_connect = self._connected_cb
        self.client.on_disconnect = self._disconnected_cb
        self.client.on_message = self._message_cb
        self.connected = threading.Event()
        self.received = 0
        self._stop = threading.Event()
        self._ticker = Ticker(self.positioning, tick_s)
        self._enterprises: dict[str, int | None] = {}

    def _connected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("positions: the broker refused the connection: %s", reason_code)
            return
        client.subscribe(positions_topic(self.prefix, "+"), qos=1)
        self.connected.set()
        log.info(
            "positions: listening on %s:%d under %s",
            self.broker.host,
            self.broker.port,
            positions_topic(self.prefix, "+"),
        )

    def _disconnected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        if self._stop.is_set():
            connection.close()  # the database connection this network thread opened
            return
        if self.connected.is_set():
            log.warning("positions: disconnected from the broker (%s); reconnecting", reason_code)
        self.connected.clear()

    def _enterprise(self, credit_code: str) -> int | None:
        if credit_code not in self._enterprises:
            self._enterprises[credit_code] = (
                Enterprise.objects.filter(credit_code=credit_code).values_list("pk", flat=True).first()
            )
        return self._enterprises[credit_code]

    def _message_cb(self, client, userdata, message) -> None:
        close_old_connections()
        topic = message.topic
        try:
            credit_code = topic.rsplit("/", 1)[-1]
            enterprise_id = self._enterprise(credit_code)
            if enterprise_id is None:
                if _first_in_a_while("mqtt", topic, "enterprise"):
                    log.warning("positions on %s refused: no enterprise has the credit code %s", topic, credit_code)
                return
            try:
                fixes, refused = messages.parse(message.payload)
            except messages.MessageError as error:
                if _first_in_a_while("mqtt", topic, "malformed"):
                    log.warning("positions on %s refused: %s", topic, error)
                return
            for where, reason in list(refused.items())[:5]:
                if _first_in_a_while("mqtt", topic, where):
                    log.warning("position %s on %s refused: %s", where, topic, reason)
            self.positioning.ingest(fixes, Scope(enterprise_id=enterprise_id), source=f"mqtt {topic}")
        except Exception:
            log.exception("positions: a message on %s could not be dealt with", topic)
        finally:
            self.received += 1
            client.ack(message.mid, message.qos)

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=15)
        self.client.loop_start()
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()
        self._ticker.stop()
