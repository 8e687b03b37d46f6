"""The OPC UA connector against node-opcua (a server hazmap did not write), on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from acquisition import pointmap
from acquisition.batch import BAD, GOOD, UNCERTAIN
from acquisition.opcua import OpcUaConnector, ensure_certificate
from tests.acquisition.conftest import free_port
from tests.acquisition.peers import Peer

OWNER = "91310116000000001X"


class Sink:
    """Collects what a connector reports."""

    def __init__(self) -> None:
        self.received = []
        self.outages = []

    def samples(self, samples) -> None:
        self.received += samples

    def offline(self, keys, reason, time=None) -> None:
        self.outages.append((tuple(keys), reason))


async def until(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def device(
    port: int,
    extra: str = "",
    point: str = "",
) -> pointmap.DeviceSpec:
    text = f"""
owner: {OWNER}
devices:
  - name: gds
    protocol: opcua
    url: opc.tcp://127.0.0.1:{port}/hazmap-test
    publishing_interval_s: 0.1
{extra}
    points:
      - sensor: GD-001
        node: ns=1;s=GD-001
        sampling_interval_s: 0.05
{point}
"""
    return pointmap.loads(text).devices[0]


@pytest.fixture
def server(tmp_path):
    started = []

    def start(port: int | None = None, **config) -> Peer:
        port = port or free_port()
        peer = Peer(
            "opcua_server.js",
            {
                "port": port,
                "pki": str(tmp_path / "server-pki"),
                "variables": [{"id": "GD-001", "value": 1.5}],
                **config,
            },
        )
        peer.port = port
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()


def run(connector: OpcUaConnector, sink: Sink, scenario) -> None:
    async def main():
        task = asyncio.create_task(connector.run(sink))
        try:
            await scenario()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def test_values_arrive_with_source_time_quality_and_bad_types_marked(server):
    variables = [{"id": "GD-001", "value": 1.5}, {"id": "GD-002", "value": 0.0, "type": "BaseDataType"}]
    peer = server(variables=variables)
    sink = Sink()
    points = """      - {sensor: GD-002, node: "ns=1;s=GD-002"}
      - {sensor: GD-003, node: "ns=1;s=NO-SUCH-NODE"}"""

    async def scenario():
        await until(lambda: sink.received, what="the first value")
        await until(lambda: len(sink.received) >= 3, what="every point")
        first = {s.key: (s.value, s.quality) for s in sink.received}
        assert first == {
            f"{OWNER}/GD-001": (1.5, GOOD),
            f"{OWNER}/GD-002": (0.0, GOOD),
            f"{OWNER}/GD-003": (None, BAD),  # the server has no such node
        }
        peer.send({"id": "GD-001", "value": 30.0})
        await until(lambda: sink.received[-1].value == 30.0, what="30 %LEL")
        peer.send({"id": "GD-001", "value": 31.0, "status": "Uncertain"})
        await until(lambda: sink.received[-1].value == 31.0)
        assert sink.received[-1].quality == UNCERTAIN
        peer.send({"id": "GD-001", "value": 32.0, "status": "Bad"})
        await until(lambda: sink.received[-1].value == 32.0)
        assert sink.received[-1].quality == BAD
        peer.send({"id": "GD-002", "text": "sensor fault"})
        await until(lambda: sink.received[-1].key.endswith("GD-002"), what="the wrong type")
        assert (sink.received[-1].value, sink.received[-1].quality) == (None, BAD)

    run(OpcUaConnector(device(peer.port, point=points)), sink, scenario)
    times = [s.time for s in sink.received if s.key.endswith("GD-001")]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)


def test_the_deadband_of_the_subscription_holds_back_small_changes(server):
    peer = server()
    sink = Sink()

    async def scenario():
        await until(lambda: sink.received)
        for value in (1.7, 1.9, 2.1, 5.0):
            peer.send({"id": "GD-001", "value": value})
            await asyncio.sleep(0.3)
        await until(lambda: sink.received[-1].value == 5.0)

    run(OpcUaConnector(device(peer.port, point="        deadband: 1.0")), sink, scenario)
    assert [s.value for s in sink.received] == [1.5, 5.0]


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
def test_basic256sha256_with_user_and_password(server, tmp_path, monkeypatch, mode):
    peer = server(users={"hazmap": "s3cret"}, anonymous=False)
    asyncio.run(ensure_certificate(tmp_path / "agent.pem", tmp_path / "agent.der", "urn:hazmap:agent"))
    monkeypatch.setenv("GDS_PASSWORD", "s3cret")
    extra = f"""    security: Basic256Sha256
    mode: {mode}
    certificate: {tmp_path / "agent.der"}
    private_key: {tmp_path / "agent.pem"}
    username: hazmap
    password_env: GDS_PASSWORD"""
    sink = Sink()
    connector = OpcUaConnector(device(peer.port, extra))

    async def scenario():
        await until(lambda: sink.received, what="a value over a secure channel")
        policy = connector.client.security_policy
        assert policy.URI.endswith("#Basic256Sha256")
        assert policy.Mode.name == mode

    run(connector, sink, scenario)
    assert sink.received[0].value == 1.5


def test_a_wrong_password_is_reported_offline_and_retried(server, monkeypatch):
    peer = server(users={"hazmap": "s3cret"}, anonymous=False)
    monkeypatch.setenv("GDS_PASSWORD", "wrong")
    sink = Sink()

    async def scenario():
        await until(lambda: sink.outages, what="the refusal")

    run(OpcUaConnector(device(peer.port, "    username: hazmap\n    password_env: GDS_PASSWORD")), sink, scenario)
    assert sink.outages[0][0] == (f"{OWNER}/GD-001",)
    assert not sink.received


def test_a_restarted_server_is_reconnected_and_subscribed_again(server):
    peer = server()
    port = peer.port
    sink = Sink()

    async def scenario():
        await until(lambda: sink.received, what="the first value")
        peer.stop()
        await until(lambda: sink.outages, timeout=30, what="the loss to be noticed")
        again = server(port=port)
        again.send({"id": "GD-001", "value": 7.0})
        await until(lambda: sink.received[-1].value == 7.0, timeout=60, what="values after the restart")

    run(OpcUaConnector(device(port)), sink, scenario)


def test_an_x509_user_identity_the_server_trusts_logs_in_and_one_it_does_not_is_refused(server, tmp_path):
    certs = tmp_path / "certs"
    for name in ("agent", "operator", "stranger"):
        asyncio.run(ensure_certificate(certs / f"{name}.pem", certs / f"{name}.der", f"urn:hazmap:{name}"))
    peer = server(anonymous=False, userPki=str(tmp_path / "user-pki"), trustedUsers=[str(certs / "operator.der")])

    def connector(user: str) -> OpcUaConnector:
        extra = f"""    security: Basic256Sha256
    mode: SignAndEncrypt
    certificate: {certs / "agent.der"}
    private_key: {certs / "agent.pem"}
    user_certificate: {certs / f"{user}.der"}
    user_private_key: {certs / f"{user}.pem"}"""
        return OpcUaConnector(device(peer.port, extra))

    operator = Sink()

    async def logged_in():
        await until(lambda: operator.received, what="a value read as the operator")

    run(connector("operator"), operator, logged_in)
    assert operator.received[0].value == 1.5 and not operator.outages

    stranger = Sink()

    async def refused():
        await until(lambda: stranger.outages, what="the stranger's refusal")

    run(connector("stranger"), stranger, refused)
    assert "BadIdentityTokenRejected" in stranger.outages[0][1]
    assert not stranger.received
