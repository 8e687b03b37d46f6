"""The one way hazmap's JSON endpoints are written: who asks, which method, the body, and errors.

``@endpoint("GET", "POST")`` wraps a view that returns a dict (answered 200) or ``(status, dict)``.
It authenticates as the OGC API does (``layers.auth``: an API token or the browser session; a
session-signed POST must pass the CSRF check), refuses other methods with 405, and turns the errors
a view raises into JSON bodies ``{"code", "type", "description"}`` — never a 500 for bad input:

- ``ApiError(status, code, description)``: what the view says is wrong;
- ``geo.audit.Refused``: a workflow step that may not be taken (its status, 403 or 409);
- ``django.core.exceptions.ValidationError``: the model refused the data (422, with the fields).

``body(request)`` reads a JSON object from the request, with a 400 when it is not one;
``known_parameters`` and ``limit_parameter`` check the query string.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geo.audit import Refused
from layers.auth import AuthenticationFailed, csrf_refusal, request_user
from layers.views import exception

MAX_BODY_BYTES = 1_000_000


class ApiError(Exception):
    """An answer other than success: HTTP ``status``, a short ``code`` and a ``description`` for people."""

    def __init__(self, status: int, code: str, description: str, details: dict | None = None) -> None:
        super().__init__(description)
        self.status, self.code, self.description, self.details = status, code, str(description), details


def body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; ``ApiError`` 400/413 when it is missing, too big or not an object."""
    try:
        size = len(request.body)
    except RequestDataTooBig:  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        size = MAX_BODY_BYTES + 1
    if size > MAX_BODY_BYTES:
        raise ApiError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "PayloadTooLarge",
            _("The request body is larger than %(n)d bytes.") % {"n": MAX_BODY_BYTES},
        )
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "InvalidBody", _("The body is not JSON: %(error)s") % {"error": error}
        ) from None
    if not isinstance(data, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidBody", _("The body must be a JSON object."))
    return data


def limit_parameter(request: HttpRequest, default: int, most: int) -> int:
    """The ``limit`` query parameter, ``default`` when absent; ``ApiError`` 400 outside 1…``most``."""
    raw = request.GET.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "InvalidParameterValue",
            _("limit must be a whole number from 1 to %(most)d, not “%(raw)s”.") % {"most": most, "raw": raw},
        )
    return int(raw)


def known_parameters(request: HttpRequest, known: set[str]) -> None:
    """``ApiError`` 400 naming the first query parameter not in ``known``."""
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "InvalidParameterValue", _("Unknown parameter “%(name)s”.") % {"name": unknown[0]}
        )


def _validation_details(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        fields = error.error_dict.items()
        return {"fields": {name: [str(m) for m in ValidationError(errors).messages] for name, errors in fields}}
    return {}


def endpoint(*methods: str) -> Callable:
    """Decorate a JSON view taking ``(request, user, *args)``; see the module docstring."""
    allowed = tuple(m.upper() for m in methods) or ("GET",)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in allowed and not (request.method == "HEAD" and "GET" in allowed):
                    raise ApiError(
                        HTTPStatus.METHOD_NOT_ALLOWED,
                        "MethodNotAllowed",
                        _("Use %(methods)s here.") % {"methods": " or ".join(allowed)},
                    )
                try:
                    user, by_token = request_user(request)
                except AuthenticationFailed as error:
                    raise ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized", str(error)) from None
                if not user.is_authenticated:
                    raise ApiError(
                        HTTPStatus.UNAUTHORIZED,
                        "Unauthorized",
                        _("Sign in, or send an API token as “Authorization: Bearer <token>”, to use this resource."),
                    )
                if request.method not in ("GET", "HEAD") and not by_token:
                    refusal = csrf_refusal(request)
                    if refusal:
                        raise ApiError(
                            HTTPStatus.FORBIDDEN, "Forbidden", _("CSRF check failed: %(reason)s") % {"reason": refusal}
                        )
                answer = view(request, user, *args, **kwargs)
            except ApiError as error:
                return exception(error.status, error.code, error.description, error.details)
            except Refused as error:
                return exception(error.status, error.code, error.reason)
            except ValidationError as error:
                return exception(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    "InvalidValue",
                    "; ".join(error.messages),
                    _validation_details(error),
                )
            if isinstance(answer, HttpResponse):
                return answer
            status, data = answer if isinstance(answer, tuple) else (HTTPStatus.OK, answer)
            return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})

        return csrf_exempt(wrapped)

    return decorate
