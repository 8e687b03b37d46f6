"""Live readings on demand: a parent asks a child centre for the latest readings of one hazard source.

The parent publishes a request on ``{prefix}/live/{child}`` (QoS 0: a request nobody waits for is worth
nothing, so none is queued) and waits on ``{prefix}/live-reply/{child}/{request id}`` for the answer.
Both are envelopes as on the uplink (``acquisition.envelope``): the payload SM4-GCM-encrypted under a
session key wrapped for the receiver's SM2 key, SM3 digest, SM2 signature by the sender — the
parent's centre key for the request, the child's for the answer. A request is refused (logged, and
recorded in the child's audit log) unless the parent signed it within HAZMAP_MESSAGE_MAX_AGE_S and it
was not seen before; an answer is taken only when the child signed it and it answers that request.

Request ``{"type": "live", "id": "<16 hex>", "enterprise": "<credit code>", "source": "<code>"}``;
answer ``{"type": "live-reply", "id": …, "time": …, "source": {…}, "sensors": [{tag, name, kind, unit,
value, value_time, quality, alarm_state, lolo, lo, hi, hihi, equipment}], "equipment": [{code, name,
inventory_kg}]}``, or ``{"type": "live-reply", "id": …, "error": "…"}`` when the child holds no such source.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time

import paho.mqtt.client as mqtt
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from acquisition import envelope, sm
from acquisition.conf import Broker, message_max_age_s
from acquisition.envelope import EnvelopeError, Session
from geo.audit import record
from geo.models import AuditEntry, HazardSource, Sensor
from hierarchy.conf import LIVE, LIVE_REPLY, Parent
from hierarchy.forward import fresh_connection

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[0-9a-f]{16}")


class LiveError(Exception):
    """No usable answer: ``status`` is the HTTP status the parent answers with (502 bad, 504 none)."""

    def __init__(self, reason: str, status: int = 502) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


def seal(content: dict, sender: str, signer: sm.PrivateKey, receiver: sm.PublicKey) -> bytes:
    """``content`` as an envelope from ``sender``, encrypted for ``receiver``."""
    payload = json.dumps(content, ensure_ascii=False, default=str).encode()
    return envelope.seal(payload, sender, secrets.token_bytes(8), 0, Session.new(receiver), signer)


def unseal(message: bytes, sender: sm.PublicKey, own: sm.PrivateKey, max_age_s: float) -> tuple[str, dict]:
    """The sender's code and the content of an envelope; ``LiveError`` saying why not."""
    try:
        sealed = envelope.parse(message)
    except EnvelopeError as error:
        raise LiveError(f"malformed: {error}") from None
    age = time.time() - sealed.sent_ms / 1000
    if abs(age) > max_age_s:
        raise LiveError(f"sent {age:.0f} s from this centre's clock (limit {max_age_s:.0f} s)")
    if not sealed.signed_by(sender):
        raise LiveError("digest or SM2 signature does not match")
    try:
        content = json.loads(sealed.open(sm.decrypt(own, sealed.wrapped_key)))
    except (sm.CryptoError, ValueError) as error:
        raise LiveError(f"cannot be decrypted or read: {error}") from None
    if not isinstance(content, dict):
        raise LiveError("the content is not a JSON object")
    return sealed.gateway, content


# --- the child -----------------------------------------------------------------------------------


def readings(enterprise: str, source: str) -> dict:
    """The latest readings of the sensors of a hazard source here, and its equipment's live inventory."""
    unit = HazardSource.objects.filter(enterprise__credit_code=enterprise, code=source).first()
    if unit is None:
        return {"error": f"no hazard source {enterprise}/{source} at this centre"}
    sensors = Sensor.objects.filter(hazard_source=unit).select_related("equipment").order_by("tag")
    return {
        "source": {"enterprise": enterprise, "code": source, "name": unit.name},
        "sensors": [
            {
                "tag": s.tag,
                "name": s.name,
                "kind": s.kind,
                "unit": s.unit,
                "value": s.value,
                "value_time": s.value_time.isoformat() if s.value_time else None,
                "quality": s.quality,
                "alarm_state": s.alarm_state,
                "lolo": s.lolo,
                "lo": s.lo,
                "hi": s.hi,
                "hihi": s.hihi,
                "equipment": s.equipment.code if s.equipment_id else None,
            }
            for s in sensors
        ],
        "equipment": [
            {"code": e.code, "name": e.name, "inventory_kg": e.inventory_kg} for e in unit.equipment.order_by("code")
        ],
    }


