"""The centre's side of the uplink: check a message, refuse what is bad, ingest the rest, acknowledge.

``Centre.receive(message)`` checks, cheapest first: the envelope's form, the sender (known, active,
certificate valid now), the time it was sent (within ``HAZMAP_MESSAGE_MAX_AGE_S`` of the centre's
clock), the SM3 digest and the sender's SM2 signature, that the message was not accepted before
(replay), the session key, the SM4-GCM decryption, the content. Each refusal is logged with the
sender and the reason. A message that passed is applied and remembered in one transaction, and
acknowledged (signed by the centre); a replayed one is acknowledged as a duplicate and changes
nothing; a message that is signed but holds malformed content is acknowledged as rejected, since
sending it again cannot help. Everything else gets no answer, so that the sender sends it again.

What a message holds, and who may send it, is the ``Handler``'s: ``Batches`` (the default) takes
edge agents' sample batches (``Gateway.kind`` agent) and ingests them; ``hierarchy.receive`` takes
child centres' changes (kind centre). The checks are the same for both; a sender of one kind is
unknown to a centre of the other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from acquisition import envelope, sm
from acquisition.batch import Batch, BatchError
from acquisition.conf import message_max_age_s
from acquisition.directory import Scope
from acquisition.envelope import ACCEPTED, DUPLICATE, REJECTED, Ack, EnvelopeError
from acquisition.ingest import IngestResult, ingest
from acquisition.models import Gateway, Message

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 300.0
GATEWAY_TTL_S = 30.0


@dataclass(frozen=True)
class Known:
    """A gateway as the centre checks it: row, credential and scope."""

    gateway: Gateway
    credential: sm.Credential
    scope: Scope


@dataclass
class Receipt:
    """What became of one message: the acknowledgement to send (None: no answer) and the handler's result."""

    ack: bytes | None
    status: str
    result: Any = None
    gateway: str = ""


class Handler(Protocol):
    """What a centre does with the content of the messages of one kind of sender."""

    kind: str  # the ``Gateway.kind`` of the senders it takes
    noun: str  # how log lines name a sender ("gateway")
    log_name: str  # the first word of its log lines ("uplink")

    def decode(self, payload: bytes) -> Any:
        """The decrypted payload read; a ``ValueError`` when it is malformed (the message is rejected)."""

    def apply(self, content: Any, sender: Known, who: str, now: dt.datetime) -> Any:
        """Apply what ``decode`` read, inside the transaction that remembers the message; the receipt's result."""

    def refused(self, code: str, sender: Known | None, status: str, reason: str) -> None:
        """Called after each refusal has been logged (``status`` as in ``Receipt``, ``reason`` the log's words)."""


class Batches:
    """Edge agents' messages: sample and alarm batches, ingested into ``geo``."""

    kind = "agent"
    noun = "gateway"
    log_name = "uplink"

    def decode(self, payload: bytes) -> Batch:
        try:
            return Batch.concat(Batch.decode(chunk) for chunk in envelope.unpack_chunks(payload))
        except (BatchError, EnvelopeError) as error:
            raise ValueError(str(error)) from None

    def apply(self, content: Batch, sender: Known, who: str, now: dt.datetime) -> IngestResult:
        return ingest(content, sender.scope, source=who, now=now)

    def refused(self, code: str, sender: Known | None, status: str, reason: str) -> None:
        pass  # the log line is the record of an agent's refused message


