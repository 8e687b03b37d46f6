"""The child's side of the hierarchy: every change of a forwarded row is queued with the change, then sent up.

**Capture.** ``saved`` and ``deleted`` are the ``post_save``/``post_delete`` receivers of every model of
``hierarchy.kinds`` (connected by ``HierarchyConfig.ready``). When this centre has a parent
(HAZMAP_PARENT_KEY), each writes one ``geo.Forward`` row holding the change as it will be sent — in
the same transaction as the change (``ValidatedModel.save`` and ``Model.delete`` run their receivers
inside their transaction), so a change is never committed without it, nor it without the change,
whenever the process dies. Rows outside the centre's region (HAZMAP_CENTRE_REGION) are not forwarded;
substances (reference data of no region) are.

Why not the ``geo.Event`` rows the map's stream reads: they are written after the change commits
(``transaction.on_commit``), so a process dying between the two loses them; they hold the public
attributes of a collection, not the whole row; and they are pruned after HAZMAP_EVENT_RETENTION_HOURS,
while a parent may be away for days. ``Forward`` rows are deleted only once the parent acknowledged
them, however long that takes (one row of a few hundred bytes to a few kB per change).

Writes that bypass ``save()`` and ``delete()`` (``QuerySet.update``, ``bulk_create``, raw SQL, a
fixture's raw saves) send no signal: call ``capture(row)`` after them, or ``hazmap hierarchy --resync``.

**Sending.** ``ForwardQueue`` is the ``Forward`` table seen as the outbox ``acquisition.uplink.Uplink``
reads, so the child's changes travel exactly as a gateway's samples: SM4-GCM payload, SM3 digest, SM2
signature by this centre's key, epoch and sequence, QoS 1 on a persistent session, resent until the
parent acknowledges them (at-least-once, in order); the parent applies them idempotently.

**Live readings.** ``Forwarder`` also answers the parent's signed requests for the live readings of a
hazard source (``hierarchy.live``).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import dataclass

from django.db import close_old_connections, connection, transaction
from django.db.models import Count, F, Max, Min, Model

from acquisition import sm
from acquisition.mqtt import MqttTransport
from acquisition.outbox import Backlog, Chunk
from acquisition.uplink import Uplink
from geo.models import Forward, Region
from hierarchy import conf
from hierarchy.conf import CHILD_ACK, CHILD_UP, LIVE, Parent
from hierarchy.kinds import BY_MODEL, DELETE, KINDS, UPSERT, Kind

log = logging.getLogger(__name__)

_paths: dict[str, str] = {}


def own_path() -> str | None:
    """The path of this centre's region (None when HAZMAP_CENTRE_REGION names no region here: everything goes)."""
    code = conf.centre_region()
    path = _paths.get(code)
    if path is None:
        path = Region.objects.filter(code=code).values_list("path", flat=True).first()
        if path is None:
            log.error("hierarchy: HAZMAP_CENTRE_REGION=%r is no region here; every change is forwarded", code)
            return None
        _paths[code] = path
    return path


def in_region(kind: Kind, row: Model) -> bool:
    """True when ``row`` lies in this centre's region, or in no region at all."""
    path = kind.region_path(row)
    own = own_path()
    return path is None or own is None or path.startswith(own)


def queued(kind: Kind, row: Model, op: str) -> Forward:
    """The unsaved queue row of a change of ``row``."""
    region_path = kind.region_path(row) or ""
    return Forward(kind=kind.name, op=op, ref=str(row.pk), change=kind.change(row, op), region_path=region_path)


def queue(kind: Kind, row: Model, op: str, using: str = "default") -> Forward:
    forward = queued(kind, row, op)
    forward.save(using=using)
    return forward


def capture(row: Model, using: str = "default") -> Forward | None:
    """Queue ``row`` as it is stored now (after a write that sent no signal); None when it is not forwarded."""
    kind = BY_MODEL[type(row)]
    stored = kind.stored(row.pk)
    if stored is None or not in_region(kind, stored):
        return None
    return queue(kind, stored, UPSERT, using)


def saved(sender: type[Model], instance: Model, raw: bool = False, using: str = "default", **_kwargs) -> None:
    """``post_save``: queue the row as stored (read again: the instance may hold less than the row)."""
    if raw or not conf.has_parent():
        return
    capture(instance, using)


def deleted(sender: type[Model], instance: Model, using: str = "default", **_kwargs) -> None:
    """``post_delete``: queue the delete, with the natural key the row had (when its relations still answer)."""
    if not conf.has_parent():
        return
    kind = BY_MODEL[sender]
    if in_region(kind, instance):
        queue(kind, instance, DELETE, using)


def resync() -> dict[str, int]:
    """Queue every forwarded row of this centre's region as it is stored (after a parent is first set, or lost
    what it had; of summaries the latest of each centre, ``Kind.to_resync``), then a new summary of the region
    (``hierarchy.summary``); how many of each kind. Sending them again changes nothing where the parent has them."""
    from hierarchy.summary import summarise

    own = own_path()
    counts = {}
    with transaction.atomic():
        for kind in KINDS.values():
            rows = kind.model._default_manager.select_related(*kind.related).order_by("pk")
            lookup = getattr(kind.model, "scope_region", "")
            if lookup and own:
                rows = rows.filter(**{f"{lookup}__startswith": own})
            batch = [queued(kind, row, UPSERT) for row in kind.to_resync(rows).iterator(chunk_size=1000)]
            Forward.objects.bulk_create(batch, batch_size=500)
            counts[kind.name] = len(batch)
        if summarise() is not None:  # queued by its post_save
            counts["summary"] += 1
    return counts


