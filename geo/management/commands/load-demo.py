"""``hazmap load-demo``: load the deterministic demo data (see ``geo.demo``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geo.demo.generated import SCALES, SOURCE_TARGETS
from geo.demo.loader import DEFAULT_SEED, DEMO_USERS, PASSWORD, DemoDataError, load
from layers.signals import publish_bulk_load


class Command(BaseCommand):
    help = (
        "Load the demo data in one transaction: the Shanghai Chemical Industry Park (--scale park, the "
        f"default), a province (≈{SOURCE_TARGETS['province']:,} hazard sources) or the nation "
        f"(≈{SOURCE_TARGETS['nation']:,} hazard sources, ≈600,000 sensors) for benchmarks."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="park", help="how much to load (default: park)")
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"the same seed gives the same rows (default: {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete every region, enterprise, substance, reading and the demo accounts first (same transaction)",
        )

    def handle(self, *args, scale: str, seed: int, replace: bool, verbosity: int = 1, **options) -> None:
        progress = self.stdout.write if verbosity >= 1 else None
        try:
            report = load(scale=scale, seed=seed, replace=replace, progress=progress)
        except DemoDataError as error:
            raise CommandError(f"The demo data was not loaded (nothing was written): {error}") from None
        publish_bulk_load()  # tile versions move and connected maps hear of it: the load sent no signals
        if verbosity < 1:
            return
        self.stdout.write(f"loaded the {scale} scale, seed {seed}, in {report.total_seconds:.1f} s:")
        for name, count in report.counts.items():
            self.stdout.write(f"  {name:20s} {count:>9,}")
        if verbosity >= 2:
            self.stdout.write("time per stage (s):")
            for name, seconds in sorted(report.seconds.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {name:30s} {seconds:8.2f}")
        self.stdout.write(
            f"Demo accounts (password “{PASSWORD}”): {', '.join(DEMO_USERS)}. "
            "They are for the demo only: never load the demo into a production database."
        )
