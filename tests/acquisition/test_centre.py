"""The centre checks every message: replayed, tampered, unknown or stale ones are refused and logged."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
import subprocess

import pytest
from django.utils import timezone

from acquisition import envelope, sm
from acquisition.batch import Batch, Sample
from acquisition.centre import Centre
from acquisition.envelope import ACCEPTED, DUPLICATE, REJECTED, Ack, Session
from acquisition.models import Gateway
from geo.models import Reading

pytestmark = pytest.mark.django_db

EPOCH = bytes.fromhex("0102030405060708")


@pytest.fixture
def centre():
    return Centre(sm.generate_private_key(), max_age_s=600)


def message(plant, device, centre, seq=1, value=1.0, signer=None, code="GW-001", sent_ms=None, payload=None):
    now = timezone.now()
    batch = Batch.of([Sample(plant.key(plant.gas), now, value)])
    body = payload if payload is not None else envelope.pack_chunks([batch.encode()])
    session = Session.new(centre.public_key)
    return envelope.seal(body, code, EPOCH, seq, session, signer or device.key, sent_ms=sent_ms)


def test_a_signed_message_is_ingested_and_acknowledged_by_the_centre(plant, device, centre):
    receipt = centre.receive(message(plant, device, centre))
    assert receipt.status == "accepted" and receipt.result.stored == 1
    ack = Ack.unpack(receipt.ack, centre.public_key)
    assert (ack.gateway, ack.epoch, ack.seq, ack.status) == ("GW-001", EPOCH, 1, ACCEPTED)
    device.gateway.refresh_from_db()
    assert device.gateway.last_seen_at is not None


def test_a_replayed_message_is_refused_logged_and_changes_nothing(plant, device, centre, caplog):
    sent = message(plant, device, centre)
    centre.receive(sent)
    with caplog.at_level(logging.WARNING):
        receipt = centre.receive(sent)
    assert receipt.status == "duplicate"
    assert Ack.unpack(receipt.ack, centre.public_key).status == DUPLICATE
    assert "message 1 from gateway 'GW-001' refused: replayed" in caplog.text
    assert Reading.objects.count() == 1


@pytest.mark.parametrize("where", ["header", "ciphertext", "digest", "signature"])
def test_a_tampered_message_is_refused_without_acknowledgement(plant, device, centre, caplog, where):
    sent = bytearray(message(plant, device, centre))
    sealed = envelope.parse(bytes(sent))
    offsets = {
        "header": len(sealed.header) - 20,  # inside the wrapped session key
        "ciphertext": len(sealed.header) + 10,
        "digest": len(sealed.signed) + 5,
        "signature": len(sent) - 5,
    }
    sent[offsets[where]] ^= 0x01
    with caplog.at_level(logging.WARNING):
        receipt = centre.receive(bytes(sent))
    assert receipt.ack is None
    assert receipt.status in ("bad signature", "malformed")
    assert "GW-001" in caplog.text or "malformed" in caplog.text
    assert Reading.objects.count() == 0


def test_a_message_signed_by_an_unknown_device_is_refused(plant, device, centre, caplog):
    with caplog.at_level(logging.WARNING):
        impostor = centre.receive(message(plant, device, centre, signer=sm.generate_private_key()))
        stranger = centre.receive(message(plant, device, centre, code="GW-999"))
    assert (impostor.status, impostor.ack) == ("bad signature", None)
    assert (stranger.status, stranger.ack) == ("unknown gateway", None)
    assert "digest or SM2 signature does not match" in caplog.text
    assert "unknown or inactive gateway 'GW-999'" in caplog.text
    assert Reading.objects.count() == 0


def test_an_inactive_gateway_is_refused(plant, device, centre):
    Gateway.objects.filter(pk=device.gateway.pk).update(active=False)
    assert centre.receive(message(plant, device, centre)).status == "unknown gateway"


def test_a_message_older_than_the_age_limit_is_refused_so_the_agent_sends_it_again(plant, device, centre, caplog):
    old = envelope.now_ms() - 3_600_000
    with caplog.at_level(logging.WARNING):
        receipt = centre.receive(message(plant, device, centre, sent_ms=old))
    assert (receipt.status, receipt.ack) == ("too old", None)
    assert "from the centre's clock (limit 600 s)" in caplog.text


def test_garbage_is_refused_as_malformed(centre, caplog):
    with caplog.at_level(logging.WARNING):
        assert centre.receive(b"\x00" * 40).status == "malformed"
        assert centre.receive(b"HZE1\x01\x06GW-001").status == "malformed"
    assert "malformed message of 40 bytes refused" in caplog.text


def test_a_signed_message_with_a_malformed_batch_is_rejected_for_good(plant, device, centre):
    receipt = centre.receive(message(plant, device, centre, payload=envelope.pack_chunks([b"not a batch"])))
    assert receipt.status == "rejected"
    assert Ack.unpack(receipt.ack, centre.public_key).status == REJECTED


def test_a_session_key_is_unwrapped_once_per_session(plant, device, centre):
    session = Session.new(centre.public_key)
    for seq in (1, 2, 3):
        body = envelope.pack_chunks([Batch.of([Sample(plant.key(plant.gas), timezone.now(), float(seq))]).encode()])
        assert centre.receive(envelope.seal(body, "GW-001", EPOCH, seq, session, device.key)).status == "accepted"
    assert len(centre._session_keys) == 1


def test_an_acknowledgement_not_signed_by_the_centre_is_refused(centre):
    forged = Ack("GW-001", EPOCH, 1, ACCEPTED).pack(sm.generate_private_key())
    with pytest.raises(envelope.EnvelopeError, match="not signed by the centre"):
        Ack.unpack(forged, centre.public_key)


# --- X.509 certificates ---------------------------------------------------------------------------

OPENSSL = shutil.which("openssl")


def openssl_certificate(tmp_path, key: sm.PrivateKey, days: int, ca: tuple | None = None, name: str = "GW-001"):
    """An SM2 certificate made by the openssl command line (an implementation other than ours)."""
    assert OPENSSL, "the openssl command (Debian package openssl) makes the SM2 certificates of these tests"
    key_file = tmp_path / f"{name}.key"
    key_file.write_bytes(sm.private_key_pem(key))
    cert_file = tmp_path / f"{name}.pem"
    subject = f"/CN={name}/O=hazmap test"
    if ca is None:
        args = ["req", "-new", "-x509", "-key", key_file, "-subj", subject, "-days", str(days)]
    else:
        csr = tmp_path / f"{name}.csr"
        subprocess.run(
            [
                OPENSSL,
                "req",
                "-new",
                "-key",
                key_file,
                "-subj",
                subject,
                "-sm3",
                "-sigopt",
                "distid:1234567812345678",
                "-out",
                csr,
            ],
            check=True,
            capture_output=True,
        )
        args = ["x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-days", str(days)]
        args += ["-vfyopt", "distid:1234567812345678"]
    subprocess.run(
        [OPENSSL, *args, "-sm3", "-sigopt", "distid:1234567812345678", "-out", cert_file],
        check=True,
        capture_output=True,
    )
    return cert_file, key_file


def test_a_gateway_with_an_x509_sm2_certificate_is_accepted_and_the_certificate_chains_to_its_ca(
    plant, device, centre, tmp_path
):
    ca_key = sm.generate_private_key()
    ca_cert, ca_key_file = openssl_certificate(tmp_path, ca_key, 3650, name="hazmap-test-ca")
    cert, _ = openssl_certificate(tmp_path, device.key, 365, ca=(ca_cert, ca_key_file))
    device.gateway.credential = cert.read_text()
    device.gateway.save()
    credential = sm.load_credential(device.gateway.credential)
    assert credential.subject == "O=hazmap test,CN=GW-001"
    assert sm.issued_by(credential, sm.load_credential(ca_cert.read_bytes()))
    assert not sm.issued_by(credential, sm.load_credential(sm.public_key_pem(sm.generate_private_key().public_key())))
    assert centre.receive(message(plant, device, centre)).status == "accepted"


def test_an_expired_certificate_is_refused(plant, device, centre, tmp_path):
    cert, _ = openssl_certificate(tmp_path, device.key, 1)
    device.gateway.credential = cert.read_text()
    device.gateway.save()
    later = timezone.now() + dt.timedelta(days=3)
    assert centre.receive(message(plant, device, centre), now=later).status == "certificate not valid"


def test_a_gateway_credential_that_is_not_an_sm2_key_is_refused_at_registration(plant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="credential"):
        Gateway.objects.create(code="GW-2", name="x", enterprise=plant.enterprise, credential=secrets.token_hex(20))
