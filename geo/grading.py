"""GB 18218-2018 identification and grading of stored hazard sources.

``geo.gb18218`` does the arithmetic on plain values; this module feeds it a hazard source's
equipment and its enterprise's population and stores the result, which explains every term.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from geo import gb18218
from geo.models import Equipment, HazardSource


def holdings_of(source: HazardSource) -> list[gb18218.Holding]:
    """The design maximum quantities (t) of every piece of equipment in the unit."""
    equipment = Equipment.objects.filter(hazard_source=source).select_related("substance").order_by("code")
    return [
        gb18218.Holding(
            chemical=item.substance.chemical(),
            q_t=item.design_max_kg / 1000.0,
            condition=item.gb18218_condition,
            label=f"{item.code} {item.name}",
        )
        for item in equipment
    ]


def regrade(source: HazardSource) -> gb18218.Identification:
    """Identify and grade one hazard source from its registry data, and store the result."""
    result = gb18218.identify(holdings_of(source), source.enterprise.population_500m)
    HazardSource.objects.filter(pk=source.pk).update(
        gb_s=result.s,
        is_major=result.is_major,
        gb_r=result.r,
        gb_alpha=result.alpha,
        gb_grade=result.grade,
        grading=result.to_dict(),
        graded_at=timezone.now(),
    )
    source.refresh_from_db(fields=["gb_s", "is_major", "gb_r", "gb_alpha", "gb_grade", "grading", "graded_at"])
    return result


def regrade_all(sources: QuerySet[HazardSource]) -> int:
    """Regrade every hazard source of the queryset; return how many."""
    count = 0
    for source in sources.select_related("enterprise"):
        regrade(source)
        count += 1
    return count
