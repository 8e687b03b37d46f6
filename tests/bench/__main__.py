"""`make bench`: build a throwaway database with the province-scale demo, run every benchmark, drop it.

Usage: python -m tests.bench [--scale park|province|nation]
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="province", choices=["park", "province", "nation"])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench import bench_geo
    from tests.bench.harness import HEADER

    state = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        call_command("load-demo", scale=args.scale, verbosity=0)
        print(f"database: {connection.vendor}; demo scale {args.scale} loaded in {time.perf_counter() - started:.1f} s")
        print(HEADER)
        bench_geo.bench_scope()
        bench_geo.bench_readings()
    finally:
        teardown_databases(state, verbosity=0)


if __name__ == "__main__":
    main()
