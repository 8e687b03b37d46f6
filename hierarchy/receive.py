"""The parent's side of the hierarchy: child centres' changes checked, applied idempotently, refusals recorded.

A child centre is a ``acquisition.models.Gateway`` of kind centre: its code, SM2 certificate or public
key, region, whether it is active, when it was last heard from. Its messages go through the same
``acquisition.centre.Centre`` as gateways' (form, known and active sender, certificate validity, age,
SM3 digest and SM2 signature, replay, decryption) with ``ChildChanges`` as the handler: every refusal
there is logged and recorded in the audit log (action ``hierarchy.receive``, outcome refused,
``actor_name`` the code the message claimed), and nothing of the message is applied.

A message that passed holds changes (``hierarchy.kinds``), applied in order in the message's
transaction, each in a savepoint of its own: a change about a row outside the child's region, naming
a row not known here, or refused by the model's validation is refused alone (logged and recorded as
``hierarchy.apply``) and the others are applied. Applying a change again — a message delivered twice,
a child sending again after an outage, a resync — leaves every row as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from acquisition import envelope, sm
from acquisition.centre import Centre, Known
from acquisition.conf import Broker
from acquisition.mqtt import MqttCentre
from geo.audit import Refused, record
from geo.models import AuditEntry, Replica
from hierarchy.conf import CHILD_ACK, CHILD_UP
from hierarchy.kinds import DELETE, KINDS, UPSERT, Sender, describe

log = logging.getLogger(__name__)


@dataclass
class Applied:
    """What became of one message's changes: applied, already applied (an older or the same change again), refused."""

    applied: int = 0
    stale: int = 0
    refused: list[str] = field(default_factory=list)


def check_change(change: object) -> dict:
    """A change's form (its kind is checked when it is applied); ``ValueError`` when it has none."""
    if not isinstance(change, dict):
        raise ValueError("a change is not a JSON object")
    if change.get("op") not in (UPSERT, DELETE):
        raise ValueError(f"a change has the operation {change.get('op')!r}, not upsert or delete")
    if not isinstance(change.get("kind"), str) or not isinstance(change.get("ref"), str | int):
        raise ValueError("a change lacks its kind or ref")
    if not isinstance(change.get("n"), int) or isinstance(change["n"], bool):
        raise ValueError("a change lacks its number n")
    if change["op"] == UPSERT and not isinstance(change.get("data"), dict):
        raise ValueError("an upsert lacks its data")
    return change


def apply_change(sender: Sender, change: dict) -> bool:
    """Apply one change (create, update or delete the local row; its replica remembers it); ``Refused`` if it may
    not be. False when the row's replica has seen this change or a later one: nothing is done."""
    kind = KINDS.get(change["kind"])
    if kind is None:
        raise Refused(f"rows of kind {change['kind']!r} are not known to this centre", code="UnknownKind")
    ref = str(change["ref"])
    replica = Replica.objects.filter(origin=sender.code, kind=kind.name, ref=ref).first()
    if replica is not None and replica.version >= change["n"]:
        return False
    if change["op"] == DELETE:
        kind.delete(sender, change, replica)
        local_id = None
    else:
        local_id = kind.upsert(sender, change, replica).pk
    Replica.objects.update_or_create(
        origin=sender.code,
        kind=kind.name,
        ref=ref,
        defaults={"local_id": local_id, "version": change["n"], "region_path": sender.path},
    )
    return True


def apply_changes(sender: Sender, changes: list[dict]) -> Applied:
    """Apply ``changes`` in order, each in its own savepoint; refusals are logged and recorded."""
    outcome = Applied()
    for change in changes:
        try:
            with transaction.atomic():
                if apply_change(sender, change):
                    outcome.applied += 1
                else:
                    outcome.stale += 1
        except Refused as error:
            refuse(sender, change, error.reason, error.code)
            outcome.refused.append(error.reason)
        except ValidationError as error:
            reason = "; ".join(error.messages)
            refuse(sender, change, reason, "InvalidValue")
            outcome.refused.append(reason)
        except (IntegrityError, ProtectedError, RestrictedError) as error:
            refuse(sender, change, str(error), type(error).__name__)
            outcome.refused.append(str(error))
    return outcome


def refuse(sender: Sender, change: dict, reason: str, code: str) -> None:
    what = f"{change['op']} of {change['kind']} {describe(change.get('key') or change['ref'])}"
    log.warning("hierarchy: %s from child centre %r refused: %s", what, sender.code, reason)
    record(
        None,
        "hierarchy.apply",
        reason=f"{what}: {reason}",
        outcome=AuditEntry.Outcome.REFUSED,
        actor_name=sender.code,
        region=sender.region,
        detail={"code": code, "kind": change["kind"], "op": change["op"], "ref": str(change["ref"])},
    )


class ChildChanges:
    """The ``Centre`` handler for child centres' messages."""

    kind = "centre"
    noun = "child centre"
    log_name = "hierarchy"

    def decode(self, payload: bytes) -> list[dict]:
        try:
            return [check_change(json.loads(chunk)) for chunk in envelope.unpack_chunks(payload)]
        except UnicodeDecodeError as error:
            raise ValueError(f"a change is not UTF-8: {error}") from None

    def apply(self, content: list[dict], sender: Known, who: str, now: dt.datetime) -> Applied:
        return apply_changes(Sender(sender.gateway.code, sender.gateway.region), content)

    def refused(self, code: str, sender: Known | None, status: str, reason: str) -> None:
        record(
            None,
            "hierarchy.receive",
            reason=f"message refused: {reason}",
            outcome=AuditEntry.Outcome.REFUSED,
            actor_name=code or "(unnamed)",
            region=sender.gateway.region if sender is not None else None,
            detail={"code": status},
        )


def listener(broker: Broker, prefix: str, key: sm.PrivateKey, client_id: str) -> MqttCentre:
    """The parent's MQTT listener for its children (``{prefix}/child-up/+``); ``start()`` it."""
    return MqttCentre(
        Centre(key, handler=ChildChanges()), broker, prefix, client_id=client_id, up=CHILD_UP, ack=CHILD_ACK
    )
