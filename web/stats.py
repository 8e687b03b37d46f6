"""The dashboard's figures, counted in the database for the user's scope (``/app/stats``), and their exports.

What the national guide's function table asks a major-hazard-source platform to chart:

- hazard sources by GB 18218 grade, by possible accident type, by region, by kind, by year of registration
  (with the grades and accident types of each year), by possible deaths in an accident (0–9, 10–29,
  30–99, 100 or more, not given) and registrations this year against the same days of last year;
- alarms by hour of day, month and season (Asia/Shanghai; spring is March–May, summer June–August,
  autumn September–November, winter December–February), by season and device type, by season and
  industry, by device type (the sensor's kind), by alarm kind and level, by region and by industry, and
  this period against the same period a year before;
- accidents by kind (with deaths and injured) and by deaths, and the alarms that preceded them: alarms
  at the same hazard source within ``preceding_hours`` hours before an accident (the guide's
  "alarm to accident" analysis, 报警与事故转换关系分析).

Every count is one ``GROUP BY`` (or one aggregate) over ``Collection.queryset(user)`` (the scope of the
OGC API) or ``geo.scope.scoped`` for accidents, so the figures agree with what the map and the API show.

Query parameters: ``days`` (1–3660, default 30) limits alarms and accidents to those of the last so many
days; ``preceding_hours`` (1–720, default 72) is the window before an accident; ``format`` is ``json``
(default), ``csv`` (one table, named by ``table``) or ``xlsx`` (every table, one sheet each, or the one
``table`` names). JSON: ``{"hazard_sources": {...}, "alarms": {...}, "accidents": {...}, "days": 30,
"preceding_hours": 72}``; each figure is a list of ``[key, count]`` pairs (or ``[key, key, count]``), keys
being codes (grade 1–4 or null, region code, sensor kind…) that the front end labels; regions come with
their names. CSV and XLSX carry labels and headers in the language the person chose (Chinese by default).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractHour, ExtractMonth, ExtractYear
from django.db.models.lookups import In
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.models import Accident, Alarm, Enterprise, HazardSource, Sensor
from geo.scope import scoped
from layers.registry import COLLECTIONS
from web.labels import LANGUAGES
from web.views import chosen_language

MAX_DAYS = 3660
DEFAULT_PRECEDING_HOURS = 72
MAX_PRECEDING_HOURS = 720
PARAMETERS = {"days", "preceding_hours", "format", "table"}
FORMATS = ("json", "csv", "xlsx")

# Possible deaths in an accident, in the national guide's classes (0–9, 10–29, 30–99, 100 or more).
DEATH_CLASSES = ("0-9", "10-29", "30-99", "100+")
UNKNOWN = "unknown"
SEASONS = ("spring", "summer", "autumn", "winter")
SEASON_OF_MONTH = {3: "spring", 4: "spring", 5: "spring", 6: "summer", 7: "summer", 8: "summer"}
SEASON_OF_MONTH |= {9: "autumn", 10: "autumn", 11: "autumn", 12: "winter", 1: "winter", 2: "winter"}
ACCIDENT_TYPES = ("fire", "explosion", "poisoning")


# --- answers --------------------------------------------------------------------------------------


def json_response(data: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


def bad_parameter(description: str) -> HttpResponse:
    """A 400 with an OGC exception body."""
    return json_response({"code": "InvalidParameterValue", "description": description}, 400)


def unknown_parameters(request: HttpRequest, allowed: set[str]) -> HttpResponse | None:
    """A 400 naming the first query parameter not in ``allowed``, or None."""
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        return bad_parameter(_("Unknown parameter “%(name)s”.") % {"name": unknown[0]})
    return None


# --- counting ---------------------------------------------------------------------------------------


def _pairs(rows: QuerySet, key: str) -> list[list]:
    """``[[key, count], …]`` ordered by key, null last (on every backend)."""
    counted = rows.values(key).annotate(n=Count("pk")).order_by(F(key).asc(nulls_last=True))
    return [[row[key], row["n"]] for row in counted]


def _triples(rows: QuerySet, first: str, second: str) -> list[list]:
    """``[[first, second, count], …]`` ordered by both keys, nulls last."""
    counted = (
        rows.values(first, second)
        .annotate(n=Count("pk"))
        .order_by(F(first).asc(nulls_last=True), F(second).asc(nulls_last=True))
    )
    return [[row[first], row[second], row["n"]] for row in counted]


def _in_order(pairs: list[list], keys: tuple[str, ...]) -> list[list]:
    """Every key of ``keys`` in that order with its count (0 when absent)."""
    counts = {key: n for key, n in pairs}
    return [[key, counts.get(key, 0)] for key in keys]


def _death_class(field: str) -> Case:
    """The class of a number of deaths (0–9, 10–29, 30–99, 100+; ``unknown`` when empty)."""
    return Case(
        When(**{f"{field}__isnull": True}, then=Value(UNKNOWN)),
        When(**{f"{field}__lt": 10}, then=Value("0-9")),
        When(**{f"{field}__lt": 30}, then=Value("10-29")),
        When(**{f"{field}__lt": 100}, then=Value("30-99")),
        default=Value("100+"),
    )


def _season(field: str) -> Case:
    """The season of a time, by its month in Asia/Shanghai."""
    month = ExtractMonth(field, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return Case(
        *(
            When(In(month, [m for m, s in SEASON_OF_MONTH.items() if s == season]), then=Value(season))
            for season in SEASONS
        )
    )


def _change_pct(now: int, before: int) -> float | None:
    """The change from ``before`` to ``now`` in per cent, to 0.1; None when there was nothing before."""
    return None if before == 0 else round(100.0 * (now - before) / before, 1)


def _year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _moment_year_before(moment: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(_year_before(moment.date()), moment.timetz())


def hazard_source_figures(user, today: dt.date | None = None) -> dict:
    """Counts of the hazard sources ``user`` may see, by grade, accident type, region, kind, year and deaths."""
    today = today or timezone.localdate()
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
    registered = rows.filter(registered_on__isnull=False).annotate(year=ExtractYear("registered_on"))
    by_year_accident = (
        registered.values("year")
        .annotate(**{kind: Count("pk", filter=Q(**{f"accident_{kind}": True})) for kind in ACCIDENT_TYPES})
        .order_by("year")
    )
    start, last_start = today.replace(month=1, day=1), today.replace(year=today.year - 1, month=1, day=1)
    yoy = rows.aggregate(
        registered=Count("pk", filter=Q(registered_on__gte=start, registered_on__lte=today)),
        same_period_last_year=Count(
            "pk", filter=Q(registered_on__gte=last_start, registered_on__lte=_year_before(today))
        ),
        last_year=Count("pk", filter=Q(registered_on__gte=last_start, registered_on__lt=start)),
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
        "by_year": _pairs(registered, "year"),
        "by_year_grade": _triples(registered, "year", "gb_grade"),
        "by_year_accident": [[r["year"], *(r[kind] for kind in ACCIDENT_TYPES)] for r in by_year_accident],
        "by_fatalities": _in_order(
            _pairs(rows.annotate(deaths_class=_death_class("potential_fatalities")), "deaths_class"),
            (*DEATH_CLASSES, UNKNOWN),
        ),
        "year_on_year": {
            "year": today.year,
            **yoy,
            "change_pct": _change_pct(yoy["registered"], yoy["same_period_last_year"]),
        },
    }


def alarm_figures(user, since: dt.datetime, until: dt.datetime | None = None) -> dict:
    """Counts of the alarms ``user`` may see that started from ``since`` to ``until`` (default: now), by hour,
    month, season, device, kind, level, region and industry, and the same period a year before."""
    until = until or timezone.now()
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    scope = COLLECTIONS["alarms"].queryset(user)
    rows = scope.filter(started_at__gte=since, started_at__lt=until)
    regions = (
        rows.values("region__code", "region__name", "region__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "region__code")
    )
    seasons = rows.annotate(season=_season("started_at"))
    before = (_moment_year_before(since), _moment_year_before(until))
    same_period_last_year = scope.filter(started_at__gte=before[0], started_at__lt=before[1]).count()
    total = rows.count()
    return {
        "total": total,
        "open": rows.exclude(state="closed").count(),
        "by_hour": _pairs(rows.annotate(hour=ExtractHour("started_at", tzinfo=local)), "hour"),
        "by_month": _pairs(rows.annotate(month=ExtractMonth("started_at", tzinfo=local)), "month"),
        "by_season": _in_order(_pairs(seasons, "season"), SEASONS),
        "by_season_device": sorted(_triples(seasons, "season", "sensor__kind"), key=lambda r: SEASONS.index(r[0])),
        "by_season_industry": sorted(
            _triples(seasons, "season", "enterprise__industry"), key=lambda r: SEASONS.index(r[0])
        ),
        "by_device": _pairs(rows, "sensor__kind"),
        "by_kind": _pairs(rows, "kind"),
        "by_level": _pairs(rows, "level"),
        "by_region": [[r["region__code"], r["n"], r["region__name"], r["region__name_en"]] for r in regions],
        "by_industry": _pairs(rows, "enterprise__industry"),
        "year_on_year": {
            "start": since.isoformat(),
            "end": until.isoformat(),
            "this_period": total,
            "same_period_last_year": same_period_last_year,
            "change_pct": _change_pct(total, same_period_last_year),
        },
    }


def accident_figures(user, since: dt.datetime, preceding_hours: int, until: dt.datetime | None = None) -> dict:
    """The accidents ``user`` may see that occurred from ``since`` to ``until``, by kind and deaths, and the
    alarms at the same hazard source in the ``preceding_hours`` hours before each."""
    until = until or timezone.now()
    window = dt.timedelta(hours=preceding_hours)
    rows = scoped(Accident.objects.all(), user).filter(occurred_at__gte=since, occurred_at__lt=until)
    alarms = COLLECTIONS["alarms"].queryset(user)
    before = alarms.filter(
        hazard_source=OuterRef("hazard_source"),
        started_at__lt=OuterRef("occurred_at"),
        started_at__gte=OuterRef("occurred_at") - window,
    )
    counted = before.order_by().values("hazard_source").annotate(n=Count("pk")).values("n")
    with_alarms = rows.filter(hazard_source__isnull=False).annotate(
        alarms_before=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )
    listed = with_alarms.filter(alarms_before__gt=0).order_by("-occurred_at", "pk")
    preceding = alarms.filter(
        hazard_source__accidents__in=rows,
        hazard_source__accidents__occurred_at__gt=F("started_at"),
        hazard_source__accidents__occurred_at__lte=F("started_at") + window,
    )
    by_kind = rows.values("kind").annotate(n=Count("pk"), deaths=Sum("deaths"), injured=Sum("injured"))
    kinds = {r["kind"]: [r["n"], r["deaths"], r["injured"]] for r in by_kind}
    totals = rows.aggregate(n=Count("pk"), deaths=Coalesce(Sum("deaths"), 0), injured=Coalesce(Sum("injured"), 0))
    return {
        "total": totals["n"],
        "deaths": totals["deaths"],
        "injured": totals["injured"],
        "by_kind": [[kind, *kinds.get(kind, [0, 0, 0])] for kind in Accident.Kind.values],
        "by_deaths": _in_order(
            _pairs(rows.annotate(deaths_class=_death_class("deaths")), "deaths_class"), DEATH_CLASSES
        ),
        "preceded": {
            "hours": preceding_hours,
            "accidents": listed.count(),
            "alarms": preceding.values("pk").distinct().count(),
            "by_alarm_kind": [
                [r["kind"], r["n"]]
                for r in preceding.values("kind").annotate(n=Count("pk", distinct=True)).order_by("kind")
            ],
            "by_accident": [
                [
                    r["pk"],
                    r["occurred_at"].isoformat(),
                    r["kind"],
                    r["deaths"],
                    r["hazard_source_id"],
                    r["hazard_source__name"],
                    r["alarms_before"],
                ]
                for r in listed.values(
                    "pk", "occurred_at", "kind", "deaths", "hazard_source_id", "hazard_source__name", "alarms_before"
                )
            ],
        },
    }


# --- tables for the exports -------------------------------------------------------------------------


def _label(choices, value, empty: Promise | str = "") -> str:
    """The label of a coded value in the active language (the value itself when unknown)."""
    if value is None or value == "":
        return str(empty)
    return str(dict(choices).get(value, value))


def _region_name(row: list) -> str:
    """A region's name in the active language (the Chinese name when it has no English one)."""
    return row[3] if translation.get_language() == "en" and row[3] else row[2]


