"""The servers hazmap did not write, started for a test: node-opcua and modbus-serial (npm, tests/acquisition/peers)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

PEERS = Path(__file__).parent / "peers"


def install() -> None:
    """``npm ci`` the peers once (package-lock.json pins node-opcua 2.182.2 and modbus-serial 8.0.25)."""
    if (PEERS / "node_modules" / "node-opcua").is_dir() and (PEERS / "node_modules" / "modbus-serial").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed for the OPC UA and Modbus peers of the acquisition tests (Node 20, npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEERS, check=True, capture_output=True, timeout=600)


class Peer:
    """A node server process; ``send`` writes one JSON line to its standard input."""

    def __init__(self, script: str, config: dict) -> None:
        install()
        self.process = subprocess.Popen(
            ["node", str(PEERS / script), json.dumps(config)],
            cwd=PEERS,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        said = []
        for line in self.process.stdout:  # node-opcua may warn on stdout before it is ready
            if line.startswith("ready"):
                self.ready = line.split()
                break
            said.append(line)
        else:
            self.stop()
            pytest.fail(f"{script} did not start: {''.join(said)}")

    def send(self, change: dict) -> None:
        self.process.stdin.write(json.dumps(change) + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
