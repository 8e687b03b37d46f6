"""An enterprise's plant construction grid over HTTP: ``/app/enterprises/{id}/construction-grid``.

=======  ==================================================================================================
method   what
=======  ==================================================================================================
GET      the grid, with where its origin lies (longitude, latitude) to check it against the map; 404 when the
         enterprise has none
PUT      JSON ``{"survey_crs": "EPSG:4547", "x0_m": …, "y0_m": …, "azimuth_deg": …, "a0_m": 0, "b0_m": 0,
         "scale": 1, "source": "…"}`` (the last four optional) → 200 the grid, created or replaced
DELETE   → 204
=======  ==================================================================================================

Control points (``web.plans``) and vector imports (``web.plans_vector``) given in the pseudo-CRS ``GRID`` are
converted with the grid of the plan's enterprise (``plant_plans.coords.ConstructionGrid``). Whoever may see
the enterprise may set its grid, as for its plans. A grid that cannot be placed (a survey CRS that is not
projected or not in metres, a scale ≤ 0, a field that is not a number) is a 400 and nothing is stored.
Authentication and errors as in ``web.plans``.
"""

from __future__ import annotations

from http import HTTPStatus

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from geo.models import ConstructionGridDefinition
from plant_plans import coords
from web.plans import Refused, _answer, _enterprise, _json_body, _methods, _number, _user, bad

NUMBERS = ("x0_m", "y0_m", "azimuth_deg", "a0_m", "b0_m", "scale")
REQUIRED = ("survey_crs", "x0_m", "y0_m", "azimuth_deg")
FIELDS = ("survey_crs", *NUMBERS, "source")


def describe(definition: ConstructionGridDefinition) -> dict:
    """The grid as the API answers it, with its origin's longitude and latitude (EPSG:4326)."""
    grid = definition.grid()
    lon, lat = grid.to_crs(grid.a0_m, grid.b0_m)
    return {
        "enterprise": definition.enterprise_id,
        **{name: getattr(definition, name) for name in FIELDS},
        "origin_lonlat": [round(float(lon), 9), round(float(lat), 9)],
    }


def _values(body: dict) -> dict:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise bad(_("Unknown field “%(name)s”: give %(fields)s.") % {"name": unknown[0], "fields": ", ".join(FIELDS)})
    missing = [name for name in REQUIRED if name not in body]
    if missing:
        raise bad(_("A construction grid needs %(fields)s.") % {"fields": ", ".join(missing)})
    if not isinstance(body["survey_crs"], str | int) or isinstance(body["survey_crs"], bool):
        raise bad(_("survey_crs must be a CRS code such as EPSG:4547."))
    values = {"survey_crs": coords.parse_crs(body["survey_crs"]), "source": str(body.get("source", ""))[:200]}
    for name in NUMBERS:
        if name in body:
            values[name] = _number(body[name], name)
    coords.ConstructionGrid(  # raises CRSError (400) when PROJ cannot place it
        values["survey_crs"],
        values["x0_m"],
        values["y0_m"],
        values["azimuth_deg"],
        values.get("a0_m", 0.0),
        values.get("b0_m", 0.0),
        values.get("scale", 1.0),
    )
    return values


@_answer
def construction_grid(request: HttpRequest, pk: int):
    """GET, PUT or DELETE the construction grid of enterprise ``pk`` (see the module docstring)."""
    _methods(request, "GET", "PUT", "DELETE")
    user = _user(request)
    enterprise = _enterprise(user, str(pk))
    definition = ConstructionGridDefinition.objects.filter(enterprise=enterprise).first()
    if request.method == "PUT":
        values = _values(_json_body(request))
        with transaction.atomic():
            definition, _created = ConstructionGridDefinition.objects.update_or_create(
                enterprise=enterprise, defaults={"a0_m": 0.0, "b0_m": 0.0, "scale": 1.0, **values}
            )
        return HTTPStatus.OK, describe(definition)
    if definition is None:
        raise Refused(
            HTTPStatus.NOT_FOUND,
            "NotFound",
            _("%(enterprise)s has no construction grid.") % {"enterprise": enterprise.name},
        )
    if request.method == "DELETE":
        definition.delete()
        return HttpResponse(status=HTTPStatus.NO_CONTENT)
    return HTTPStatus.OK, describe(definition)
