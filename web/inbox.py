"""A user's notifications (``/app/notifications``) and the audit log of their scope (``/app/audit``).

=================================  ======  =========================================================
path                               method  what
=================================  ======  =========================================================
``app/notifications``              GET     the user's inbox, newest first (``unread=1``: unread only;
                                           ``limit`` 1–200, default 50) and the unread count
``app/notifications/<id>/read``    POST    mark one read
``app/notifications/read``         POST    mark all read
``app/audit``                      GET     audit entries in the user's scope, newest first; filters
                                           ``object_type`` (e.g. ``geo.alarm``), ``object_id``,
                                           ``action``, ``outcome``; ``limit`` 1–500, default 100
=================================  ======  =========================================================
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.models import AuditEntry, Notification
from geo.scope import scoped
from web.api import ApiError, endpoint, known_parameters, limit_parameter

AUDIT_FILTERS = ("object_type", "object_id", "action", "outcome")


def _notification(n: Notification) -> dict:
    return {
        "id": n.pk,
        "subject": n.subject,
        "body": n.body,
        "object_type": n.object_type,
        "object_id": n.object_id,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


@endpoint("GET")
def notifications(request: HttpRequest, user) -> dict:
    """The user's in-app notifications and how many are unread."""
    known_parameters(request, {"unread", "limit", "token"})
    rows = Notification.objects.filter(recipient=user, channel="inbox")
    unread = rows.filter(read_at__isnull=True)
    listed = unread if request.GET.get("unread") in ("1", "true") else rows
    limit = limit_parameter(request, 50, 200)
    return {"unread": unread.count(), "notifications": [_notification(n) for n in listed[:limit]]}


@endpoint("POST")
def read_one(request: HttpRequest, user, pk: int) -> dict:
    """Mark one of the user's notifications read."""
    count = Notification.objects.filter(recipient=user, pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    if not count and not Notification.objects.filter(recipient=user, pk=pk).exists():
        raise ApiError(HTTPStatus.NOT_FOUND, "NotFound", _("You have no notification %(id)s.") % {"id": pk})
    return {"read": count}


@endpoint("POST")
def read_all(request: HttpRequest, user) -> dict:
    """Mark all of the user's notifications read."""
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    return {"read": count}


def _entry(e: AuditEntry) -> dict:
    return {
        "id": e.pk,
        "time": e.time.isoformat(),
        "actor": e.actor_name,
        "action": e.action,
        "outcome": e.outcome,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "region": e.region.code if e.region else None,
        "enterprise": e.enterprise_id,
        "reason": e.reason,
        "detail": e.detail,
    }


@endpoint("GET")
def audit(request: HttpRequest, user) -> dict:
    """The audit entries the user may see, filtered by the query parameters."""
    known_parameters(request, {*AUDIT_FILTERS, "limit", "token"})
    rows = scoped(AuditEntry.objects.select_related("region"), user)
    for name in AUDIT_FILTERS:
        if name in request.GET:
            rows = rows.filter(**{name: request.GET[name]})
    limit = limit_parameter(request, 100, 500)
    return {"entries": [_entry(e) for e in rows[:limit]]}