class Responder:
    """The child's answers to its parent's live requests (called in the MQTT client's network thread)."""

    def __init__(self, parent: Parent, key: sm.PrivateKey, max_age_s: float | None = None) -> None:
        self.parent, self.key = parent, key
        self.max_age_s = message_max_age_s() if max_age_s is None else max_age_s
        self._seen: dict[str, float] = {}
        self.answered = 0

    def _refuse(self, reason: str) -> None:
        log.warning("hierarchy: live request refused: %s", reason)
        record(
            None,
            "hierarchy.live",
            reason=f"live request refused: {reason}",
            outcome=AuditEntry.Outcome.REFUSED,
            actor_name="parent",
        )

    def answer(self, client: mqtt.Client, message: bytes) -> None:
        fresh_connection()
        try:
            try:
                _sender, request = unseal(message, self.parent.key, self.key, self.max_age_s)
            except LiveError as error:
                self._refuse(error.reason)
                return
            request_id = str(request.get("id", ""))
            if request.get("type") != "live" or not REQUEST_ID.fullmatch(request_id):
                self._refuse("not a live request with a 16-hex-digit id")
                return
            now = time.monotonic()
            self._seen = {k: t for k, t in self._seen.items() if now - t < 2 * self.max_age_s}
            if request_id in self._seen:
                self._refuse(f"request {request_id} replayed")
                return
            self._seen[request_id] = now
            content = {"type": "live-reply", "id": request_id, "time": timezone.now().isoformat()}
            content.update(readings(str(request.get("enterprise", "")), str(request.get("source", ""))))
            reply = seal(content, self.parent.code, self.key, self.parent.key)
            client.publish(f"{self.parent.prefix}/{LIVE_REPLY}/{self.parent.code}/{request_id}", reply, qos=0)
            self.answered += 1
        except Exception:
            log.exception("hierarchy: a live request could not be answered")


# --- the parent ----------------------------------------------------------------------------------


def ask(
    broker: Broker,
    prefix: str,
    own_code: str,
    own_key: sm.PrivateKey,
    child_code: str,
    child_key: sm.PublicKey,
    enterprise: str,
    source: str,
    timeout_s: float = 5.0,
) -> dict:
    """Ask child centre ``child_code`` for the live readings of hazard source ``enterprise``/``source``.

    A connection of its own to the broker (clean session) per request, so that any process may ask;
    ``LiveError`` 504 when no valid answer came within ``timeout_s`` seconds, 502 when one was refused.
    """
    request_id = secrets.token_hex(8)
    reply_topic = f"{prefix}/{LIVE_REPLY}/{child_code}/{request_id}"
    subscribed, answered = threading.Event(), threading.Event()
    replies: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hazmap-live-{request_id}", clean_session=True)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()

    def connected(cl, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            cl.subscribe(reply_topic, qos=0)

    def on_subscribe(cl, userdata, mid, reason_codes, properties) -> None:
        subscribed.set()

    def on_message(cl, userdata, message) -> None:
        replies.append(message.payload)
        answered.set()

    client.on_connect, client.on_subscribe, client.on_message = connected, on_subscribe, on_message
    deadline = time.monotonic() + timeout_s
    try:
        client.connect(broker.host, broker.port, keepalive=15)
    except OSError as error:
        raise LiveError(f"the broker mqtt://{broker.host}:{broker.port} cannot be reached: {error}", 504) from None
    client.loop_start()
    try:
        if not subscribed.wait(max(0.0, deadline - time.monotonic())):
            raise LiveError(f"the broker mqtt://{broker.host}:{broker.port} did not answer in {timeout_s:g} s", 504)
        request = {"type": "live", "id": request_id, "enterprise": enterprise, "source": source}
        client.publish(f"{prefix}/{LIVE}/{child_code}", seal(request, own_code, own_key, child_key), qos=0)
        refusals = []
        while answered.wait(max(0.0, deadline - time.monotonic())):
            answered.clear()
            while replies:
                try:
                    sender, content = unseal(replies.pop(0), child_key, own_key, message_max_age_s())
                except LiveError as error:
                    refusals.append(error.reason)
                    log.warning("hierarchy: live answer from child centre %r refused: %s", child_code, error.reason)
                    continue
                if sender == child_code and content.get("id") == request_id and content.get("type") == "live-reply":
                    return content
                refusals.append("an answer to another request")
        why = f" (answers refused: {'; '.join(refusals)})" if refusals else ""
        raise LiveError(f"child centre {child_code} did not answer within {timeout_s:g} s{why}", 504)
    finally:
        client.disconnect()
        client.loop_stop()
