"""Recording what people do: ``record`` adds an audit entry; ``Refused`` is a step that may not be taken.

Workflows (the registry, alarm handling, tasks between levels, messages between centres) record
every step they take and every step they refuse. A refusal is recorded outside the refused step's
transaction (``record_refusal``), so that it stays in the log although the step left nothing else.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.db.models import Model

from geo.models.audit import AuditEntry

log = logging.getLogger("hazmap.audit")


class Refused(Exception):
    """A step that may not be taken now: ``reason`` (for people) and ``code`` say why.

    ``status`` is the HTTP answer: 403 when the user may not take the step at all (role, level,
    scope), 409 when the step is out of order (the object is not in a state that allows it).
    """

    def __init__(self, reason: str, code: str = "Conflict", status: int = HTTPStatus.CONFLICT) -> None:
        super().__init__(reason)
        self.reason, self.code, self.status = str(reason), code, status


def _place(obj: Model | None) -> tuple[Any, Any]:
    """The region and enterprise ``obj`` belongs to (either may be None)."""
    if obj is None:
        return None, None
    enterprise = getattr(obj, "enterprise", None)
    if enterprise is None and obj.__class__.__name__ == "Enterprise":
        enterprise = obj
    region = getattr(obj, "region", None)
    if region is None and enterprise is not None:
        region = enterprise.region
    return region, enterprise


def record(
    actor,
    action: str,
    obj: Model | None = None,
    *,
    reason: str = "",
    detail: dict | None = None,
    outcome: str = AuditEntry.Outcome.DONE,
    actor_name: str = "",
    region=None,
    enterprise=None,
) -> AuditEntry:
    """Add one audit entry: ``actor`` (a user, or None with ``actor_name``) did ``action`` on ``obj``."""
    obj_region, obj_enterprise = _place(obj)
    user = actor if getattr(actor, "pk", None) is not None else None
    entry = AuditEntry.objects.create(
        actor=user,
        actor_name=actor_name or (user.get_username() if user else ""),
        action=action,
        outcome=outcome,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        region=region or obj_region,
        enterprise=enterprise or obj_enterprise,
        reason=reason,
        detail=detail or {},
    )
    if outcome == AuditEntry.Outcome.REFUSED:
        log.info("refused %s on %s %s by %s: %s", action, entry.object_type, entry.object_id, entry.actor_name, reason)
    return entry


def record_refusal(actor, action: str, obj: Model | None, error: Refused, **kwargs) -> AuditEntry:
    """Record that ``action`` on ``obj`` was refused with ``error``; call it outside the step's transaction."""
    return record(
        actor,
        action,
        obj,
        reason=error.reason,
        outcome=AuditEntry.Outcome.REFUSED,
        detail={"code": error.code},
        **kwargs,
    )
