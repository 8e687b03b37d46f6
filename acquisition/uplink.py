"""The agent's uplink: outbox → envelope → transport, deleting chunks only once the centre acknowledged them.

Transports move bytes behind one small interface (``Transport``): ``InProcess`` hands each message
to a ``Centre`` in the same process (the embedded default); ``acquisition.mqtt.MqttTransport``
publishes it with QoS 1 on a persistent session. The ``Uplink`` thread keeps up to ``window``
messages in flight, in chunk order; a message not acknowledged within ``ack_timeout_s`` (lost, or
refused at the centre) is sent again from there on (go-back-N) under a new sequence number and
time, so delivery is at-least-once and in order per sensor; the centre makes it exactly-once in
the history. Every message carries as many chunks as fit ``max_message_bytes``, so a backlog after
an outage drains in large messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from acquisition import envelope, sm
from acquisition.envelope import ACCEPTED, DUPLICATE, REJECTED, Ack, EnvelopeError, Session
from acquisition.outbox import Outbox

log = logging.getLogger(__name__)


class Transport(Protocol):
    """Moves messages to the centre and acknowledgements back."""

    def start(self, on_ack: Callable[[bytes], None]) -> None:
        """Begin; ``on_ack`` is called with each acknowledgement received (from any thread)."""

    def send(self, message: bytes) -> bool:
        """Hand one message on; False when it cannot be sent now (it will be sent again later)."""

    def connected(self) -> bool:
        """True while messages can be sent."""

    def stop(self) -> None:
        """Stop and release connections."""

    def close_thread(self) -> None:
        """Called in the uplink's own thread as it ends (to release what that thread opened)."""


class InProcess:
    """The embedded transport: each message goes straight to a ``Centre`` in this process."""

    def __init__(self, centre) -> None:
        self.centre = centre
        self._on_ack: Callable[[bytes], None] | None = None

    def start(self, on_ack: Callable[[bytes], None]) -> None:
        self._on_ack = on_ack

    def send(self, message: bytes) -> bool:
        from django.db import close_old_connections

        close_old_connections()
        try:
            receipt = self.centre.receive(message)
        except Exception:
            log.exception("uplink: the centre failed to take a message; it will be sent again")
            return False
        if receipt.ack is not None and self._on_ack is not None:
            self._on_ack(receipt.ack)
        return True

    def connected(self) -> bool:
        return True

    def stop(self) -> None:
        pass

    def close_thread(self) -> None:
        from django.db import connection

        connection.close()


@dataclass
class Flight:
    """A message sent and not yet acknowledged."""

    chunks: list[int]
    samples: int
    sent: float


class Uplink:
    """Sends the outbox to the centre through a transport, in order, until every chunk is acknowledged."""

    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        gateway: str,
        signer: sm.PrivateKey,
        centre_key: sm.PublicKey,
        window: int = 4,
        ack_timeout_s: float = 10.0,
        max_message_bytes: int = 1_000_000,
        session_lifetime_s: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.gateway = gateway
        self.signer = signer
        self.centre_key = centre_key
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.max_message_bytes = max_message_bytes
        self.session_lifetime_s = session_lifetime_s
        self.delivered_samples = 0
        self.acks = {ACCEPTED: 0, DUPLICATE: 0, REJECTED: 0}
        self._session: Session | None = None
        self._session_started = 0.0
        self._in_flight: dict[int, Flight] = {}
        self._sent: dict[int, Flight] = {}  # every message of the last hour, for late acknowledgements
        self._sent_upto = 0  # last chunk handed to the transport
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.transport.start(self._on_ack)
        self._thread = threading.Thread(target=self._run, name=f"uplink-{self.gateway}", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """New chunks are in the outbox."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.transport.stop()

    def drain(self, timeout_s: float) -> bool:
        """Go on sending until the centre has acknowledged everything, or ``timeout_s`` seconds have passed.

        True when the outbox is empty. A disconnected transport simply runs out the time.
        """
        deadline = time.monotonic() + timeout_s
        self.notify()
        while not self.idle():
            if time.monotonic() >= deadline:
                return False
            self._stop.wait(0.05)
        return True

    def idle(self) -> bool:
        """True when nothing waits to be sent or acknowledged."""
        with self._lock:
            return not self._in_flight and not self.outbox.pending(0, max_chunks=1)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(0.2)
                self._wake.clear()
                try:
                    self._step()
                except Exception:
                    log.exception("uplink %s: sending failed; trying again", self.gateway)
                    self._stop.wait(1.0)
        finally:
            self.transport.close_thread()

    def _session_now(self) -> Session:
        if self._session is None or time.monotonic() - self._session_started > self.session_lifetime_s:
            self._session = Session.new(self.centre_key)
            self._session_started = time.monotonic()
        return self._session

    def _step(self) -> None:
        self._go_back_if_late()
        if not self.transport.connected():
            return
        while not self._stop.is_set():
            with self._lock:
                if len(self._in_flight) >= self.window:
                    return
                chunks = self.outbox.pending(self._sent_upto, self.max_message_bytes)
                if not chunks:
                    return
                seq = self.outbox.reserve_sequence()
                message = envelope.seal(
                    envelope.pack_chunks([c.body for c in chunks]),
                    self.gateway,
                    self.outbox.epoch,
                    seq,
                    self._session_now(),
                    self.signer,
                )
                flight = Flight([c.seq for c in chunks], sum(c.samples for c in chunks), time.monotonic())
                self._in_flight[seq] = flight
                self._sent[seq] = flight
                self._sent_upto = chunks[-1].seq
            if not self.transport.send(message):
                self._go_back(f"message {seq} could not be sent")
                return

    def _go_back_if_late(self) -> None:
        with self._lock:
            if not self._in_flight:
                return
            oldest = min(f.sent for f in self._in_flight.values())
            if time.monotonic() - oldest > self.ack_timeout_s:
                self._go_back(f"no acknowledgement within {self.ack_timeout_s:g} s")
            cutoff = time.monotonic() - 3600
            for seq in [s for s, f in self._sent.items() if f.sent < cutoff]:
                del self._sent[seq]

    def _go_back(self, reason: str) -> None:
        with self._lock:
            if not self._in_flight:
                return
            first = min(min(f.chunks) for f in self._in_flight.values())
            log.warning("uplink %s: %s; sending again from chunk %d", self.gateway, reason, first)
            self._in_flight.clear()
            self._sent_upto = first - 1

    def _on_ack(self, data: bytes) -> None:
        try:
            ack = Ack.unpack(data, self.centre_key)
        except EnvelopeError as error:
            log.warning("uplink %s: acknowledgement refused: %s", self.gateway, error)
            return
        if ack.gateway != self.gateway or ack.epoch != self.outbox.epoch:
            return
        with self._lock:
            flight = self._sent.pop(ack.seq, None)
            self._in_flight.pop(ack.seq, None)
        if flight is None:
            return
        self.acks[ack.status] = self.acks.get(ack.status, 0) + 1
        if ack.status == REJECTED:
            log.error(
                "uplink %s: the centre rejected message %d (chunks %s, %d samples) as malformed; dropped",
                self.gateway,
                ack.seq,
                flight.chunks,
                flight.samples,
            )
        else:
            self.delivered_samples += flight.samples
        self.outbox.delete(flight.chunks)
        self._wake.set()
