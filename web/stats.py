"""The dashboard's figures, counted in the database for the user's scope (``/app/stats``).

What the regulators' guide asks a major-hazard-source platform to chart: hazard sources by GB 18218
grade, by possible accident type, by region, by kind and by year of registration; alarms by hour of
day and month (Asia/Shanghai), by device type (the sensor's kind), by alarm kind, by region and by
industry. Every count is one ``GROUP BY`` over ``Collection.queryset(user)`` (the same scope as the
OGC API), so the figures agree with what the map and the API show the user.

Query parameter ``days`` (1–3660, default 30) limits the alarms to those started in the last so many
days. The answer is JSON: ``{"hazard_sources": {...}, "alarms": {...}, "days": 30}``; each figure is a
list of ``[key, count]`` pairs, keys being codes (grade 1–4 or null, region code, sensor kind…) that the
front end labels in the user's language; regions come with their names.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractMonth, ExtractYear
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.registry import COLLECTIONS

MAX_DAYS = 3660


def _pairs(rows: QuerySet, key: str) -> list[list]:
    """``[[key, count], …]`` ordered by key, null last (on every backend)."""
    counted = rows.values(key).annotate(n=Count("pk")).order_by(F(key).asc(nulls_last=True))
    return [[row[key], row["n"]] for row in counted]


def hazard_source_figures(user) -> dict:
    """Counts of the hazard sources ``user`` may see, by grade, accident type, region, kind and year."""
    rows = COLLECTIONS["hazard-sources"].queryset(user)
    accidents = rows.aggregate(
        fire=Count("pk", filter=Q(accident_fire=True)),
        explosion=Count("pk", filter=Q(accident_explosion=True)),
        poisoning=Count("pk", filter=Q(accident_poisoning=True)),
    )
    regions = (
        rows.values("enterprise__region__code", "enterprise__region__name", "enterprise__region__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "enterprise__region__code")
    )
    return {
        "total": rows.count(),
        "major": rows.filter(is_major=True).count(),
        "by_grade": _pairs(rows, "gb_grade"),
        "by_accident": [[kind, n] for kind, n in accidents.items()],
        "by_region": [
            [r["enterprise__region__code"], r["n"], r["enterprise__region__name"], r["enterprise__region__name_en"]]
            for r in regions
        ],
        "by_kind": _pairs(rows, "kind"),
        "by_year": _pairs(rows.filter(registered_on__isnull=False).annotate(year=ExtractYear("registered_on")), "year"),
    }


def alarm_figures(user, since: dt.datetime) -> dict:
    """Counts of the alarms ``user`` may see that started after ``since``, by hour, month, device and more."""
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    rows = COLLECTIONS["alarms"].queryset(user).filter(started_at__gte=since)
    regions = (
        rows.values("region__code", "region__name", "region__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "region__code")
    )
    return {
        "total": rows.count(),
        "open": rows.exclude(state="closed").count(),
        "by_hour": _pairs(rows.annotate(hour=ExtractHour("started_at", tzinfo=local)), "hour"),
        "by_month": _pairs(rows.annotate(month=ExtractMonth("started_at", tzinfo=local)), "month"),
        "by_device": _pairs(rows, "sensor__kind"),
        "by_kind": _pairs(rows, "kind"),
        "by_level": _pairs(rows, "level"),
        "by_region": [[r["region__code"], r["n"], r["region__name"], r["region__name_en"]] for r in regions],
        "by_industry": _pairs(rows, "enterprise__industry"),
    }


def _json(data: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


def stats(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures for the signed-in user (see the module docstring)."""
    if not request.user.is_authenticated:
        return _json({"code": "Unauthorized", "description": _("Sign in to see the statistics.")}, 401)
    unknown = sorted(set(request.GET) - {"days"})
    if unknown:
        return _json(
            {"code": "InvalidParameterValue", "description": _("Unknown parameter “%(name)s”.") % {"name": unknown[0]}},
            400,
        )
    try:
        days = int(request.GET.get("days", "30"))
        if not 1 <= days <= MAX_DAYS:
            raise ValueError
    except ValueError:
        return _json(
            {
                "code": "InvalidParameterValue",
                "description": _("days must be a whole number from 1 to %(max)d.") % {"max": MAX_DAYS},
            },
            400,
        )
    since = timezone.now() - dt.timedelta(days=days)
    answer = _json(
        {
            "hazard_sources": hazard_source_figures(request.user),
            "alarms": alarm_figures(request.user, since),
            "days": days,
        }
    )
    answer["Cache-Control"] = "private, max-age=30"
    return answer