class Centre:
    """Receives envelopes from any transport; thread-safe."""

    def __init__(
        self, private_key: sm.PrivateKey, max_age_s: float | None = None, handler: Handler | None = None
    ) -> None:
        self.private_key = private_key
        self.max_age_s = message_max_age_s() if max_age_s is None else max_age_s
        self.handler: Handler = handler or Batches()
        self._session_keys: dict[bytes, bytes] = {}
        self._gateways: dict[str, tuple[float, Known | None]] = {}
        self._lock = threading.Lock()
        self._pruned = 0.0

    @property
    def public_key(self) -> sm.PublicKey:
        return self.private_key.public_key()

    def receive(self, message: bytes, now: dt.datetime | None = None) -> Receipt:
        """Check and apply one message; the receipt holds the acknowledgement to send back, if any."""
        now = now or timezone.now()
        name = self.handler.log_name
        try:
            sealed = envelope.parse(message)
        except EnvelopeError as error:
            log.warning("%s: malformed message of %d bytes refused: %s", name, len(message), error)
            self.handler.refused("", None, "malformed", f"malformed message of {len(message)} bytes: {error}")
            return Receipt(None, "malformed")
        who = f"{self.handler.noun} {sealed.gateway!r}"
        known = self._gateway(sealed.gateway)

        def refuse(status: str, reason: str, ack: bytes | None = None) -> Receipt:
            log.warning("%s: message %d from %s refused: %s", name, sealed.seq, who, reason)
            self.handler.refused(sealed.gateway, known, status, reason)
            return Receipt(ack, status, gateway=sealed.gateway if ack else "")

        if known is None:
            log.warning("%s: message %d from unknown or inactive %s refused", name, sealed.seq, who)
            self.handler.refused(sealed.gateway, None, "unknown gateway", f"unknown or inactive {who}")
            return Receipt(None, "unknown gateway")
        if not known.credential.valid_at(now):
            return refuse("certificate not valid", f"its certificate is not valid at {now}")
        age = (now - sealed.sent_at).total_seconds()
        if abs(age) > self.max_age_s:
            sent = sealed.sent_at.isoformat()
            return refuse("too old", f"sent {sent}, {age:.0f} s from the centre's clock (limit {self.max_age_s:.0f} s)")
        if not sealed.signed_by(known.credential.public_key):
            return refuse("bad signature", "digest or SM2 signature does not match")
        ack = Ack(sealed.gateway, sealed.epoch, sealed.seq, ACCEPTED)
        if self._seen(known.gateway, sealed):
            return refuse("duplicate", "replayed (already accepted)", self._ack(ack, DUPLICATE))
        try:
            payload = sealed.open(self._session_key(sealed.wrapped_key))
        except sm.CryptoError as error:
            return refuse("undecryptable", str(error))
        try:
            content = self.handler.decode(payload)
        except (ValueError, EnvelopeError) as error:
            log.error("%s: message %d from %s rejected: its content is malformed: %s", name, sealed.seq, who, error)
            self.handler.refused(sealed.gateway, known, "rejected", f"its content is malformed: {error}")
            return Receipt(self._ack(ack, REJECTED), "rejected", gateway=sealed.gateway)
        with transaction.atomic():
            if not self._remember(known.gateway, sealed, now):
                return Receipt(self._ack(ack, DUPLICATE), "duplicate", gateway=sealed.gateway)
            result = self.handler.apply(content, known, who, now)
            Gateway.objects.filter(pk=known.gateway.pk).update(last_seen_at=now)
        self._prune(now)
        return Receipt(self._ack(ack, ACCEPTED), "accepted", result, sealed.gateway)

    def _ack(self, ack: Ack, status: int) -> bytes:
        return Ack(ack.gateway, ack.epoch, ack.seq, status).pack(self.private_key)

    def _gateway(self, code: str) -> Known | None:
        now = time.monotonic()
        with self._lock:
            hit = self._gateways.get(code)
            if hit is not None and hit[0] > now:
                return hit[1]
        row = Gateway.objects.select_related("region").filter(code=code, active=True, kind=self.handler.kind).first()
        known = None
        if row is not None:
            try:
                credential = sm.load_credential(row.credential)
            except sm.CryptoError as error:
                noun = self.handler.noun
                log.error("%s: %s %r has an unusable credential: %s", self.handler.log_name, noun, code, error)
            else:
                known = Known(row, credential, Scope(row.region.path, row.enterprise_id))
        with self._lock:
            self._gateways[code] = (now + GATEWAY_TTL_S, known)
        return known

    def forget_gateways(self) -> None:
        """Read gateways and certificates from the database again (after an administrator changed one)."""
        with self._lock:
            self._gateways.clear()

    def _session_key(self, wrapped: bytes) -> bytes:
        digest = hashlib.sha256(wrapped).digest()
        with self._lock:
            key = self._session_keys.get(digest)
        if key is None:
            key = sm.decrypt(self.private_key, wrapped)
            if len(key) != sm.SM4_KEY_BYTES:
                raise sm.CryptoError("the session key is not 16 bytes")
            with self._lock:
                if len(self._session_keys) > 10_000:
                    self._session_keys.clear()
                self._session_keys[digest] = key
        return key

    def _seen(self, gateway: Gateway, sealed: envelope.Sealed) -> bool:
        return Message.objects.filter(gateway=gateway, epoch=sealed.epoch.hex(), seq=sealed.seq).exists()

    def _remember(self, gateway: Gateway, sealed: envelope.Sealed, now: dt.datetime) -> bool:
        """Record the message as accepted; False when another worker accepted it first."""
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO acquisition_message (gateway_id, epoch, seq, sent_at, received_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gateway_id, epoch, seq) DO NOTHING",
                [
                    gateway.pk,
                    sealed.epoch.hex(),
                    sealed.seq,
                    connection.ops.adapt_datetimefield_value(sealed.sent_at),
                    connection.ops.adapt_datetimefield_value(now),
                ],
            )
            return cursor.rowcount == 1

    def _prune(self, now: dt.datetime) -> None:
        """Forget accepted messages older than twice the age limit (older ones are refused anyway)."""
        if time.monotonic() - self._pruned < PRUNE_EVERY_S:
            return
        self._pruned = time.monotonic()
        Message.objects.filter(received_at__lt=now - dt.timedelta(seconds=2 * self.max_age_s)).delete()
