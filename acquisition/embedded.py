"""Acquisition inside the hazmap server: the centre's listener, and (for the demo) simulators and an agent.

``start(simulate=…)`` is what ``hazmap serve`` (and ``make run`` through ``hazmap demo``) calls:

- with HAZMAP_BROKER set, the centre listens for gateways on the broker (``acquisition.mqtt``) and for
  positioning engines (``acquisition.positioning.mqtt``); without, positions arrive by HTTP push only and
  a ticker lets time raise and clear positioning alarms;
- with ``simulate``, the demo park's personnel tags are walked by the positions simulator
  (``acquisition.positioning.simulate``), whose fixes reach the centre like a positioning engine's: over
  the broker when HAZMAP_BROKER is set, else in this process;
- with ``simulate``, the demo park's sensors are served by the simulators (Modbus TCP on 127.0.0.1:5020,
  OPC UA on 127.0.0.1:4840, or free ports when those are taken) and read by an embedded agent
  whose uplink hands its messages to the centre in this process. The agent is the gateway
  ``embedded`` (region: the root of the region tree), with its SM2 key in HAZMAP_ACQUISITION_DIR;
  the envelope, outbox and acknowledgements are the same as for a remote gateway.

Everything runs in background threads; ``Embedded.stop`` ends them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass, field

from acquisition import conf, keys, sm
from acquisition.agent import Agent
from acquisition.centre import Centre
from acquisition.outbox import Outbox
from acquisition.uplink import InProcess, Uplink

log = logging.getLogger(__name__)

EMBEDDED_GATEWAY = "embedded"


def _port(preferred: int, host: str) -> int:
    """``preferred`` when free on ``host``, else a free port."""
    with socket.socket() as probe:
        try:
            probe.bind((host, preferred))
            return preferred
        except OSError:
            probe.bind((host, 0))
            return probe.getsockname()[1]


def register_embedded_gateway(key: sm.PrivateKey):
    """The ``embedded`` gateway row, created or given the current key; None when there is no region yet."""
    from acquisition.models import Gateway
    from geo.models import Region

    root = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if root is None:
        return None
    credential = sm.public_key_pem(key.public_key()).decode()
    gateway, created = Gateway.objects.get_or_create(
        code=EMBEDDED_GATEWAY,
        defaults={"name": "内置采集（演示）", "region": root, "credential": credential},
    )
    if not created and (gateway.credential != credential or not gateway.active):
        gateway.credential, gateway.active = credential, True
        gateway.save()
    return gateway


class LoopThread:
    """An asyncio loop in a daemon thread running one coroutine until stopped."""

    def __init__(self, name: str, coroutine_factory) -> None:
        self.name = name
        self.factory = coroutine_factory
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.task = self.loop.create_task(self.factory())
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("%s stopped with an error", self.name)
        finally:
            self.loop.close()

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop is not None and self.task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(timeout)


@dataclass
class Embedded:
    """What ``start`` set running."""

    centre: Centre
    listener: object | None = None
    simulator: object | None = None
    simulator_thread: LoopThread | None = None
    agent: Agent | None = None
    positions: object | None = None  # the positions' MQTT listener, or the rules' ticker
    people: object | None = None  # the positions simulator's feed
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.people is not None:
            self.people.stop()
        if self.agent is not None:
            self.agent.stop()
        if self.simulator_thread is not None:
            self.simulator_thread.stop()
        if self.listener is not None:
            self.listener.stop()
        if self.positions is not None:
            self.positions.stop()


def start(simulate: bool = False, host: str = "127.0.0.1", modbus_port: int = 5020, opcua_port: int = 4840) -> Embedded:
    """Start the centre's listener (when a broker is set) and, with ``simulate``, the demo's simulators and agent."""
    from acquisition.simulate import Simulator, points_from_database

    centre = Centre(keys.centre_key())
    running = Embedded(centre)
    broker = conf.broker()
    if broker is not None:
        from acquisition.mqtt import MqttCentre
        from acquisition.positioning.mqtt import PositionListener

        running.listener = MqttCentre(centre, broker, conf.mqtt_prefix())
        running.listener.start()
        running.notes.append(f"acquisition: gateways are received on mqtt://{broker.host}:{broker.port}")
        running.positions = PositionListener(broker, conf.mqtt_prefix())
        running.notes.append(f"positioning: positions are received under {conf.mqtt_prefix()}/positions/+")
    else:
        from acquisition.positioning.ingest import Ticker, shared

        running.positions = Ticker(shared())  # HTTP push only: time still raises and clears
    running.positions.start()
    if not simulate:
        return running
    from acquisition.positioning import simulate as positions

    running.people = positions.start(broker, conf.mqtt_prefix())
    if running.people is not None:
        tags = sum(len(site.tags) for site in running.people.model.sites)
        how = f"over mqtt://{broker.host}:{broker.port}" if broker is not None else "in-process"
        running.notes.append(f"positioning: {tags} personnel tags of the demo park are simulated ({how})")
    gateway_key = keys.private_key(conf.acquisition_dir() / "embedded-gateway-sm2.pem", create=True)
    if register_embedded_gateway(gateway_key) is None:
        running.notes.append("acquisition: no regions in the database; the simulators are not started")
        return running
    points = points_from_database()
    if not points:
        running.notes.append("acquisition: no sensors in the database; the simulators are not started")
        return running
    simulator = Simulator(points, host, _port(modbus_port, host), _port(opcua_port, host))
    running.simulator = simulator
    running.simulator_thread = LoopThread("simulator", simulator.run)
    running.simulator_thread.start()
    outbox = Outbox(conf.acquisition_dir() / "embedded-outbox.sqlite3")
    uplink = Uplink(outbox, InProcess(centre), EMBEDDED_GATEWAY, gateway_key, centre.public_key)
    running.agent = Agent(simulator.point_map(), outbox, uplink)

    def start_agent() -> None:  # once the simulated devices answer, so that the start is no outage
        simulator.ready.wait(120)
        running.agent.start()

    threading.Thread(target=start_agent, name="agent-start", daemon=True).start()
    running.notes.append(
        f"acquisition: the demo park is simulated (Modbus TCP {host}:{simulator.modbus_port}, "
        f"OPC UA opc.tcp://{host}:{simulator.opcua_port}/hazmap/) and read by the embedded agent"
    )
    return running