def fresh_connection() -> None:
    """Drop this thread's database connection if it broke or aged (long-lived threads see no request end)."""
    if not connection.in_atomic_block:
        close_old_connections()


class ForwardQueue:
    """The ``Forward`` table as the outbox an ``Uplink`` reads (``pending``, ``delete``, ``reserve_sequence``).

    A chunk's number is the row's ``position``, given here to committed rows only (``_stamp``), in
    the order they became visible: a row whose transaction commits late gets a later position, never
    one the uplink has already passed. ``epoch`` is new at every start, so message numbers need no
    storage: (centre, epoch, sequence) names a message for ever. One forwarder per database.
    """

    def __init__(self) -> None:
        self.epoch = secrets.token_bytes(8)
        self._seq = 0
        self._position: int | None = None
        self._lock = threading.Lock()

    def _stamp(self) -> None:
        """Give the rows committed since the last call the next positions, in id order."""
        with self._lock, transaction.atomic():
            if self._position is None:
                self._position = Forward.objects.aggregate(top=Max("position"))["top"] or 0
            new = Forward.objects.filter(position__isnull=True).aggregate(lo=Min("id"), hi=Max("id"))
            if new["lo"] is None:
                return
            offset = self._position - new["lo"] + 1
            Forward.objects.filter(position__isnull=True, id__gte=new["lo"], id__lte=new["hi"]).update(
                position=F("id") + offset
            )
            self._position = new["hi"] + offset

    def pending(self, after: int = 0, max_bytes: int = 1_000_000, max_chunks: int = 1000) -> list[Chunk]:
        """The oldest changes after position ``after``, up to about ``max_bytes`` of JSON (at least one)."""
        fresh_connection()
        self._stamp()
        rows = (
            Forward.objects.filter(position__gt=after)
            .order_by("position")
            .values_list("position", "id", "created_at", "change")[:max_chunks]
        )
        chunks, size = [], 0
        for position, number, created_at, change in rows:
            change["n"] = number  # the change's number: for one row, they grow in the order of the changes
            body = json.dumps(change, ensure_ascii=False, separators=(",", ":")).encode()
            if chunks and size + len(body) > max_bytes:
                break
            chunks.append(Chunk(position, created_at.timestamp(), 1, body))
            size += len(body)
        return chunks

    def delete(self, seqs: list[int]) -> None:
        """Forget the changes the parent acknowledged."""
        if seqs:
            fresh_connection()
            Forward.objects.filter(position__in=seqs).delete()

    def reserve_sequence(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def backlog(self) -> Backlog:
        """What waits for the parent (``samples``: changes)."""
        found = Forward.objects.aggregate(n=Count("id"), oldest=Min("created_at"))
        oldest = found["oldest"].timestamp() if found["oldest"] else None
        return Backlog(found["n"], found["n"], 0, oldest)


class ChildTransport(MqttTransport):
    """The uplink's MQTT transport on the child's topics, also taking the parent's live requests."""

    def __init__(self, parent: Parent, on_request) -> None:
        super().__init__(
            parent.broker,
            parent.code,
            parent.prefix,
            client_id=f"hazmap-child-{parent.code}",
            up=CHILD_UP,
            ack=CHILD_ACK,
        )
        self.on_request = on_request
        self.request_topic = f"{parent.prefix}/{LIVE}/{parent.code}"

    def _connected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        super()._connected_cb(client, userdata, flags, reason_code, properties)
        if not reason_code.is_failure:
            client.subscribe(self.request_topic, qos=0)

    def _disconnected_cb(self, client, userdata, flags, reason_code, properties) -> None:
        super()._disconnected_cb(client, userdata, flags, reason_code, properties)
        if self._stopping:
            connection.close()  # the connection this network thread opened (acknowledgements, requests)

    def _message_cb(self, client, userdata, message) -> None:
        if message.topic == self.request_topic:
            self.on_request(client, message.payload)
        else:
            fresh_connection()
            super()._message_cb(client, userdata, message)

    def close_thread(self) -> None:
        connection.close()  # the uplink thread's


@dataclass
class Forwarder:
    """Sends this centre's queued changes to its parent and answers its live requests, until ``stop``."""

    parent: Parent
    key: sm.PrivateKey
    ack_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        from hierarchy.live import Responder

        self.queue = ForwardQueue()
        self.responder = Responder(self.parent, self.key)
        self.transport = ChildTransport(self.parent, self.responder.answer)
        self.uplink = Uplink(
            self.queue, self.transport, self.parent.code, self.key, self.parent.key, ack_timeout_s=self.ack_timeout_s
        )

    def start(self) -> Forwarder:
        self.uplink.start()
        log.info(
            "hierarchy: forwarding to the parent on mqtt://%s:%d as %s/%s/%s",
            self.parent.broker.host,
            self.parent.broker.port,
            self.parent.prefix,
            CHILD_UP,
            self.parent.code,
        )
        return self

    def stop(self) -> None:
        self.uplink.stop()
