"""Issuing, checking and revoking API tokens (see ``layers.models.ApiToken``).

A token is ``hzm_`` followed by 43 URL-safe random characters (256 bits), so one SHA-256 of it is
enough to store: there is nothing to guess. The demo data issues one known token
(``DEMO_TOKEN``) so that an OGC client can try the demo at once; never load the demo into a
production database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from layers.models import ApiToken

PREFIX = "hzm_"
DEMO_TOKEN = "hzm_demo_0123456789abcdefghijklmnopqrstuvwxyzAB"
# A token's last use is written at most this often (a write per request would cost more than the request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def digest(raw: str) -> str:
    """The stored form of a token: its SHA-256 in hexadecimal."""
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user, name: str, raw: str | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the token itself (shown once, never stored).

    ``raw`` fixes the token's value (the demo data); leave it out to draw a random one.
    """
    raw = raw or PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[: len(PREFIX) + 4], digest=digest(raw))
    return token, raw


def authenticate(raw: str):
    """The active user a token acts for, or None when the token is unknown, revoked or its user inactive."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user__region").filter(digest=digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke(token: ApiToken) -> None:
    """Refuse ``token`` from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
