"""``hazmap serve``: serve hazmap with uvicorn (ASGI)."""

from __future__ import annotations

import os

import uvicorn
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve hazmap over HTTP with uvicorn. Collects static files and prepares reading partitions "
        "first. Host and port default to HAZMAP_HOST (127.0.0.1) and HAZMAP_PORT (8000)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HAZMAP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HAZMAP_PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("HAZMAP_WORKERS", "1")),
            help="Worker processes (PostGIS deployments; SpatiaLite takes one writer).",
        )

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("maintain", verbosity=options["verbosity"])
        self.stdout.write(f"hazmap serving at http://{host}:{port}/ (Ctrl+C stops)")
        uvicorn.run("hazmap.asgi:application", host=host, port=port, workers=workers, log_level="info", lifespan="off")
