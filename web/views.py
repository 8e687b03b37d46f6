"""The map front end's page and its sign-in.

``app`` serves the page Vite built (``frontend/dist/index.html``) for every view of the front end
(``/`` command, ``/inspector``, ``/dashboard``, ``/planner``, ``/tasks``), with the signed-in user, the CSRF
token and the words of the data written into it, so the first map needs no extra round trip. The
page's scripts and styles are static files under ``/static/app/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.html import json_script
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from web.labels import LANGUAGES, labels

PLACEHOLDER = "<!--hazmap-session-->"  # where frontend/index.html takes the session


def chosen_language(request: HttpRequest) -> str:
    """The front end's language: the one the person chose (Django's language cookie), else Chinese.

    The browser's Accept-Language is not followed here: hazmap speaks Chinese unless asked otherwise.
    """
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return "en" if chosen.startswith("en") else "zh"


@lru_cache(maxsize=4)
def _page(path: Path, mtime_ns: int) -> str:
    """The built page (re-read when the build changes it)."""
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _labels_json() -> dict:
    return labels()


def session_data(request: HttpRequest) -> dict:
    """What the front end knows at start: the user and their scope, the language, CSRF token, words, and
    the configured basemap (``hazmap.basemap``; None for the offline map)."""
    user = request.user
    language = chosen_language(request)
    region = user.region
    enterprise = user.enterprise
    return {
        "user": {
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "role": "admin" if user.is_superuser else user.role,
            "staff": user.is_staff,
            "region": region and {"code": region.code, "name": region.name, "name_en": region.name_en},
            "enterprise": enterprise and {"id": enterprise.pk, "name": enterprise.name, "name_en": enterprise.name_en},
        },
        "language": language,
        "languages": list(LANGUAGES),
        "csrf": get_token(request),
        "labels": _labels_json(),
        "basemap": settings.BASEMAP,
    }


@never_cache
@login_required
def app(request: HttpRequest) -> HttpResponse:
    """The front end's page, with the session written in (see the module docstring)."""
    index = Path(settings.FRONTEND_DIST) / "index.html"
    try:
        page = _page(index, index.stat().st_mtime_ns)
    except FileNotFoundError:
        message = _("The map front end is not built yet: run “make run”, or “npm ci && npm run build” in frontend/.")
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    data = session_data(request)
    lang = "en" if data["language"] == "en" else "zh-Hans"
    page = page.replace(PLACEHOLDER, json_script(data, "hazmap-session"), 1)
    page = page.replace('<html lang="zh-Hans">', f'<html lang="{lang}">', 1)
    return HttpResponse(page, content_type="text/html; charset=utf-8")


class SignIn(LoginView):
    """Django's sign-in, in the language the person chose (Chinese by default)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        with translation.override(LANGUAGES[chosen_language(self.request)]):
            return response.render()
