"""``hazmap demo``: the embedded demo in one command — migrate, load the demo park, serve it alive."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from geo.models import Enterprise


class Command(BaseCommand):
    help = (
        "Migrate the database, load the demo chemical park if the database is empty, and serve it with its "
        "sensors simulated and acquired live (HAZMAP_SIMULATE=false serves it without)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)

    def handle(self, *args, host: str | None, port: int | None, **options) -> None:
        from acquisition import conf

        call_command("migrate", interactive=False, verbosity=1)
        if not Enterprise.objects.exists():
            call_command("load-demo", scale="park")
        else:
            self.stdout.write("the database already holds data; the demo park is not loaded again")
        serve_options = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
        call_command("serve", simulate=conf.simulate(True), **serve_options)
