"""`make bench`: build a throwaway database with the province-scale demo, run every benchmark, drop it.

Usage: python -m tests.bench [--scale park|province|nation]
       [--only geo,dispersion,layers,tiles,acquisition,positioning,alarms,plans,hierarchy,analytics]

Every figure is printed beside its baseline, measured in the same run, with the ratio. The OGC API
and tile benchmarks compare with tipg when HAZMAP_BENCH_TIPG names a python that has it (`make
bench` makes one) and use wrk for concurrent load.
"""

from __future__ import annotations

import argparse
import os
import time

SUITES = (
    "geo", "dispersion", "layers", "tiles", "acquisition", "positioning", "alarms", "plans", "hierarchy", "analytics"
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="province", choices=["park", "province", "nation"])
    parser.add_argument("--only", default=",".join(SUITES), help="comma-separated suites to run")
    args = parser.parse_args()
    only = set(args.only.split(","))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench import (
        bench_acquisition,
        bench_alarm_handling,
        bench_analytics,
        bench_dispersion,
        bench_geo,
        bench_hierarchy,
        bench_layers,
        bench_plan_rasters,
        bench_plans,
        bench_positioning,
        bench_tiles,
    )
    from tests.bench.harness import HEADER

    print(HEADER)
    if "dispersion" in only:
        bench_dispersion.run()  # no database
    state = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        call_command("load-demo", scale=args.scale, verbosity=0)
        print(f"database: {connection.vendor}; demo scale {args.scale} loaded in {time.perf_counter() - started:.1f} s")
        if "dispersion" in only:
            bench_dispersion.bench_platform()  # the platform's scenario on the demo, with who is inside
        if "geo" in only:
            bench_geo.bench_scope()
            bench_geo.bench_readings()
        if "layers" in only:
            bench_layers.run()
        if "tiles" in only:
            bench_tiles.run()
        if "acquisition" in only:
            bench_acquisition.run()
        if "positioning" in only:
            bench_positioning.run()
        if "alarms" in only:
            bench_alarm_handling.run()
        if "plans" in only:
            bench_plans.run()
            bench_plan_rasters.run()
        if "hierarchy" in only:
            bench_hierarchy.run()
        if "analytics" in only:
            bench_analytics.run()  # its goal is for the nation scale (--scale nation)
    finally:
        teardown_databases(state, verbosity=0)


if __name__ == "__main__":
    main()
