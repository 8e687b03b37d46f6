"""``hazmap acquire``: run an edge agent (or check its file, or make its key)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from acquisition import keys, sm
from acquisition.agent import build, load_config
from acquisition.pointmap import PointMapError


class Command(BaseCommand):
    help = (
        "Run an acquisition agent: read the devices of its file's point map, evaluate the alarm rules, keep "
        "everything in the outbox and send it to the centre (MQTT, or the centre in this process) until "
        "acknowledged. Stops on Ctrl+C or SIGTERM."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--config", help="the agent's YAML file (gateway, keys, uplink, outbox, devices)")
        parser.add_argument("--check", action="store_true", help="only check the file and report every fault")
        parser.add_argument(
            "--new-key",
            metavar="PATH",
            help="write a new SM2 private key to PATH (mode 0600) and print its public key to register at the centre",
        )

    def handle(self, *args, config: str | None, check: bool, new_key: str | None, **options) -> None:
        if new_key:
            path = Path(new_key)
            if path.exists():
                raise CommandError(f"{path} exists; the key is not replaced")
            key = keys.private_key(path, create=True)
            self.stdout.write(sm.public_key_pem(key.public_key()).decode())
            return
        if not config:
            raise CommandError("give --config FILE (or --new-key PATH)")
        try:
            settings = load_config(config)
        except PointMapError as error:
            raise CommandError(f"the agent's file has faults:\n{error}") from None
        points = len(settings.point_map.points())
        if check:
            self.stdout.write(f"{config}: {len(settings.point_map.devices)} devices, {points} points, no faults")
            return
        try:
            agent = build(settings)
        except (OSError, sm.CryptoError) as error:
            raise CommandError(str(error)) from None
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        agent.start()
        self.stdout.write(
            f"agent {settings.gateway}: {points} points on {len(settings.point_map.devices)} devices, "
            f"uplink {settings.uplink}, outbox {settings.outbox}"
        )
        stop.wait()
        self.stdout.write(
            f"agent {settings.gateway} stopping; sending what waits (at most {settings.drain_timeout_s} s)"
        )
        agent.stop(drain_timeout_s=settings.drain_timeout_s)
        backlog = agent.outbox.backlog()
        self.stdout.write(f"agent {settings.gateway} stopped; {backlog.samples} samples wait in the outbox")
