"""Benchmarks of acquisition, each against a baseline measured in the same run.

- ingest: a batch of samples through ``acquisition.ingest.ingest`` (history by COPY with de-duplication,
  live attributes, events) against a bare COPY of the same rows into the history table; samples/s.
- envelope: sealing a batch at the agent (SM4-GCM + SM3 + one SM2 signature, OpenSSL) and checking and
  opening it at the centre, against the same with gmssl (pure Python: SM4-CBC, SM2); batches/s, MB/s.
- latency: a value changed on an OPC UA server until it is the sensor's live value in the database
  (agent → outbox → envelope → centre → ingest), at 5,000 changes a second, against the OPC UA
  subscription alone (change → notification in the agent); p50 and p99.
- outbox: bytes per sample of the demo park's chunks, and the disk for 24 hours of the park.
- signatures: SM2 signatures and verifications per second (OpenSSL through ``acquisition.sm``) against gmssl.

Each figure is also printed against the acquisition issue's target (issue 5: ingest ≥ 50,000 samples/s;
p99 ≤ 0.5 s at 5,000 samples/s; ≈3,500 SM2 signatures/s with OpenSSL, ≈160 with gmssl), with the rate
the latency run actually reached; printed, never asserted.

Usage: ``python -m tests.bench.bench_acquisition [--scale park|province]`` (PostGIS: DATABASE_URL=postgis://…),
or call the functions from ``tests.bench.__main__`` after the demo is loaded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time

import numpy as np
from django.db import connection
from django.utils import timezone

from acquisition import envelope, sm
from acquisition.batch import Batch, to_us
from tests.bench.harness import Figure, compare

SAMPLES_PER_BATCH = 50_000

# The targets of the acquisition issue (issue 5, "Speed").
INGEST_TARGET = 50_000  # samples/s into PostGIS, sustained
LATENCY_TARGET_S = 0.5  # p99, OPC UA change → live value in the database …
LATENCY_RATE = 5_000  # … at this many samples/s
SM2_SIGNATURES_OPENSSL = 3_500  # signatures/s the issue measured with OpenSSL-based SM2
SM2_SIGNATURES_GMSSL = 160  # and with gmssl


def target(what: str, reached: str, goal: str, met: bool) -> None:
    """Print one figure against the issue's target."""
    print(f"{'':<46} target: {what} {reached} against {goal}: {'met' if met else 'NOT MET'}", flush=True)


def _batch(keys: list[str], per_key: int, start_us: int, rng: np.random.Generator) -> Batch:
    n = len(keys) * per_key
    index = np.repeat(np.arange(len(keys), dtype=np.uint32), per_key)
    time_us = start_us + np.tile(np.arange(per_key, dtype=np.int64) * 1_000_000, len(keys))
    return Batch(keys, index, time_us, rng.uniform(0, 100, n), np.zeros(n, np.uint8))


def _sensor_keys(limit: int) -> list[str]:
    from acquisition.models import sensor_key
    from geo.models import Sensor

    sensors = Sensor.objects.select_related("enterprise", "region").order_by("pk")[:limit]
    return [sensor_key(s) for s in sensors]


def bench_ingest(sensors: int = 1000) -> list[Figure]:
    """Ingest of 50,000-sample batches against a bare COPY of the same rows."""
    from acquisition.ingest import ingest
    from geo import partitions
    from geo.models import Sensor

    partitions.ensure_reading_partitions()
    keys = _sensor_keys(sensors)
    per_key = SAMPLES_PER_BATCH // len(keys)
    rng = np.random.default_rng(1)
    base = to_us(timezone.now() - dt.timedelta(hours=6))
    runs = iter(range(1, 1000))
    ids = np.array(list(Sensor.objects.order_by("pk").values_list("pk", flat=True)[:sensors]), np.int64)

    def candidate():
        ingest(_batch(keys, per_key, base + next(runs) * 10_000_000 * per_key, rng))

    def bare_copy():
        batch = _batch(keys, per_key, base + next(runs) * 10_000_000 * per_key, rng)
        stamps = np.datetime_as_string(batch.time_us.astype("datetime64[us]"), unit="us")
        rows = "".join(
            f"{i}\t{t}Z\t{v!r}\t{q}\n"
            for i, t, v, q in zip(
                ids[batch.index].tolist(), stamps.tolist(), batch.value.tolist(), batch.quality.tolist(), strict=True
            )
        )
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY geo_reading (sensor_id, time, value, quality) FROM STDIN") as copy,
        ):
            copy.write(rows)

    figure = compare(
        f"ingest: {per_key * len(keys)} samples, {len(keys)} sensors",
        candidate,
        bare_copy,
        repeat=5,
        note="baseline: bare COPY of the same rows",
    )
    n = per_key * len(keys)
    rate = n / figure.candidate_s
    print(f"{'':<46} ingest {rate:,.0f} samples/s; bare COPY {n / figure.baseline_s:,.0f} samples/s")
    target("ingest", f"{rate:,.0f} samples/s", f"≥ {INGEST_TARGET:,} samples/s", rate >= INGEST_TARGET)
    return [figure]


