"""The national (SM) algorithms of the uplink, on OpenSSL.

- SM3 hash (GB/T 32905-2016) and the SM4 block cipher (GB/T 32907-2016) in GCM mode come from
  ``cryptography`` (OpenSSL).
- SM2 (GB/T 32918-2016) comes from ``tongsuopy`` (Tongsuo, the OpenSSL fork that keeps the SM
  algorithms): signatures with SM3 and the default distinguishing ID ``1234567812345678``
  (GB/T 35276-2017 §10), and public-key encryption (GB/T 32918.4) of the session keys.

Signatures are DER ``SEQUENCE {r, s}`` as OpenSSL writes them; ``raw_signature`` and
``der_signature`` convert to and from the 64-byte ``r‖s`` other implementations use. SM2 ciphertexts
are DER ``SM2Cipher`` (GM/T 0009-2012 §7.2); ``ciphertext_c1c3c2`` and ``ciphertext_der`` convert to
and from the raw ``C1‖C3‖C2`` order of GB/T 32918.4-2016. The nonces of signatures and encryptions
come from OpenSSL's random generator; keys and GCM nonces of ours from ``secrets``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tongsuopy.backends.tongsuo import backend as _tongsuo
from tongsuopy.crypto import hashes as _thashes
from tongsuopy.crypto import serialization as _tser
from tongsuopy.crypto.asymciphers import ec as _ec
from tongsuopy.crypto.exceptions import InvalidSignature

PrivateKey = _ec.EllipticCurvePrivateKey
PublicKey = _ec.EllipticCurvePublicKey

SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
# DER header of an SM2 SubjectPublicKeyInfo (id-ecPublicKey, curve 1.2.156.10197.1.301, uncompressed point)
_SM2_SPKI_HEADER = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
_SM2_SPKI_BYTES = len(_SM2_SPKI_HEADER) + 64


class CryptoError(ValueError):
    """A key, certificate, signature or ciphertext that cannot be used; the message says why."""


# --- SM3 and SM4 ---------------------------------------------------------------------------------


def sm3(data: bytes) -> bytes:
    """The 32-byte SM3 digest of ``data``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm4_key() -> bytes:
    """A fresh 128-bit SM4 key."""
    return secrets.token_bytes(SM4_KEY_BYTES)


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """SM4-GCM: the ciphertext followed by the 16-byte tag; ``aad`` is authenticated, not encrypted."""
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
    """Reverse ``sm4_gcm_encrypt``; ``CryptoError`` when the tag does not match (tampered or wrong key)."""
    if len(sealed) < GCM_TAG_BYTES:
        raise CryptoError("the ciphertext is shorter than its tag")
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-GCM_TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(sealed[:-GCM_TAG_BYTES]) + decryptor.finalize()
    except InvalidTag:
        raise CryptoError("the SM4-GCM tag does not match: the message was altered or the key is wrong") from None


# --- SM2 keys ------------------------------------------------------------------------------------


def generate_private_key() -> PrivateKey:
    """A new SM2 key pair."""
    return _ec.generate_private_key(_ec.SM2())


def private_key_from_int(value: int) -> PrivateKey:
    """The SM2 private key with secret scalar ``value`` (test vectors)."""
    return _ec.derive_private_key(value, _ec.SM2())


def public_key_from_point(x: int, y: int) -> PublicKey:
    """The SM2 public key at point (x, y)."""
    return _ec.EllipticCurvePublicNumbers(x, y, _ec.SM2()).public_key()


def private_key_pem(key: PrivateKey) -> bytes:
    """PKCS #8 PEM of an SM2 private key (unencrypted: protect the file)."""
    return key.private_bytes(_tser.Encoding.PEM, _tser.PrivateFormat.PKCS8, _tser.NoEncryption())


