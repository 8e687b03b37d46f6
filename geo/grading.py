"""GB 18218-2018 identification and grading of stored hazard sources.

``geo.gb18218`` does the arithmetic on plain values; this module turns equipment into holdings,
feeds them with the enterprise's population to ``identify`` and stores the result, which explains
every term. The demo loader grades unsaved units with the same two functions (``holding`` and
``graded_fields``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from geo import gb18218
from geo.models import Equipment, HazardSource


def holding(item: Equipment) -> gb18218.Holding:
    """One piece of equipment as GB 18218 sees it: its design maximum quantity in tonnes."""
    return gb18218.Holding(
        chemical=item.substance.chemical(),
        q_t=item.design_max_kg / 1000.0,
        condition=item.gb18218_condition,
        label=f"{item.code} {item.name}",
    )


def identify(equipment: Iterable[Equipment], population: int) -> gb18218.Identification:
    """Identify and grade a unit from its equipment (in order of tag number) and residents within 500 m."""
    return gb18218.identify([holding(item) for item in sorted(equipment, key=lambda e: e.code)], population)


def graded_fields(result: gb18218.Identification, graded_at: dt.datetime) -> dict:
    """The HazardSource fields that store a result."""
    return {
        "gb_s": result.s,
        "is_major": result.is_major,
        "gb_r": result.r,
        "gb_alpha": result.alpha,
        "gb_grade": result.grade,
        "grading": result.to_dict(),
        "graded_at": graded_at,
    }


def regrade(source: HazardSource) -> gb18218.Identification:
    """Identify and grade one stored hazard source from its registry data, and store the result.

    Stored with ``Model.save(update_fields=…)``: a save, so that the new grade is published for the map
    like any other (``layers.signals``), but without ``ValidatedModel``'s validation of the unit's other
    fields, which the grade does not depend on (a result computed here is never refused).
    """
    equipment = Equipment.objects.filter(hazard_source=source).select_related("substance")
    result = identify(equipment, source.enterprise.population_500m)
    fields = graded_fields(result, timezone.now())
    for name, value in fields.items():
        setattr(source, name, value)
    models.Model.save(source, update_fields=list(fields))
    return result


def regrade_all(sources: QuerySet[HazardSource]) -> int:
    """Regrade every hazard source of the queryset; return how many."""
    count = 0
    for source in sources.select_related("enterprise"):
        regrade(source)
        count += 1
    return count