def bench_envelope(samples: int = 1000) -> list[Figure]:
    """Seal and open one batch: OpenSSL (cryptography, tongsuopy) against gmssl (pure Python)."""
    from gmssl import sm2 as gm_sm2
    from gmssl import sm4 as gm_sm4

    rng = np.random.default_rng(2)
    keys = [f"91310116000000001X/T{n:03d}-LT1" for n in range(200)]
    payload = envelope.pack_chunks([_batch(keys, samples // len(keys), to_us(timezone.now()), rng).encode()])
    device, centre = sm.generate_private_key(), sm.generate_private_key()
    session = envelope.Session.new(centre.public_key())
    gm_device = gm_sm2.CryptSM2(
        private_key=format(device.private_numbers().private_value, "064x"),
        public_key=sm.public_point(device.public_key()).hex(),
    )
    iv = bytes(16)

    def gmssl_seal() -> tuple[bytes, str]:
        cipher = gm_sm4.CryptSM4()
        cipher.set_key(session.key, gm_sm4.SM4_ENCRYPT)
        ciphertext = cipher.crypt_cbc(iv, payload)
        import secrets

        return ciphertext, gm_device.sign_with_sm3(ciphertext, secrets.token_hex(32))

    sealed_gm = gmssl_seal()
    message = envelope.seal(payload, "GW-1", bytes(8), 1, session, device)

    def openssl_open():
        parsed = envelope.parse(message)
        assert parsed.signed_by(device.public_key())
        parsed.open(session.key)

    def gmssl_open():
        ciphertext, signature = sealed_gm
        assert gm_device.verify_with_sm3(signature, ciphertext)
        cipher = gm_sm4.CryptSM4()
        cipher.set_key(session.key, gm_sm4.SM4_DECRYPT)
        cipher.crypt_cbc(iv, ciphertext)

    seal = compare(
        f"envelope: seal {len(payload) / 1024:.0f} KiB batch",
        lambda: envelope.seal(payload, "GW-1", bytes(8), 1, session, device),
        gmssl_seal,
        repeat=5,
        note="baseline: gmssl SM4-CBC + SM2",
    )
    opened = compare(
        "envelope: verify and open at the centre",
        openssl_open,
        gmssl_open,
        repeat=5,
        note="baseline: gmssl SM2 verify + SM4-CBC",
    )
    mb = len(payload) / 1e6
    for f in (seal, opened):
        print(
            f"{'':<46} {1 / f.candidate_s:,.0f} batches/s {mb / f.candidate_s:,.1f} MB/s "
            f"(gmssl {1 / f.baseline_s:,.1f} batches/s {mb / f.baseline_s:,.2f} MB/s)"
        )
    many = [sm.generate_private_key() for _ in range(100)]
    messages = [envelope.seal(payload, f"GW-{n}", bytes(8), 1, session, key) for n, key in enumerate(many)]
    started = time.perf_counter()
    for key, sealed in zip(many, messages, strict=True):
        parsed = envelope.parse(sealed)
        assert parsed.signed_by(key.public_key())
        parsed.open(session.key)
    elapsed = time.perf_counter() - started
    print(f"{'':<46} centre: 100 enterprises' batches verified and opened at {100 / elapsed:,.0f} batches/s")
    return [seal, opened]


def bench_signatures(count: int = 100) -> list[Figure]:
    """SM2 signatures (and verifications) of a 32-byte digest: OpenSSL (``acquisition.sm``) against gmssl."""
    import secrets

    from gmssl import sm2 as gm_sm2

    key = sm.generate_private_key()
    gm_key = gm_sm2.CryptSM2(
        private_key=format(key.private_numbers().private_value, "064x"),
        public_key=sm.public_point(key.public_key()).hex(),
    )
    data = sm.sm3(b"hazmap")
    signature, gm_signature = sm.sign(key, data), gm_key.sign_with_sm3(data, secrets.token_hex(32))
    signed = compare(
        f"sm2: {count} signatures",
        lambda: [sm.sign(key, data) for _ in range(count)],
        lambda: [gm_key.sign_with_sm3(data, secrets.token_hex(32)) for _ in range(count)],
        repeat=3,
        note="baseline: gmssl",
    )
    verified = compare(
        f"sm2: {count} verifications",
        lambda: [sm.verify(key.public_key(), signature, data) for _ in range(count)],
        lambda: [gm_key.verify_with_sm3(gm_signature, data) for _ in range(count)],
        repeat=3,
        note="baseline: gmssl",
    )
    signs, gm_signs = count / signed.candidate_s, count / signed.baseline_s
    print(
        f"{'':<46} {signs:,.0f} signatures/s, {count / verified.candidate_s:,.0f} verifications/s "
        f"(gmssl {gm_signs:,.0f} and {count / verified.baseline_s:,.0f})"
    )
    print(
        f"{'':<46} target: SM2 signatures {signs:,.0f}/s against the issue's ≈ {SM2_SIGNATURES_OPENSSL:,}/s "
        f"with OpenSSL ({signs / SM2_SIGNATURES_OPENSSL:.2f}×); gmssl {gm_signs:,.0f}/s "
        f"against its ≈ {SM2_SIGNATURES_GMSSL}/s"
    )
    return [signed, verified]


def bench_outbox_size() -> None:
    """Bytes per sample of the park's chunks (one poll of every sensor) and 24 hours at the park's rate."""
    keys = _sensor_keys(10_000)
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 100, len(keys)).round(3)
    batch = Batch(
        keys,
        np.arange(len(keys), dtype=np.uint32),
        to_us(timezone.now()) + rng.integers(0, 100_000, len(keys)),
        values,
        np.zeros(len(keys), np.uint8),
    )
    per_sample = len(batch.encode()) / len(keys)
    rate = len(keys) / 2.0  # every point every 2 s
    print(
        f"{'outbox: bytes per sample':<46} {per_sample:.1f} B; {len(keys)} points every 2 s for 24 h: "
        f"{per_sample * rate * 86400 / 1e9:.2f} GB"
    )


def bench_latency(points: int = 1000, rate: int = 5000, seconds: float = 15.0) -> list[Figure]:
    """OPC UA value change → live value in the database, at ``rate`` changes/s, against the subscription alone.

    The OPC UA server is node-opcua in its own process (tests/acquisition/peers), changing its variables in
    turn with the source time of each change; latency is the time from that source time to the commit
    of the ingest that stored the sample (same clock).
    """
    import tempfile

    from acquisition import pointmap
    from acquisition.agent import Agent
    from acquisition.centre import Centre
    from acquisition.embedded import register_embedded_gateway
    from acquisition.models import Gateway
    from acquisition.opcua import OpcUaConnector
    from acquisition.outbox import Outbox
    from acquisition.uplink import InProcess, Uplink
    from tests.acquisition.conftest import free_port
    from tests.acquisition.peers import Peer

    keys = _sensor_keys(points)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        variables = [{"id": k, "value": 0.0} for k in keys]
        peer = Peer(
            "opcua_server.js", {"port": port, "pki": f"{folder}/pki", "variables": variables, "load": {"rate": rate}}
        )
        namespace = peer.ready[-1].split("=")[1]
        device = pointmap.DeviceSpec(
            name="bench",
            protocol="opcua",
            url=f"opc.tcp://127.0.0.1:{port}/hazmap-test",
            publishing_interval_s=0.05,
            points=tuple(
                pointmap.PointSpec(key=k, node=f"ns={namespace};s={k}", sampling_interval_s=0.0) for k in keys
            ),
        )
        notified: list[float] = []
        notified_at: list[float] = []  # source times (s since 1970) of the samples, for the rate reached

        class Sink:
            def samples(self, samples):
                now = time.time()
                notified.extend(now - s.time.timestamp() for s in samples)
                notified_at.extend(s.time.timestamp() for s in samples)

            def offline(self, *args, **kwargs):
                pass

        async def subscribe_only():
            task = asyncio.create_task(OpcUaConnector(device).run(Sink()))
            await asyncio.sleep(seconds)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        asyncio.run(subscribe_only())

        key = sm.generate_private_key()
        gateway = register_embedded_gateway(key)
        centre = Centre(sm.generate_private_key())
        committed: list[float] = []
        committed_at: list[float] = []
        receive = centre.receive

        def timed_receive(message, now=None):
            receipt = receive(message, now)
            if receipt.status == "accepted":
                done = time.time()
                sealed = envelope.parse(message)
                chunks = envelope.unpack_chunks(sealed.open(centre._session_key(sealed.wrapped_key)))
                batch = Batch.concat(Batch.decode(c) for c in chunks)
                committed.extend((done - batch.time_us / 1e6).tolist())
                committed_at.extend((batch.time_us / 1e6).tolist())
            return receipt

        centre.receive = timed_receive
        outbox = Outbox(f"{folder}/outbox.sqlite3")
        uplink = Uplink(outbox, InProcess(centre), gateway.code, key, centre.public_key)
        agent = Agent(pointmap.PointMap((device,)), outbox, uplink, flush_interval_s=0.05)
        agent.start()
        time.sleep(seconds)
        agent.stop()
        peer.stop()
        Gateway.objects.filter(pk=gateway.pk).delete()

    def quantiles(values):
        values = sorted(values[len(values) // 5 :])  # after the first fifth (connection, initial values)
        return statistics.median(values), values[int(0.99 * (len(values) - 1))], len(values)

    (c50, c99, cn), (b50, b99, bn) = quantiles(committed), quantiles(notified)
    figure = Figure(f"latency p99: OPC UA change → database, {rate}/s", c99, b99, "baseline: subscription alone")
    print(figure.line())
    print(f"{'':<46} database: p50 {c50 * 1e3:.0f} ms, p99 {c99 * 1e3:.0f} ms over {cn} samples")
    print(f"{'':<46} subscription alone: p50 {b50 * 1e3:.0f} ms, p99 {b99 * 1e3:.0f} ms over {bn} samples")

    def rate_of(times: list[float]) -> float:
        """Samples per second of source time, first to last (connecting is not counted)."""
        return len(times) / (max(times) - min(times)) if len(times) > 1 else 0.0

    reached, subscribed = rate_of(committed_at), rate_of(notified_at)
    print(
        f"{'':<46} rate reached: {reached:,.0f} samples/s into the database, {subscribed:,.0f} samples/s "
        f"through the subscription alone (asked {rate:,}/s of the server)"
    )
    target(
        "latency p99",
        f"{c99:.3f} s at {reached:,.0f} samples/s",
        f"≤ {LATENCY_TARGET_S} s at {LATENCY_RATE:,} samples/s",
        c99 <= LATENCY_TARGET_S and reached >= 0.95 * LATENCY_RATE,
    )
    return [figure]


def run() -> list[Figure]:
    """Every acquisition benchmark (for ``python -m tests.bench``, after the demo is loaded)."""
    figures = bench_ingest() + bench_envelope() + bench_signatures()
    bench_outbox_size()
    return figures + bench_latency()


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="park", choices=["park", "province"])
    parser.add_argument(
        "--only", nargs="*", choices=["ingest", "envelope", "signatures", "outbox", "latency"], help="run only these"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazmap.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_databases, teardown_databases

    from tests.bench.harness import HEADER

    state = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("load-demo", scale=args.scale, verbosity=0)
        print(f"database: {connection.vendor}; demo scale {args.scale}")
        print(HEADER)
        chosen = set(args.only or ["ingest", "envelope", "signatures", "outbox", "latency"])
        for name, run in (
            ("ingest", bench_ingest),
            ("envelope", bench_envelope),
            ("signatures", bench_signatures),
            ("outbox", bench_outbox_size),
            ("latency", bench_latency),
        ):
            if name in chosen:
                run()
    finally:
        connection.close()
        teardown_databases(state, verbosity=0)


if __name__ == "__main__":
    main()