def load_private_key(pem: bytes) -> PrivateKey:
    """An SM2 private key from PEM; ``CryptoError`` when it is not one."""
    try:
        key = _tser.load_pem_private_key(pem, None)
    except Exception as error:
        raise CryptoError(f"not an SM2 private key in PEM: {error}") from None
    if not isinstance(key, PrivateKey) or key.curve.name != "SM2":
        raise CryptoError("the private key is not on the SM2 curve")
    return key


def public_key_pem(key: PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of an SM2 public key."""
    return key.public_bytes(_tser.Encoding.PEM, _tser.PublicFormat.SubjectPublicKeyInfo)


def public_point(key: PublicKey) -> bytes:
    """The 64-byte ``x‖y`` of an SM2 public key (as gmssl and many devices write it)."""
    numbers = key.public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


@dataclass(frozen=True)
class Credential:
    """A device's public key and, when it came from an X.509 certificate, its subject and validity."""

    public_key: PublicKey
    subject: str = ""
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    certificate: x509.Certificate | None = None

    def valid_at(self, moment: dt.datetime) -> bool:
        """True when ``moment`` lies within the certificate's validity (always for a bare key)."""
        if self.not_before is not None and moment < self.not_before:
            return False
        return self.not_after is None or moment <= self.not_after


def load_credential(pem: bytes | str) -> Credential:
    """An SM2 public key from PEM: an X.509 certificate (SM2 with SM3) or a bare SubjectPublicKeyInfo.

    X.509 fields are read with ``cryptography``; it does not load SM2 keys, so the key is taken from
    the certificate's SubjectPublicKeyInfo, whose DER encoding is fixed for an SM2 key.
    """
    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError as error:
            raise CryptoError(f"not an X.509 certificate: {error}") from None
        tbs = cert.tbs_certificate_bytes
        at = tbs.find(_SM2_SPKI_HEADER)
        if at < 0:
            raise CryptoError("the certificate does not hold an SM2 public key")
        key = _load_public_der(tbs[at : at + _SM2_SPKI_BYTES])
        return Credential(key, cert.subject.rfc4514_string(), cert.not_valid_before_utc, cert.not_valid_after_utc, cert)
    if b"BEGIN PUBLIC KEY" in data:
        try:
            key = _tser.load_pem_public_key(data)
        except Exception as error:
            raise CryptoError(f"not an SM2 public key in PEM: {error}") from None
        if not isinstance(key, PublicKey) or key.curve.name != "SM2":
            raise CryptoError("the public key is not on the SM2 curve")
        return Credential(key)
    raise CryptoError("give an X.509 certificate or a public key in PEM (-----BEGIN CERTIFICATE----- …)")


def _load_public_der(der: bytes) -> PublicKey:
    try:
        return _tser.load_der_public_key(der)
    except Exception as error:
        raise CryptoError(f"the SM2 public key cannot be read: {error}") from None


def issued_by(credential: Credential, issuer: Credential) -> bool:
    """True when ``credential``'s certificate carries a valid SM2 signature of ``issuer``'s key."""
    cert = credential.certificate
    if cert is None or cert.signature_algorithm_oid.dotted_string != "1.2.156.10197.1.501":  # SM2-with-SM3
        return False
    return verify(issuer.public_key, cert.signature, cert.tbs_certificate_bytes)


# --- SM2 signatures ------------------------------------------------------------------------------


def sign(key: PrivateKey, data: bytes) -> bytes:
    """SM2 signature (DER) of ``data`` with SM3 and the default distinguishing ID."""
    return key.sign(data, _ec.ECDSA(_thashes.SM3()))


def verify(key: PublicKey, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` (DER) is ``key``'s SM2 signature of ``data``."""
    try:
        key.verify(signature, data, _ec.ECDSA(_thashes.SM3()))
    except (InvalidSignature, ValueError):
        return False
    except Exception:  # OpenSSL refuses malformed DER with its own error types
        _tongsuo._consume_errors()
        return False
    return True


def raw_signature(der: bytes) -> bytes:
    """DER ``SEQUENCE {r, s}`` → 64-byte ``r‖s``."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def der_signature(raw: bytes) -> bytes:
    """64-byte ``r‖s`` → DER ``SEQUENCE {r, s}``."""
    if len(raw) != 64:
        raise CryptoError("a raw SM2 signature is 64 bytes (r‖s)")
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


# --- SM2 encryption (session keys) ---------------------------------------------------------------


def _pkey_op(init, op, pkey, data: bytes) -> bytes:
    lib, ffi = _tongsuo._lib, _tongsuo._ffi
    ctx = ffi.gc(lib.EVP_PKEY_CTX_new(pkey, ffi.NULL), lib.EVP_PKEY_CTX_free)
    size = ffi.new("size_t *")
    if init(ctx) != 1 or op(ctx, ffi.NULL, size, data, len(data)) != 1:
        _tongsuo._consume_errors()
        raise CryptoError("SM2 encryption is not available for this key")
    out = ffi.new("unsigned char[]", size[0])
    if op(ctx, out, size, data, len(data)) != 1:
        _tongsuo._consume_errors()
        raise CryptoError("the SM2 ciphertext cannot be decrypted with this key")
    return bytes(ffi.buffer(out)[: size[0]])


def encrypt(key: PublicKey, plaintext: bytes) -> bytes:
    """SM2 public-key encryption (GB/T 32918.4) of a short secret; DER ``SM2Cipher``."""
    lib = _tongsuo._lib
    return _pkey_op(lib.EVP_PKEY_encrypt_init, lib.EVP_PKEY_encrypt, key._evp_pkey, plaintext)


def decrypt(key: PrivateKey, ciphertext: bytes) -> bytes:
    """Reverse ``encrypt``; ``CryptoError`` when the ciphertext is not for this key or was altered."""
    lib = _tongsuo._lib
    return _pkey_op(lib.EVP_PKEY_decrypt_init, lib.EVP_PKEY_decrypt, key._evp_pkey, ciphertext)


def _der_length(data: bytes, at: int) -> tuple[int, int]:
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), at + 1 + count


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
    items, at = [], 0
    while at < len(data):
        tag = data[at]
        length, start = _der_length(data, at + 1)
        items.append((tag, data[start : start + length]))
        at = start + length
    return items


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def ciphertext_c1c3c2(der: bytes) -> bytes:
    """DER ``SM2Cipher {x, y, hash, ciphertext}`` → raw ``C1‖C3‖C2`` (C1 without the 04 prefix)."""
    try:
        (tag, body), *_ = _der_items(der)
        (tx, x), (ty, y), (th, c3), (tc, c2) = _der_items(body)
    except (ValueError, IndexError):
        raise CryptoError("not a DER SM2Cipher") from None
    if (tag, tx, ty, th, tc) != (0x30, 0x02, 0x02, 0x04, 0x04):
        raise CryptoError("not a DER SM2Cipher")
    c1 = int.from_bytes(x, "big").to_bytes(32, "big") + int.from_bytes(y, "big").to_bytes(32, "big")
    return c1 + c3 + c2


def ciphertext_der(raw: bytes) -> bytes:
    """Raw ``C1‖C3‖C2`` (C1 with or without the 04 prefix) → DER ``SM2Cipher``."""
    if len(raw) % 2 == 1 and raw[:1] == b"\x04":
        raw = raw[1:]
    if len(raw) < 96:
        raise CryptoError("a raw SM2 ciphertext holds at least C1 (64 bytes) and C3 (32 bytes)")

    def integer(value: bytes) -> bytes:
        value = value.lstrip(b"\x00") or b"\x00"
        return _der(0x02, b"\x00" + value if value[0] & 0x80 else value)

    body = integer(raw[:32]) + integer(raw[32:64]) + _der(0x04, raw[64:96]) + _der(0x04, raw[96:])
    return _der(0x30, body)
