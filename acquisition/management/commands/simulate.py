"""``hazmap simulate``: serve the sensors of the database (the demo park) over Modbus TCP and OPC UA."""

from __future__ import annotations

import asyncio
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from acquisition.simulate import ParkModel, Simulator, points_from_database, write_point_map


class Command(BaseCommand):
    help = (
        "Serve plausible live values of every sensor in the database over Modbus TCP (process instruments) and "
        "OPC UA (gas detectors, weather): tanks filling and emptying, drifting temperatures, an occasional gas "
        "leak that trips alarms. --write-pointmap writes the point map an agent reads them with."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--modbus-port", type=int, default=5020)
        parser.add_argument("--opcua-port", type=int, default=4840)
        parser.add_argument("--leak-every", type=float, default=600.0, help="seconds between gas leaks (0: none)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--write-pointmap", metavar="FILE", help="write the agent's point map and exit")

    def handle(self, *args, host, modbus_port, opcua_port, leak_every, seed, write_pointmap, **options) -> None:
        points = points_from_database()
        if not points:
            raise CommandError("there are no sensors in the database (hazmap load-demo --scale park loads the demo)")
        model = ParkModel(points, seed=seed, leak_every_s=leak_every)
        simulator = Simulator(points, host, modbus_port, opcua_port, model=model)
        if write_pointmap:
            write_point_map(simulator, Path(write_pointmap))
            self.stdout.write(f"point map of {len(points)} points written to {write_pointmap}")
            return
        self.stdout.write(
            f"simulating {len(points)} sensors: Modbus TCP {host}:{modbus_port}, OPC UA opc.tcp://{host}:{opcua_port}/hazmap/"
            " (Ctrl+C stops)"
        )
        try:
            asyncio.run(simulator.run())
        except KeyboardInterrupt:
            pass
