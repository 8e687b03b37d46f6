"""The risk level of the hazard sources a user may see, every factor explained (``/app/risk``).

``GET /app/risk`` lists them worst first (points, then id): ``level`` keeps some levels (``red`` or
``red,orange``), ``limit`` (1–1000, default 100) and ``offset`` page the list. The answer holds the count
of each level over the whole scope (before ``level``), ``number_matched``, the page's ``items``, the
weights in force and a note that they are hazmap's own. ``GET /app/risk/{id}`` is one source (404 outside
the user's scope). ``GET /app/risk/levels`` is the level of every source in the scope as one compact object
``{id: level}`` with the count of each level: what the map colours its sources by (one SQL expression,
``geo.risk.RiskLevel``, no explanation). The words are in the language the person chose (Chinese by default).

The counts come from one query for the whole scope (``geo.risk.annotate``); levels are worked out from
them in Python (``geo.risk.assess``), which issues no query.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo import risk
from layers.registry import COLLECTIONS
from web.labels import LANGUAGES
from web.stats import bad_parameter, json_response, unknown_parameters
from web.views import chosen_language

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FIELDS = ("pk", "code", "name", "enterprise_id", "enterprise__name", "gb_grade", *risk.COUNTS)


def _item(row: dict, w: risk.Weights) -> dict:
    return {
        "id": row["pk"],
        "code": row["code"],
        "name": row["name"],
        "enterprise_id": row["enterprise_id"],
        "enterprise_name": row["enterprise__name"],
        "grade": row["gb_grade"],
        **risk.assess(row, w).as_json(),
    }


def _about(w: risk.Weights) -> dict:
    return {"note": str(risk.NOTE), "weights": w.as_setting(), "computed_at": timezone.now().isoformat()}


def _unauthorized() -> HttpResponse:
    return json_response({"code": "Unauthorized", "description": _("Sign in to see the risk levels.")}, 401)


def _whole_number(request: HttpRequest, name: str, default: int, minimum: int, maximum: int) -> int:
    """The query parameter ``name`` as a whole number in [minimum, maximum]; ``ValueError`` with the message."""
    text = request.GET.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise ValueError(
            _("%(name)s must be a whole number from %(min)d to %(max)d.")
            % {"name": name, "min": minimum, "max": maximum}
        )
    return value


def risk_list(request: HttpRequest) -> HttpResponse:
    """The risk level of every hazard source in the user's scope (see the module docstring)."""
    if not request.user.is_authenticated:
        return _unauthorized()
    with translation.override(LANGUAGES[chosen_language(request)]):
        unknown = unknown_parameters(request, {"level", "limit", "offset"})
        if unknown:
            return unknown
        try:
            limit = _whole_number(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
            offset = _whole_number(request, "offset", 0, 0, 10**9)
        except ValueError as error:
            return bad_parameter(str(error))
        wanted = set(risk.LEVELS)
        if "level" in request.GET:
            wanted = {part.strip() for part in request.GET["level"].split(",")}
            if not wanted or not wanted <= set(risk.LEVELS):
                return bad_parameter(
                    _("level must be one or more of %(levels)s, separated by commas.")
                    % {"levels": ", ".join(risk.LEVELS)}
                )
        w = risk.weights()
        rows = risk.annotate(COLLECTIONS["hazard-sources"].queryset(request.user)).values(*FIELDS)
        items = [_item(row, w) for row in rows]
        counts = {level: 0 for level in risk.LEVELS}
        for item in items:
            counts[item["level"]] += 1
        matched = sorted((i for i in items if i["level"] in wanted), key=lambda i: (-i["points"], i["id"]))
        return json_response(
            {
                **_about(w),
                "levels": counts,
                "number_matched": len(matched),
                "limit": limit,
                "offset": offset,
                "items": matched[offset : offset + limit],
            }
        )


def risk_levels(request: HttpRequest) -> HttpResponse:
    """The level of every hazard source in the user's scope, ``{"levels": {"<id>": "red", …}, "counts": …}``,
    worked out in the database (``geo.risk.RiskLevel``) for the map's colours."""
    if not request.user.is_authenticated:
        return _unauthorized()
    with translation.override(LANGUAGES[chosen_language(request)]):
        unknown = unknown_parameters(request, set())
        if unknown:
            return unknown
        rows = COLLECTIONS["hazard-sources"].queryset(request.user).annotate(level=risk.RiskLevel())
        levels = {str(pk): level for pk, level in rows.values_list("pk", "level")}
        counts = {level: 0 for level in risk.LEVELS}
        for level in levels.values():
            counts[level] += 1
        return json_response({**_about(risk.weights()), "counts": counts, "levels": levels})


def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One hazard source's risk level with its factors; 404 when the user may not see it."""
    if not request.user.is_authenticated:
        return _unauthorized()
    with translation.override(LANGUAGES[chosen_language(request)]):
        unknown = unknown_parameters(request, set())
        if unknown:
            return unknown
        w = risk.weights()
        rows = risk.annotate(COLLECTIONS["hazard-sources"].queryset(request.user).filter(pk=pk)).values(*FIELDS)
        row = rows.first()
        if row is None:
            return json_response(
                {"code": "NotFound", "description": _("No hazard source %(id)d in your scope.") % {"id": pk}}, 404
            )
        return json_response({**_about(w), **_item(row, w)})