GRADES = HazardSource.Grade.choices
DEATH_LABELS = {
    "0-9": gettext_lazy("0–9"),
    "10-29": gettext_lazy("10–29"),
    "30-99": gettext_lazy("30–99"),
    "100+": gettext_lazy("100 or more"),
    UNKNOWN: gettext_lazy("not given"),
}
SEASON_LABELS = {
    "spring": gettext_lazy("spring (March–May)"),
    "summer": gettext_lazy("summer (June–August)"),
    "autumn": gettext_lazy("autumn (September–November)"),
    "winter": gettext_lazy("winter (December–February)"),
}
NOT_GRADED = gettext_lazy("not graded")
NO_SENSOR = gettext_lazy("no sensor")
N = gettext_lazy("count")


@dataclass(frozen=True)
class Table:
    """One figure as a table: its id (``alarms.by_season``), title, column headers and rows from the JSON."""

    id: str
    title: Promise
    headers: tuple[Promise, ...]
    rows: Callable[[dict], list[list]]


def _pairs_table(id_: str, title: Promise, key: Promise, label: Callable[[object], object]) -> Table:
    part, name = id_.split(".")
    return Table(id_, title, (key, N), lambda f: [[label(k), n] for k, n in f[part][name]])


TABLES: tuple[Table, ...] = (
    _pairs_table(
        "hazard_sources.by_grade",
        gettext_lazy("Hazard sources by grade"),
        gettext_lazy("grade"),
        lambda g: _label(GRADES, g, NOT_GRADED),
    ),
    _pairs_table(
        "hazard_sources.by_accident",
        gettext_lazy("Hazard sources by possible accident"),
        gettext_lazy("possible accident"),
        lambda k: _label(Accident.Kind.choices, k),
    ),
    Table(
        "hazard_sources.by_region",
        gettext_lazy("Hazard sources by region"),
        (gettext_lazy("region code"), gettext_lazy("region"), N),
        lambda f: [[r[0], _region_name(r), r[1]] for r in f["hazard_sources"]["by_region"]],
    ),
    _pairs_table(
        "hazard_sources.by_kind",
        gettext_lazy("Hazard sources by kind"),
        gettext_lazy("kind"),
        lambda k: _label(HazardSource.Kind.choices, k),
    ),
    _pairs_table(
        "hazard_sources.by_year",
        gettext_lazy("Hazard sources by year registered"),
        gettext_lazy("year registered"),
        lambda y: y,
    ),
    Table(
        "hazard_sources.by_year_grade",
        gettext_lazy("Hazard sources by year registered and grade"),
        (gettext_lazy("year registered"), gettext_lazy("grade"), N),
        lambda f: [[y, _label(GRADES, g, NOT_GRADED), n] for y, g, n in f["hazard_sources"]["by_year_grade"]],
    ),
    Table(
        "hazard_sources.by_year_accident",
        gettext_lazy("Hazard sources by year registered and possible accident"),
        (gettext_lazy("year registered"), *(Accident.Kind(k).label for k in ACCIDENT_TYPES)),
        lambda f: [list(r) for r in f["hazard_sources"]["by_year_accident"]],
    ),
    _pairs_table(
        "hazard_sources.by_fatalities",
        gettext_lazy("Hazard sources by possible deaths in an accident"),
        gettext_lazy("possible deaths"),
        lambda c: str(DEATH_LABELS[c]),
    ),
    Table(
        "hazard_sources.year_on_year",
        gettext_lazy("Registrations, year on year"),
        (
            gettext_lazy("year"),
            gettext_lazy("registered this year to date"),
            gettext_lazy("same period last year"),
            gettext_lazy("whole last year"),
            gettext_lazy("change (%)"),
        ),
        lambda f: [
            [
                (y := f["hazard_sources"]["year_on_year"])["year"],
                y["registered"],
                y["same_period_last_year"],
                y["last_year"],
                y["change_pct"],
            ]
        ],
    ),
    _pairs_table(
        "alarms.by_hour",
        gettext_lazy("Alarms by hour of day (Beijing time)"),
        gettext_lazy("hour"),
        lambda h: h,
    ),
    _pairs_table("alarms.by_month", gettext_lazy("Alarms by month"), gettext_lazy("month"), lambda m: m),
    _pairs_table(
        "alarms.by_season",
        gettext_lazy("Alarms by season"),
        gettext_lazy("season"),
        lambda s: str(SEASON_LABELS[s]),
    ),
    Table(
        "alarms.by_season_device",
        gettext_lazy("Alarms by season and device type"),
        (gettext_lazy("season"), gettext_lazy("device type"), N),
        lambda f: [
            [str(SEASON_LABELS[s]), _label(Sensor.Kind.choices, k, NO_SENSOR), n]
            for s, k, n in f["alarms"]["by_season_device"]
        ],
    ),
    Table(
        "alarms.by_season_industry",
        gettext_lazy("Alarms by season and industry"),
        (gettext_lazy("season"), gettext_lazy("industry"), N),
        lambda f: [
            [str(SEASON_LABELS[s]), _label(Enterprise.Industry.choices, i), n]
            for s, i, n in f["alarms"]["by_season_industry"]
        ],
    ),
    _pairs_table(
        "alarms.by_device",
        gettext_lazy("Alarms by device type"),
        gettext_lazy("device type"),
        lambda k: _label(Sensor.Kind.choices, k, NO_SENSOR),
    ),
    _pairs_table(
        "alarms.by_kind",
        gettext_lazy("Alarms by kind"),
        gettext_lazy("alarm kind"),
        lambda k: _label(Alarm.Kind.choices, k),
    ),
    _pairs_table(
        "alarms.by_level",
        gettext_lazy("Alarms by level"),
        gettext_lazy("alarm level"),
        lambda v: _label(Alarm.Level.choices, v),
    ),
    Table(
        "alarms.by_region",
        gettext_lazy("Alarms by region"),
        (gettext_lazy("region code"), gettext_lazy("region"), N),
        lambda f: [[r[0], _region_name(r), r[1]] for r in f["alarms"]["by_region"]],
    ),
    _pairs_table(
        "alarms.by_industry",
        gettext_lazy("Alarms by industry"),
        gettext_lazy("industry"),
        lambda i: _label(Enterprise.Industry.choices, i),
    ),
    Table(
        "alarms.year_on_year",
        gettext_lazy("Alarms, year on year"),
        (
            gettext_lazy("from"),
            gettext_lazy("to"),
            gettext_lazy("alarms this period"),
            gettext_lazy("same period a year before"),
            gettext_lazy("change (%)"),
        ),
        lambda f: [
            [
                (y := f["alarms"]["year_on_year"])["start"],
                y["end"],
                y["this_period"],
                y["same_period_last_year"],
                y["change_pct"],
            ]
        ],
    ),
    Table(
        "accidents.by_kind",
        gettext_lazy("Accidents by kind"),
        (gettext_lazy("accident kind"), gettext_lazy("accidents"), gettext_lazy("deaths"), gettext_lazy("injured")),
        lambda f: [[_label(Accident.Kind.choices, k), n, d or 0, i or 0] for k, n, d, i in f["accidents"]["by_kind"]],
    ),
    _pairs_table(
        "accidents.by_deaths",
        gettext_lazy("Accidents by deaths"),
        gettext_lazy("deaths"),
        lambda c: str(DEATH_LABELS[c]),
    ),
    Table(
        "accidents.preceded",
        gettext_lazy("Accidents preceded by alarms at their hazard source"),
        (
            gettext_lazy("accident"),
            gettext_lazy("occurred at"),
            gettext_lazy("accident kind"),
            gettext_lazy("deaths"),
            gettext_lazy("hazard source id"),
            gettext_lazy("hazard source"),
            gettext_lazy("alarms before"),
        ),
        lambda f: [
            [r[0], r[1], _label(Accident.Kind.choices, r[2]), *r[3:]] for r in f["accidents"]["preceded"]["by_accident"]
        ],
    ),
    Table(
        "accidents.preceded_by_alarm_kind",
        gettext_lazy("Alarms that preceded accidents, by kind"),
        (gettext_lazy("alarm kind"), N),
        lambda f: [[_label(Alarm.Kind.choices, k), n] for k, n in f["accidents"]["preceded"]["by_alarm_kind"]],
    ),
)
TABLE_IDS = {t.id: t for t in TABLES}


