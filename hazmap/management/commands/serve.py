"""``hazmap serve``: serve hazmap with uvicorn (ASGI), with acquisition running beside it."""

from __future__ import annotations

import argparse
import gc
import os

from django.core.management import call_command
from django.core.management.base import BaseCommand

SHUTDOWN_GRACE_S = 5  # seconds open requests get to finish when the server stops (SIGTERM, Ctrl+C)


class Command(BaseCommand):
    help = (
        "Serve hazmap over HTTP with uvicorn. Collects static files and prepares reading partitions "
        "first. Host and port default to HAZMAP_HOST (127.0.0.1) and HAZMAP_PORT (8000). With HAZMAP_BROKER "
        "set, gateways' messages are received from the broker (and child centres', with HAZMAP_CENTRE_REGION); "
        "with HAZMAP_PARENT_KEY, this centre's changes are forwarded to its parent; with --simulate "
        "(HAZMAP_SIMULATE), the sensors are simulated and read by an embedded agent."
    )

    def add_arguments(self, parser) -> None:
        from acquisition import conf

        parser.add_argument("--host", default=os.environ.get("HAZMAP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HAZMAP_PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("HAZMAP_WORKERS", "1")),
            help="Worker processes (PostGIS deployments; SpatiaLite takes one writer).",
        )
        parser.add_argument(
            "--simulate",
            action=argparse.BooleanOptionalAction,
            default=conf.simulate(False),
            help="Simulate the sensors of the database over Modbus and OPC UA and read them with an embedded agent.",
        )

    def handle(self, *args, host: str, port: int, workers: int, simulate: bool = False, **options) -> None:
        from acquisition import embedded
        from hazmap import asgi_server, background
        from hierarchy import running

        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("maintain", verbosity=options["verbosity"])
        acquisition = embedded.start(simulate=simulate)
        hierarchy = running.start()
        clock = background.start()
        for note in acquisition.notes + hierarchy.notes:
            self.stdout.write(note)
        # Everything alive now lives as long as the process: keep it out of the collector's full passes, which
        # otherwise stall what arrives by ~100 ms each (tests/bench/bench_positioning.py).
        gc.collect()
        gc.freeze()
        self.stdout.write(f"hazmap serving at http://{host}:{port}/ (Ctrl+C stops)")
        try:
            asgi_server.run(
                "hazmap.asgi:application",
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                lifespan="off",
                # live event streams never end by themselves: on stop, give requests this long, then close them
                timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
            )
        finally:
            clock.stop()
            hierarchy.stop()
            acquisition.stop()
