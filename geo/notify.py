"""Telling people: notifications written with the change they tell of, delivered afterwards by channels.

``notify(users, subject, body, obj)`` writes one ``Notification`` per user and enabled channel on
which the user can be reached, in the caller's transaction. ``deliver_pending`` sends what is due
(``hazmap serve`` runs it every ``HAZMAP_NOTIFY_INTERVAL_S``; ``hazmap notify`` runs it by hand) and
retries a failed send after 30 s, 60 s, 120 s … (at most an hour apart), giving up after
``HAZMAP_NOTIFY_MAX_ATTEMPTS``.

Channels share one interface (``Channel``: ``address(user)`` and ``send(notification, address)``):

=========  ==============================================  ====================================
channel    reaches a user at                               enabled
=========  ==============================================  ====================================
inbox      the in-app list (``/app/notifications``)        always
email      ``user.email``, through Django's mail backend   when ``HAZMAP_SMTP_HOST`` is set
sms        ``user.phone``, POSTed as JSON to a gateway     when ``HAZMAP_SMS_URL`` is set
=========  ==============================================  ====================================

The SMS channel speaks to an HTTP gateway (``{"to": phone, "text": …}``, with ``Authorization:
Bearer HAZMAP_SMS_TOKEN`` when set): the provider's own SDK sits behind that gateway, so hazmap
carries no provider code. ``HAZMAP_NOTIFY_CHANNELS`` lists the channels to use (default: every
enabled one).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from geo.models.notifications import Notification

log = logging.getLogger("hazmap.notify")

FIRST_RETRY_S = 30
LONGEST_RETRY_S = 3600


class ChannelError(Exception):
    """A send that failed; the message says why (kept in ``Notification.last_error``)."""


class Channel(Protocol):
    name: str

    def address(self, user) -> str | None:
        """Where ``user`` is reached on this channel, or None if they cannot be."""

    def send(self, notification: Notification, address: str) -> None:
        """Send ``notification`` to ``address``; raise ``ChannelError`` when it fails."""


class InboxChannel:
    """The in-app list: written is delivered."""

    name = "inbox"

    def address(self, user) -> str | None:
        return "inbox"

    def send(self, notification: Notification, address: str) -> None:
        return None


class EmailChannel:
    """E-mail through Django's mail backend (SMTP settings: ``HAZMAP_SMTP_*``)."""

    name = "email"

    def address(self, user) -> str | None:
        return user.email or None

    def send(self, notification: Notification, address: str) -> None:
        try:
            send_mail(notification.subject, notification.body, None, [address], fail_silently=False)
        except Exception as error:  # smtplib and socket errors alike: the channel failed, retry later
            raise ChannelError(f"{type(error).__name__}: {error}") from error


class SmsWebhookChannel:
    """SMS through an HTTP gateway: POST ``{"to", "text"}`` to ``HAZMAP_SMS_URL``; any 2xx is sent."""

    name = "sms"

    def address(self, user) -> str | None:
        return getattr(user, "phone", "") or None

    def send(self, notification: Notification, address: str) -> None:
        text = notification.subject if not notification.body else f"{notification.subject}\n{notification.body}"
        request = urllib.request.Request(
            settings.HAZMAP_SMS_URL,
            data=json.dumps({"to": address, "text": text}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if settings.HAZMAP_SMS_TOKEN:
            request.add_header("Authorization", f"Bearer {settings.HAZMAP_SMS_TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise ChannelError(f"the SMS gateway answered {error.code}") from error
        except OSError as error:
            raise ChannelError(f"the SMS gateway is unreachable: {error}") from error


CHANNELS: dict[str, Channel] = {c.name: c for c in (InboxChannel(), EmailChannel(), SmsWebhookChannel())}


def enabled_channels() -> list[Channel]:
    """The channels notifications are written for, in ``HAZMAP_NOTIFY_CHANNELS`` order."""
    return [CHANNELS[name] for name in settings.HAZMAP_NOTIFY_CHANNELS]


def people_of(region=None, roles: Iterable[str] | None = None, enterprise=None) -> QuerySet:
    """The active users who answer for ``region`` (placed in it, not below) or for ``enterprise``.

    ``roles`` narrows to some roles (e.g. ``("regulator", "emergency")``); an enterprise's people are
    its own accounts. The workflows notify these when a step needs someone at a level.
    """
    User = get_user_model()
    rows = User.objects.filter(is_active=True)
    if enterprise is not None:
        rows = rows.filter(enterprise=enterprise)
    elif region is not None:
        rows = rows.filter(region=region, enterprise__isnull=True)
    else:
        return rows.none()
    if roles is not None:
        rows = rows.filter(role__in=list(roles))
    return rows.order_by("pk")


def notify(users: Iterable, subject: str, body: str = "", obj: Model | None = None) -> list[Notification]:
    """Write a notification for each of ``users`` on each enabled channel that reaches them."""
    now = timezone.now()
    rows = []
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        for channel in enabled_channels():
            address = channel.address(user)
            if address is None:
                continue
            inbox = channel.name == InboxChannel.name
            rows.append(
                Notification(
                    recipient=user,
                    channel=channel.name,
                    subject=str(subject)[:200],
                    body=str(body),
                    object_type=obj._meta.label_lower if obj is not None else "",
                    object_id=str(obj.pk) if obj is not None else "",
                    state=Notification.State.SENT if inbox else Notification.State.PENDING,
                    sent_at=now if inbox else None,
                )
            )
    return Notification.objects.bulk_create(rows)


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(FIRST_RETRY_S * 2 ** (attempts - 1), LONGEST_RETRY_S))


def deliver_pending(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Send up to ``limit`` due notifications; return how many were sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=Notification.State.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .select_related("recipient")
            .order_by("id")[:limit]
        )
        for notification in due:
            channel = CHANNELS.get(notification.channel)
            notification.attempts += 1
            tries = notification.attempts
            try:
                if channel is None:
                    raise ChannelError(f"no channel “{notification.channel}”")
                address = channel.address(notification.recipient)
                if address is None:
                    raise ChannelError(f"the recipient has no address on the {channel.name} channel")
                channel.send(notification, address)
            except ChannelError as error:
                notification.last_error = str(error)[:500]
                if notification.attempts >= settings.HAZMAP_NOTIFY_MAX_ATTEMPTS:
                    notification.state = Notification.State.FAILED
                    log.warning("gave up notification %s after %d attempts: %s", notification.pk, tries, error)
                else:
                    notification.next_attempt_at = now + _retry_delay(notification.attempts)
                    log.info("notification %s failed (attempt %d), retrying: %s", notification.pk, tries, error)
            else:
                notification.state = Notification.State.SENT
                notification.sent_at = timezone.now()
                notification.last_error = ""
                sent += 1
            notification.save(update_fields=["attempts", "state", "sent_at", "next_attempt_at", "last_error"])
    return sent
