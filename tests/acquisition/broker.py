"""A Mosquitto of the test's own, which the test may stop and start: the shared broker on 1883 is never touched.

It listens on a free port of 127.0.0.1 and keeps its persistence file in the test's directory, so that
persistent sessions and the QoS 1 messages queued for them survive a stop (SIGTERM: Mosquitto writes
its database as it ends) and the next start.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from acquisition.conf import Broker
from tests.acquisition.conftest import free_port

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {directory}/
user {user}
log_dest file {directory}/mosquitto.log
log_type error
log_type warning
log_type notice
"""


class OwnMosquitto:
    """``mosquitto -c <file in directory>`` on a free port; ``broker`` is where clients connect."""

    def __init__(self, directory: Path) -> None:
        if shutil.which("mosquitto") is None:
            pytest.fail("the fault tests need the mosquitto program (Debian: apt-get install mosquitto)")
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.broker = Broker("127.0.0.1", free_port())
        self.config = directory / "mosquitto.conf"
        self.config.write_text(CONFIG.format(port=self.broker.port, directory=directory, user=getpass.getuser()))
        self.process: subprocess.Popen | None = None

    def listening(self) -> bool:
        try:
            socket.create_connection((self.broker.host, self.broker.port), timeout=1).close()
            return True
        except OSError:
            return False

    def start(self) -> None:
        """Start it and wait until it accepts connections (at most 20 s)."""
        self.process = subprocess.Popen(
            ["mosquitto", "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while not self.listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.directory / "mosquitto.log"
                pytest.fail(f"mosquitto -c {self.config} did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it with SIGTERM (it saves its sessions and queued messages) and wait until it has ended."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def own_mosquitto(tmp_path):
    """A running ``OwnMosquitto`` of this test; stopped when the test ends, whatever happened."""
    mosquitto = OwnMosquitto(tmp_path / "mosquitto")
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()
