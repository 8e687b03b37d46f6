"""``hazmap hierarchy``: this centre's place in the hierarchy — run it, register a child, resync, report."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from acquisition import keys, sm


class Command(BaseCommand):
    help = (
        "Run this centre's part of the hierarchy until Ctrl+C or SIGTERM: listen for its child centres (with "
        "HAZMAP_BROKER and HAZMAP_CENTRE_REGION set) and forward its changes to its parent (with HAZMAP_PARENT_KEY "
        "set). `hazmap serve` runs the same. The options do one thing and return."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--public-key", action="store_true", help="print this centre's SM2 public key (to register at the parent)"
        )
        parser.add_argument(
            "--add-child",
            metavar="CODE",
            help="register (or update) child centre CODE; with --region and --key",
        )
        parser.add_argument("--region", help="the child centre's region code (GB/T 2260)")
        parser.add_argument("--key", help="the child centre's SM2 public key or certificate (PEM file)")
        parser.add_argument("--name", help="the child centre's name")
        parser.add_argument(
            "--resync",
            action="store_true",
            help="queue every forwarded row of this centre's region for the parent (once after the parent is set), "
            "and a summary of the region now",
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help="what waits for the parent, this centre's last summary; the child centres and their last summaries",
        )

    def handle(self, *args, **options) -> None:
        if options["public_key"]:
            self.stdout.write(sm.public_key_pem(keys.centre_key().public_key()).decode())
        elif options["add_child"]:
            self.add_child(options["add_child"], options["region"], options["key"], options["name"])
        elif options["resync"]:
            self.resync()
        elif options["status"]:
            self.status()
        else:
            self.run()

    def add_child(self, code: str, region_code: str | None, key_file: str | None, name: str | None) -> None:
        from acquisition.models import Gateway
        from geo.models import Region

        if not region_code or not key_file:
            raise CommandError("--add-child needs --region CODE and --key FILE")
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise CommandError(f"no region {region_code} here")
        try:
            credential = Path(key_file).read_text()
        except OSError as error:
            raise CommandError(f"{key_file}: {error.strerror}") from None
        child = Gateway.objects.filter(code=code).first() or Gateway(code=code)
        if child.pk is not None and child.kind != Gateway.Kind.CENTRE:
            raise CommandError(f"{code} is an edge agent's code here; give the child centre another")
        child.kind, child.region, child.credential, child.active = Gateway.Kind.CENTRE, region, credential, True
        child.name = name or child.name or f"{region.name} centre"
        try:
            child.save()
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"child centre {code} answers for {region} ({region.path})")

    def resync(self) -> None:
        from hierarchy import conf
        from hierarchy.forward import resync

        if conf.parent() is None:
            raise CommandError("this centre has no parent: set HAZMAP_PARENT_KEY (and HAZMAP_CENTRE_REGION)")
        counts = resync()
        listed = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        self.stdout.write(f"queued for the parent: {listed}")

    def status(self) -> None:
        from django.conf import settings
        from django.db.models import F, Max

        from acquisition.models import Gateway
        from geo.models import Forward, Summary
        from hierarchy import conf
        from hierarchy.summary import last_own

        region = conf.centre_region() or "(HAZMAP_CENTRE_REGION not set)"
        self.stdout.write(f"centre {conf.centre_code()}, region {region}")
        if conf.has_parent():
            waiting = Forward.objects.count()
            oldest = Forward.objects.order_by("id").values_list("created_at", flat=True).first()
            since = f", the oldest of {oldest.isoformat()}" if oldest else ""
            self.stdout.write(f"changes waiting for the parent: {waiting}{since}")
            last = last_own()
            made = f"the last at {last.period_end.isoformat()}" if last else "none yet"
            interval = settings.HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S
            self.stdout.write(f"summaries of this centre for the parent: every {interval} s, {made}")
        latest = dict(  # the last summary each child made itself (its code at its parent names its summaries)
            Summary.objects.filter(received_from=F("centre"))
            .values("received_from")
            .annotate(last=Max("period_end"))
            .values_list("received_from", "last")
        )
        for child in Gateway.objects.filter(kind=Gateway.Kind.CENTRE).select_related("region"):
            seen = child.last_seen_at.isoformat() if child.last_seen_at else "never"
            state = "active" if child.active else "inactive"
            summary = latest[child.code].isoformat() if child.code in latest else "never"
            self.stdout.write(
                f"child centre {child.code} ({child.region.code}, {state}): last heard {seen}, last summary {summary}"
            )

    def run(self) -> None:
        from hierarchy import running

        started = running.start()
        if started.listener is None and started.forwarder is None:
            raise CommandError(
                "nothing to run: set HAZMAP_BROKER and HAZMAP_CENTRE_REGION to listen for child centres, "
                "HAZMAP_PARENT_KEY to forward to a parent"
            )
        for note in started.notes:
            self.stdout.write(note)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            started.stop()