def write_csv(table: Table, figures: dict) -> bytes:
    """One table as CSV (UTF-8 with a byte order mark, which spreadsheet programs need for Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in table.headers])
    writer.writerows(table.rows(figures))
    return out.getvalue().encode("utf-8-sig")


SHEET_FORBIDDEN = set("[]:*?/\\")
SHEET_NAME_MAX = 31  # characters of a sheet's name in Excel


def write_xlsx(tables: tuple[Table, ...], figures: dict, about: list[list]) -> bytes:
    """The tables as an XLSX workbook: a first sheet saying what each holds, then one sheet per table."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = _("about")
    for row in about:
        first.append(row)
    first.append([])
    first.append([_("sheet"), _("table"), _("id")])
    for number, table in enumerate(tables, start=1):
        name = "".join(c for c in f"{number} {table.title}" if c not in SHEET_FORBIDDEN)[:SHEET_NAME_MAX]
        sheet = book.create_sheet(name)
        sheet.append([str(h) for h in table.headers])
        for row in table.rows(figures):
            sheet.append(row)
        first.append([name, str(table.title), table.id])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the view ---------------------------------------------------------------------------------------


def _whole_number(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    text = request.GET.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise ValueError(_("%(name)s must be a whole number from 1 to %(max)d.") % {"name": name, "max": maximum})
    return value


def stats(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures for the signed-in user, as JSON, CSV or XLSX (see the module docstring)."""
    if not request.user.is_authenticated:
        return json_response({"code": "Unauthorized", "description": _("Sign in to see the statistics.")}, 401)
    unknown = unknown_parameters(request, PARAMETERS)
    if unknown:
        return unknown
    try:
        days = _whole_number(request, "days", 30, MAX_DAYS)
        hours = _whole_number(request, "preceding_hours", DEFAULT_PRECEDING_HOURS, MAX_PRECEDING_HOURS)
    except ValueError as error:
        return bad_parameter(str(error))
    form = request.GET.get("format", "json")
    if form not in FORMATS:
        return bad_parameter(_("format must be one of %(formats)s.") % {"formats": ", ".join(FORMATS)})
    name = request.GET.get("table")
    if name is not None and name not in TABLE_IDS:
        return bad_parameter(
            _("Unknown table “%(name)s”; the tables are: %(names)s.") % {"name": name, "names": ", ".join(TABLE_IDS)}
        )
    if form == "csv" and name is None:
        return bad_parameter(
            _("A CSV export is one table: give table, one of %(names)s.") % {"names": ", ".join(TABLE_IDS)}
        )
    if form == "json" and name is not None:
        return bad_parameter(_("table is for the csv and xlsx formats."))
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    parts = {
        "hazard_sources": lambda: hazard_source_figures(request.user, timezone.localdate(now)),
        "alarms": lambda: alarm_figures(request.user, since, now),
        "accidents": lambda: accident_figures(request.user, since, hours, now),
    }
    wanted = [name.split(".")[0]] if name else list(parts)  # one table needs only its part counted
    figures = {part: parts[part]() for part in wanted} | {"days": days, "preceding_hours": hours}
    if form == "json":
        answer = json_response(figures)
        answer["Cache-Control"] = "private, max-age=30"
        return answer
    tables = (TABLE_IDS[name],) if name else TABLES
    with translation.override(LANGUAGES[chosen_language(request)]):
        if form == "csv":
            body, content_type = write_csv(tables[0], figures), "text/csv; charset=utf-8"
        else:
            about = [
                [_("hazmap statistics")],
                [_("alarms and accidents from"), since.isoformat(), _("to"), now.isoformat()],
                [_("alarms before an accident within (h)"), hours],
            ]
            body = write_xlsx(tables, figures, about)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    answer = HttpResponse(body, content_type=content_type)
    answer["Content-Disposition"] = f'attachment; filename="hazmap-{name or "statistics"}.{form}"'
    answer["Cache-Control"] = "private, no-store"
    return answer
