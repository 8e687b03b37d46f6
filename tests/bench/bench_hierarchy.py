"""Benchmarks of the hierarchy of centres, each against a baseline measured in the same run.

- capture: 200 hazard sources saved (a new name each) at a child with a parent — every save also
  reads the row again and queues its change (``hierarchy.forward``) — against the same saves at a
  centre with no parent;
- apply: the parent applying those 200 changes (replica lookup, references by natural key, the
  row's values compared, ``save``), against saving the same rows directly;
- receive: a message of the 200 changes through the parent's ``Centre`` (envelope parse, SM2
  signature check, SM4-GCM decryption, replay record, apply), against applying them alone.

Usage: ``python -m tests.bench.bench_hierarchy`` (PostGIS: DATABASE_URL=postgis://…), or ``run()`` from
``tests.bench.__main__``. Nothing is asserted; every figure is printed with its ratio.
"""

from __future__ import annotations

import itertools
import json
import os

from tests.bench.harness import Figure, compare

ROWS = 200


def run() -> list[Figure]:
    from django.db import transaction

    from acquisition import envelope, sm
    from acquisition.centre import Centre
    from acquisition.envelope import Session
    from acquisition.models import Gateway
    from geo.models import Forward, HazardSource, Region
    from hierarchy import forward
    from hierarchy.kinds import KINDS, UPSERT, Sender
    from hierarchy.receive import ChildChanges, apply_changes
    from tests import factories

    with transaction.atomic():
        park = Region.objects.filter(code="310116P01").first()
        if park is None:
            park = factories.region_chain()["park"]
        county = park.parent
        enterprise = factories.enterprise(park, serial=990_001, lon=factories.LON + 0.3)
        sources = [factories.hazard_source(enterprise, code=f"B{i:04d}") for i in range(ROWS)]
    names = itertools.count()
    numbers = itertools.count(1)
    kind = KINDS["hazard_source"]
    child = Sender(county.code, county)

    def rename() -> None:
        with transaction.atomic():
            for source in sources:
                source.name = f"基准 {next(names)}"
                source.save()

    def capture() -> None:
        os.environ["HAZMAP_PARENT_KEY"], os.environ["HAZMAP_CENTRE_REGION"] = "bench", county.code
        forward._paths.clear()
        try:
            rename()
        finally:
            del os.environ["HAZMAP_PARENT_KEY"], os.environ["HAZMAP_CENTRE_REGION"]
            Forward.objects.all().delete()

    figures = [compare(f"hierarchy capture, {ROWS} saves", capture, rename, repeat=5, note="with / without a parent")]

    stored = [kind.stored(s.pk) for s in sources]
    template = [json.loads(json.dumps(kind.change(row, UPSERT))) for row in stored]

    def changes() -> list[dict]:
        label = f"上级 {next(names)}"
        return [dict(c, n=next(numbers), data=dict(c["data"], name=label)) for c in template]

    def apply() -> None:
        with transaction.atomic():
            apply_changes(child, changes())

    figures.append(compare(f"hierarchy apply, {ROWS} changes", apply, rename, repeat=5, note="apply / direct saves"))

    key, child_key = sm.generate_private_key(), sm.generate_private_key()
    Gateway.objects.get_or_create(
        code=county.code,
        defaults={
            "name": "基准下级中心",
            "kind": Gateway.Kind.CENTRE,
            "region": county,
            "credential": sm.public_key_pem(child_key.public_key()).decode(),
        },
    )
    centre = Centre(key, handler=ChildChanges())
    epoch, seqs = b"benchmrk", itertools.count(1)
    session = Session.new(centre.public_key)

    def receive() -> None:
        payload = envelope.pack_chunks([json.dumps(c).encode() for c in changes()])
        receipt = centre.receive(envelope.seal(payload, county.code, epoch, next(seqs), session, child_key))
        assert receipt.status == "accepted", receipt.status

    figures.append(
        compare(f"hierarchy receive, {ROWS} changes in a message", receive, apply, repeat=5, note="receive / apply")
    )
    with transaction.atomic():
        HazardSource.objects.filter(enterprise=enterprise).delete()
        enterprise.delete()
    return figures


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench.harness import HEADER

    print(HEADER)
    state = setup_databases(verbosity=0, interactive=False)
    try:
        run()
    finally:
        teardown_databases(state, verbosity=0)
