"""``hazmap pointmap``: write a gateway's point map from the database, or check a point map file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from acquisition import pointmap
from acquisition.models import Gateway


class Command(BaseCommand):
    help = (
        "With --gateway CODE, write that gateway's devices and points (with the sensors' alarm limits and ranges) "
        "as a point map file for `hazmap acquire`; with --check FILE, check a point map file and report every "
        "fault with its line."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--gateway", help="the gateway's code")
        parser.add_argument("--output", help="the file to write (standard output when not given)")
        parser.add_argument("--check", metavar="FILE", help="check a point map file")

    def handle(self, *args, gateway: str | None, output: str | None, check: str | None, **options) -> None:
        if check:
            try:
                checked = pointmap.load(check)
            except pointmap.PointMapError as error:
                raise CommandError(f"the point map has faults:\n{error}") from None
            self.stdout.write(f"{check}: {len(checked.devices)} devices, {len(checked.points())} points, no faults")
            return
        if not gateway:
            raise CommandError("give --gateway CODE (or --check FILE)")
        row = Gateway.objects.filter(code=gateway).first()
        if row is None:
            raise CommandError(f"there is no gateway {gateway!r}")
        devices = tuple(device.spec() for device in row.devices.filter(enabled=True).order_by("name"))
        owner = row.enterprise.credit_code if row.enterprise_id else None
        text = pointmap.dumps(pointmap.PointMap(devices), owner=owner)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"{sum(len(d.points) for d in devices)} points of {gateway} written to {output}")
        else:
            self.stdout.write(text)
