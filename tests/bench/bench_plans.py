"""Benchmarks of vector plan imports, each against a baseline measured in the same run.

A GeoPackage of 5,000 buildings (10 m squares in CGCS2000 / Gauss–Krüger CM 120E, EPSG:4549) on a 2 km
site, written by GDAL:

- read: ``plant_plans.vector.read`` (mapping, reprojection to EPSG:4326, validation, the site check in
  metres) against iterating the same features with fiona and making shapely geometries of them;
- import: ``geo.layout.import_features`` in one transaction, with its events published on commit
  (``layers.signals.publish_stored``), against ``bulk_create`` of the same rows without validation or events;
- undo: ``geo.layout.undo`` (the features read for their events' scope, one ``DELETE``, the events in one
  statement on commit) against the ``DELETE`` statement alone.

Usage: ``python -m tests.bench.bench_plans`` (PostGIS: DATABASE_URL=postgis://…). Nothing is asserted;
every figure is printed with its ratio.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

FEATURES = 5000
REPEAT = 3


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run() -> list:
    import fiona
    import shapely
    import shapely.geometry
    from django.contrib.gis.geos import MultiPolygon
    from django.db import connection, transaction

    from geo import layout
    from geo.models import Enterprise, Event, LayoutFeature
    from layers.registry import COLLECTIONS
    from layers.signals import publish_stored
    from plant_plans import vector
    from tests import factories
    from tests.bench.harness import Figure
    from tests.plant_plans.plans import square, write_layers

    regions = factories.region_chain("330000", "浙")
    ent = Enterprise.objects.create(
        name="基准化工有限公司",
        credit_code=factories.credit_code(99),
        industry="chlor_alkali",
        region=regions["park"],
        population_500m=10,
        site=MultiPolygon(factories.square(factories.LON, factories.LAT, 1000), srid=4326),
    )
    side = int(FEATURES**0.5) + 1
    features = [
        ({"name": f"建筑{i}"}, square(-900 + 25 * (i % side), -900 + 25 * (i // side), 5)) for i in range(FEATURES)
    ]
    folder = Path(tempfile.mkdtemp(prefix="hazmap-bench-plans-"))
    path = write_layers(folder / "plan.gpkg", "GPKG", {"buildings": (4549, {"name": "str"}, features)})
    source = vector.open_source(path, "gpkg", 100 * 2**20)
    mapping = vector.parse_mapping({"rules": [{"layer": "buildings", "kind": "building", "name": "name"}]}, source)
    site = shapely.from_wkb(bytes(ent.site.wkb))

    def read():
        return vector.read(source, mapping, FEATURES, site=site, tolerance_m=50)

    def fiona_only():
        with fiona.open(path, layer="buildings") as layer:
            return [shapely.geometry.shape(f.geometry) for f in layer]

    reading = read()
    assert len(reading.features) == FEATURES, reading.rejected[:3]
    read_s = [_timed(read) for _ in range(REPEAT)]
    fiona_s = [_timed(fiona_only) for _ in range(REPEAT)]

    imports, undos, bulks, deletes, counter = [], [], [], [], iter(range(10**6))
    entry = COLLECTIONS["layout-features"]
    for _ in range(REPEAT):
        made = {}

        def imported(made=made):
            with transaction.atomic():
                plan_import, pks = layout.import_features(
                    ent, None, f"bench{next(counter):027d}", "plan.gpkg", "gpkg", mapping, reading
                )
                transaction.on_commit(lambda: publish_stored(entry, pks, Event.Action.CREATE))
            made["import"] = plan_import

        imports.append(_timed(imported))
        undos.append(_timed(lambda made=made: layout.undo(made["import"], None)))

        def bulk():
            rows = [row for _, row in layout.layout_rows(ent, reading).rows]
            LayoutFeature.objects.bulk_create(rows, batch_size=layout.BATCH)

        bulks.append(_timed(bulk))

        def delete():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {LayoutFeature._meta.db_table} WHERE enterprise_id = %s", [ent.pk])

        deletes.append(_timed(delete))
    figures = [
        Figure(
            f"plan read, {FEATURES} features", statistics.median(read_s), statistics.median(fiona_s), "vs fiona alone"
        ),
        Figure(
            f"plan import, {FEATURES} features",
            statistics.median(imports),
            statistics.median(bulks),
            "validated, published vs bulk_create",
        ),
        Figure(
            f"plan undo, {FEATURES} features",
            statistics.median(undos),
            statistics.median(deletes),
            "with its events vs the DELETE alone",
        ),
    ]
    for figure in figures:
        print(figure.line(), flush=True)
    return figures


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench.harness import HEADER

    print(HEADER)
    state = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor}")
        run()
    finally:
        teardown_databases(state, verbosity=0)
