"""Storing what a vector plan gave (``plant_plans.vector.Reading``) as an enterprise's layout, and undoing it.

``import_features`` writes one ``PlanImport`` and its ``LayoutFeature`` rows in one transaction: every
row is validated as ``save()`` would (``full_clean``, the site and the kind's geometry included), and all
are inserted with ``bulk_create`` (a few statements for thousands of rows). Rows written that way send
no ``post_save``: the caller publishes them when the transaction commits (``web.plans_vector`` does,
with ``layers.signals.publish_stored``; ``geo`` knows nothing of the collection registry).

Links by code, within the enterprise: a tank whose code is the tag number of one of the enterprise's
equipment is linked to it (and to its hazard source); a dike or hazard-source footprint whose code is
a hazard source's code is linked to that source. A code that matches nothing, or several equipment of
different units, links nothing and is reported.

``undo`` deletes an import's features in one transaction, publishes their deletions when it commits,
and keeps the import, marked undone.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

import shapely
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.events import event_for, publish_many
from geo.models import Enterprise, Equipment, Event, HazardSource, LayoutFeature, PlanImport
from plant_plans.vector import Mapping, PlanFeature, Reading

COLLECTION = "layout-features"  # the registry's id of LayoutFeature, named in its events
LINKS = {"tank": "equipment", "dike": "hazard_source", "hazard_source": "hazard_source"}
REPORTED_MAX = 100  # rejected features and unmatched codes kept in the import's report
BATCH = 1000  # rows per INSERT
RELATIONS = ["enterprise", "plan_import", "hazard_source", "equipment"]  # set here from rows just read


class AlreadyUndone(Exception):
    """The import was undone before."""


def _codes(enterprise: Enterprise) -> tuple[dict[str, Equipment | None], dict[str, HazardSource]]:
    """The enterprise's equipment by tag number (None where two units use the same) and hazard sources by code."""
    equipment: dict[str, list[Equipment]] = defaultdict(list)
    for item in Equipment.objects.filter(hazard_source__enterprise=enterprise).select_related("hazard_source"):
        equipment[item.code].append(item)
    sources = {source.code: source for source in HazardSource.objects.filter(enterprise=enterprise)}
    return {code: items[0] if len(items) == 1 else None for code, items in equipment.items()}, sources


@dataclass
class Rows:
    """The unsaved rows of a reading, linked by code, with the codes that linked nothing."""

    rows: list[tuple[PlanFeature, LayoutFeature]]
    unmatched: set[str]
    ambiguous: set[str]

    @property
    def linked(self) -> int:
        return sum(1 for _, row in self.rows if row.hazard_source is not None)


def layout_rows(enterprise: Enterprise, reading: Reading) -> Rows:
    """The layout features ``reading`` makes for ``enterprise``, unsaved, linked by code (see the module docstring)."""
    equipment, sources = _codes(enterprise)
    rows, unmatched, ambiguous = [], set(), set()
    for feature in reading.features:
        row = LayoutFeature(
            enterprise=enterprise,
            kind=feature.kind,
            name=feature.name,
            code=feature.code,
            geometry=GEOSGeometry(shapely.to_wkb(feature.geometry, hex=True), srid=4326),
            attributes=feature.attributes,
        )
        target = LINKS.get(feature.kind)
        if target == "equipment" and feature.code:
            item = equipment.get(feature.code)
            if item is not None:
                row.equipment, row.hazard_source = item, item.hazard_source
            else:
                (ambiguous if feature.code in equipment else unmatched).add(feature.code)
        elif target == "hazard_source" and feature.code:
            if feature.code in sources:
                row.hazard_source = sources[feature.code]
            else:
                unmatched.add(feature.code)
        rows.append((feature, row))
    return Rows(rows, unmatched, ambiguous)


def import_features(
    enterprise: Enterprise,
    user,
    upload: str,
    file_name: str,
    fmt: str,
    mapping: Mapping,
    reading: Reading,
) -> tuple[PlanImport, list[int]]:
    """Store ``reading`` (its features; its rejected ones only in the report) as one import; the import and the
    ids of its new features.

    Runs in one transaction (the caller's, or its own); raises ``ValidationError`` naming the feature when
    a row is refused, and then writes nothing.
    """
    made = layout_rows(enterprise, reading)
    plan_import = PlanImport(
        enterprise=enterprise,
        file_name=file_name[:255],
        format=fmt,
        source_crs=", ".join(f"{layer}: {crs}" for layer, crs in reading.crs.items()),
        mapping=mapping.as_dict(),
        upload=upload,
        features_read=reading.read,
        features_imported=len(made.rows),
        features_rejected=len(reading.rejected),
        features_repaired=reading.repaired(),
        features_linked=made.linked,
        by_kind=reading.by_kind(),
        report={
            "rejected": [r.as_dict() for r in reading.rejected[:REPORTED_MAX]],
            "unmatched_codes": sorted(made.unmatched)[:REPORTED_MAX],
            "ambiguous_codes": sorted(made.ambiguous)[:REPORTED_MAX],
            "repaired": [{"layer": f.layer, "fid": f.fid, "note": f.repaired} for f in reading.features if f.repaired][
                :REPORTED_MAX
            ],
        },
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        plan_import.save()
        for feature, row in made.rows:
            row.plan_import = plan_import
            try:
                row.full_clean(exclude=RELATIONS, validate_unique=False)
            except ValidationError as error:
                raise ValidationError(
                    _("%(layer)s #%(fid)s: %(error)s"),
                    code="feature_refused",
                    params={"layer": feature.layer, "fid": feature.fid, "error": "; ".join(error.messages)},
                ) from None
        created = LayoutFeature.objects.bulk_create([row for _, row in made.rows], batch_size=BATCH)
    return plan_import, [row.pk for row in created]


def undo(plan_import: PlanImport, user) -> int:
    """Delete the features of ``plan_import`` and mark it undone, in one transaction; how many were deleted.

    The features go in one ``DELETE``, their deletions are published in one statement when the
    transaction commits (``geo.events.publish_many``, with the scope each feature had): the ORM's
    delete would send a signal, two queries and an insert per feature (≈ 100 s for 5,000 on SpatiaLite).
    Raises :class:`AlreadyUndone` when it was undone before (by anyone).
    """
    with transaction.atomic():
        locked = PlanImport.objects.select_for_update().get(pk=plan_import.pk)
        if locked.undone_at is not None:
            raise AlreadyUndone(locked.undone_at)
        features = LayoutFeature.objects.filter(plan_import=locked)
        gone = [
            event_for(COLLECTION, feature, {}, Event.Action.DELETE, _point_of(feature.geometry))
            for feature in features.select_related("enterprise__region")
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {LayoutFeature._meta.db_table} WHERE plan_import_id = %s", [locked.pk])
        transaction.on_commit(functools.partial(publish_many, gone), robust=True)
        locked.undone_at = timezone.now()
        locked.undone_by = user if getattr(user, "is_authenticated", False) else None
        locked.save(update_fields=["undone_at", "undone_by"])
    plan_import.undone_at, plan_import.undone_by = locked.undone_at, locked.undone_by
    return len(gone)


def _point_of(geometry: GEOSGeometry) -> Point:
    """Where an event about a feature lies (as ``layers.signals.point_of``): a point on its surface."""
    return geometry if isinstance(geometry, Point) else geometry.point_on_surface
