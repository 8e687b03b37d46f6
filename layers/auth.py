"""Who is asking: an API token (``Authorization: Bearer …`` or ``?token=``) or the browser session.

OGC clients authenticate with a token; people in the browser with their Django session. A request
signed in by its session must pass Django's CSRF check before anything is written or executed
(POST); a token is never sent by a browser on its own, so token requests need no CSRF token.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from layers import tokens

TOKEN_PARAMETER = "token"


class AuthenticationFailed(Exception):
    """A token was given but is not valid; the message says why (shown to the client)."""


def _raw_token(request: HttpRequest) -> str | None:
    """The token in the Authorization header or the ``token`` query parameter, or None if neither."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer":
        if not value.strip():
            raise AuthenticationFailed(_("The Authorization header names Bearer but holds no token."))
        return value.strip()
    return request.GET.get(TOKEN_PARAMETER)


def request_user(request: HttpRequest) -> tuple[object, bool]:
    """The user ``request`` acts for and whether a token said so (else the session, maybe anonymous)."""
    raw = _raw_token(request)
    if raw is not None:
        user = tokens.authenticate(raw)
        if user is None:
            raise AuthenticationFailed(_("The API token is unknown, revoked or belongs to an inactive user."))
        return user, True
    return request.user, False


async def arequest_user(request: HttpRequest) -> object:
    """``request_user`` for async views: the user only."""
    raw = _raw_token(request)
    if raw is not None:
        user = await sync_to_async(tokens.authenticate)(raw)
        if user is None:
            raise AuthenticationFailed(_("The API token is unknown, revoked or belongs to an inactive user."))
        return user
    return await request.auser()


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def csrf_refusal(request: HttpRequest) -> str | None:
    """Why Django's CSRF check refuses ``request`` (a session-signed POST), or None when it passes."""
    check = _CsrfCheck(lambda request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})
