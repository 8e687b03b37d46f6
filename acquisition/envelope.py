"""The uplink envelope: SM4-encrypted payload, SM3 digest, SM2 signature, sequence number and time.

A message, every integer big-endian::

    header   "HZE1" · version (1) · gateway code (1 + n, UTF-8) · epoch (8) · sequence (8)
             · time sent (8, ms since 1970 UTC) · wrapped session key (2 + n) · GCM nonce (12)
    body     ciphertext length (4) · SM4-GCM(session key, nonce, payload, additional data = header)
    digest   SM3(header ‖ body) (32)
    signer   signature length (1) · SM2 signature (DER) of the digest by the gateway's key

The session key is a random SM4 key, encrypted with the centre's SM2 public key (the "digital
envelope" of GM/T 0010); the centre keeps the keys it has unwrapped, so one SM2 decryption serves
a whole session. ``epoch`` is a random number made when the agent's outbox is created, so that
(gateway, epoch, sequence) names a message for ever, even if an agent loses its outbox.

The centre answers each message it has dealt with by an acknowledgement, signed with its own key::

    "HZA1" · gateway code (1 + n) · epoch (8) · sequence (8) · status (1) · time (8, ms)
    · signature length (1) · SM2 signature of the SM3 digest of everything before it
"""

from __future__ import annotations

import datetime as dt
import secrets
import struct
import time
from dataclasses import dataclass

from acquisition import sm

MAGIC = b"HZE1"
ACK_MAGIC = b"HZA1"
VERSION = 1
EPOCH_BYTES = 8

ACCEPTED, DUPLICATE, REJECTED = 0, 1, 2
STATUS_NAMES = {ACCEPTED: "accepted", DUPLICATE: "duplicate", REJECTED: "rejected"}


class EnvelopeError(ValueError):
    """A message that is not a well-formed envelope (or acknowledgement)."""


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Session:
    """The sender's session key and that key encrypted for the centre."""

    key: bytes
    wrapped: bytes

    @classmethod
    def new(cls, centre_key: sm.PublicKey) -> Session:
        key = sm.sm4_key()
        return cls(key, sm.encrypt(centre_key, key))


@dataclass(frozen=True)
class Sealed:
    """A parsed message: its header fields and the parts that are verified and decrypted."""

    gateway: str
    epoch: bytes
    seq: int
    sent_ms: int
    wrapped_key: bytes
    nonce: bytes
    header: bytes
    ciphertext: bytes
    digest: bytes
    signature: bytes

    @property
    def signed(self) -> bytes:
        return self.header + struct.pack(">I", len(self.ciphertext)) + self.ciphertext

    @property
    def sent_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.sent_ms / 1000, dt.UTC)

    def digest_matches(self) -> bool:
        return secrets.compare_digest(sm.sm3(self.signed), self.digest)

    def signed_by(self, key: sm.PublicKey) -> bool:
        """True when the digest matches the content and carries ``key``'s signature."""
        return self.digest_matches() and sm.verify(key, self.signature, self.digest)

    def open(self, session_key: bytes) -> bytes:
        """The payload; ``sm.CryptoError`` when the ciphertext or header was altered."""
        return sm.sm4_gcm_decrypt(session_key, self.nonce, self.ciphertext, self.header)


def _text(value: str) -> bytes:
    data = value.encode()
    if not 0 < len(data) < 256:
        raise ValueError(f"“{value}” must be 1 to 255 bytes of UTF-8")
    return bytes([len(data)]) + data


def seal(
    payload: bytes,
    gateway: str,
    epoch: bytes,
    seq: int,
    session: Session,
    signer: sm.PrivateKey,
    sent_ms: int | None = None,
) -> bytes:
    """Encrypt, digest and sign ``payload`` as message ``seq`` of ``gateway``."""
    nonce = secrets.token_bytes(sm.GCM_NONCE_BYTES)
    header = b"".join(
        (
            MAGIC,
            bytes([VERSION]),
            _text(gateway),
            epoch,
            struct.pack(">QQH", seq, now_ms() if sent_ms is None else sent_ms, len(session.wrapped)),
            session.wrapped,
            nonce,
        )
    )
    ciphertext = sm.sm4_gcm_encrypt(session.key, nonce, payload, header)
    signed = header + struct.pack(">I", len(ciphertext)) + ciphertext
    digest = sm.sm3(signed)
    signature = sm.sign(signer, digest)
    return signed + digest + bytes([len(signature)]) + signature


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise EnvelopeError(f"the message ends inside its {what}")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def text(self, what: str) -> str:
        try:
            return self.take(self.take(1, what)[0], what).decode()
        except UnicodeDecodeError:
            raise EnvelopeError(f"the {what} is not UTF-8") from None


def parse(message: bytes) -> Sealed:
    """Split a message into its parts; ``EnvelopeError`` when it is not an envelope."""
    r = _Reader(message)
    if r.take(4, "marker") != MAGIC:
        raise EnvelopeError("the message does not start with the HZE1 marker")
    version = r.take(1, "version")[0]
    if version != VERSION:
        raise EnvelopeError(f"envelope version {version} is not understood (this centre reads {VERSION})")
    gateway = r.text("gateway code")
    epoch = r.take(EPOCH_BYTES, "epoch")
    seq, sent_ms, key_len = struct.unpack(">QQH", r.take(18, "header"))
    wrapped = r.take(key_len, "session key")
    nonce = r.take(sm.GCM_NONCE_BYTES, "nonce")
    header = message[: r.at]
    (length,) = struct.unpack(">I", r.take(4, "body length"))
    ciphertext = r.take(length, "body")
    digest = r.take(32, "digest")
    signature = r.take(r.take(1, "signature length")[0], "signature")
    if r.at != len(message):
        raise EnvelopeError(f"{len(message) - r.at} bytes follow the signature")
    return Sealed(gateway, epoch, seq, sent_ms, wrapped, nonce, header, ciphertext, digest, signature)


# --- acknowledgements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    """The centre's answer to one message."""

    gateway: str
    epoch: bytes
    seq: int
    status: int
    sent_ms: int = 0

    def pack(self, signer: sm.PrivateKey) -> bytes:
        body = b"".join(
            (
                ACK_MAGIC,
                _text(self.gateway),
                self.epoch,
                struct.pack(">QBQ", self.seq, self.status, self.sent_ms or now_ms()),
            )
        )
        signature = sm.sign(signer, sm.sm3(body))
        return body + bytes([len(signature)]) + signature

    @classmethod
    def unpack(cls, data: bytes, centre_key: sm.PublicKey) -> Ack:
        """Read and verify an acknowledgement; ``EnvelopeError`` unless the centre signed it."""
        r = _Reader(data)
        if r.take(4, "marker") != ACK_MAGIC:
            raise EnvelopeError("the acknowledgement does not start with the HZA1 marker")
        gateway = r.text("gateway code")
        epoch = r.take(EPOCH_BYTES, "epoch")
        seq, status, sent_ms = struct.unpack(">QBQ", r.take(17, "acknowledgement"))
        body = data[: r.at]
        signature = r.take(r.take(1, "signature length")[0], "signature")
        if r.at != len(data) or not sm.verify(centre_key, signature, sm.sm3(body)):
            raise EnvelopeError("the acknowledgement is not signed by the centre")
        if status not in STATUS_NAMES:
            raise EnvelopeError(f"unknown acknowledgement status {status}")
        return cls(gateway, epoch, seq, status, sent_ms)


# --- several outbox chunks in one payload ---------------------------------------------------------


def pack_chunks(chunks: list[bytes]) -> bytes:
    """One payload holding several encoded batches, in order."""
    return struct.pack(">I", len(chunks)) + b"".join(struct.pack(">I", len(c)) + c for c in chunks)


def unpack_chunks(payload: bytes) -> list[bytes]:
    r = _Reader(payload)
    (count,) = struct.unpack(">I", r.take(4, "chunk count"))
    chunks = []
    for _ in range(count):
        (length,) = struct.unpack(">I", r.take(4, "chunk length"))
        chunks.append(r.take(length, "chunk"))
    if r.at != len(payload):
        raise EnvelopeError("bytes follow the last chunk")
    return chunks
