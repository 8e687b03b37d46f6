"""The SM algorithms: the standards' test vectors, and the OpenSSL-backed code agreeing with gmssl both ways.

Vectors:
- SM3: GB/T 32905-2016 Annex A, examples 1 ("abc") and 2 ("abcd" × 16).
- SM4: GB/T 32907-2016 Annex A, examples 1 (one block) and 2 (the block encrypted 1,000,000 times).
- SM4-GCM: RFC 8998 Appendix A.1.
- SM2: the signature example on the recommended curve of GM/T 0003.5-2012 / GB/T 32918.5-2017 Annex A
  (private key 3945208F…, message "message digest", ID 1234567812345678, k 59276E27…), also
  the vector of OpenSSL's test/sm2_internal_test.c.
"""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3
from gmssl import sm4 as gm_sm4

from acquisition import sm

SM2_D = int("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8", 16)
SM2_X = int("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020", 16)
SM2_Y = int("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13", 16)
SM2_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
SM2_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
SM2_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def gmssl_pair(key: sm.PrivateKey) -> gm_sm2.CryptSM2:
    """The same key pair in gmssl (pure Python), C1‖C3‖C2 ciphertext order (GB/T 32918.4-2016)."""
    private = format(key.private_numbers().private_value, "064x")
    return gm_sm2.CryptSM2(private_key=private, public_key=sm.public_point(key.public_key()).hex(), mode=1)


# --- SM3 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
)
def test_sm3_gives_the_digests_of_gb_t_32905_annex_a(message, digest):
    assert sm.sm3(message).hex() == digest
    assert gm_sm3.sm3_hash(list(message)) == digest


def test_sm3_of_openssl_and_gmssl_agree_on_a_batch_sized_message():
    message = bytes(range(256)) * 40
    assert sm.sm3(message).hex() == gm_sm3.sm3_hash(list(message))


# --- SM4 -----------------------------------------------------------------------------------------


def test_sm4_encrypts_the_block_of_gb_t_32907_annex_a_example_1():
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert (encryptor.update(SM4_KEY) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"
    gm = gm_sm4.CryptSM4(padding_mode=None)  # one block, no padding
    gm.set_key(SM4_KEY, gm_sm4.SM4_ENCRYPT)
    assert gm.crypt_ecb(SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_encrypting_a_million_times_gives_gb_t_32907_annex_a_example_2():
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


def test_sm4_gcm_matches_rfc_8998_appendix_a1():
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex("AA" * 8 + "BB" * 8 + "CC" * 8 + "DD" * 8 + "EE" * 8 + "FF" * 8 + "EE" * 8 + "AA" * 8)
    sealed = sm.sm4_gcm_encrypt(SM4_KEY, nonce, plaintext, aad)
    assert sealed.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"
    )
    assert sm.sm4_gcm_decrypt(SM4_KEY, nonce, sealed, aad) == plaintext


def test_sm4_gcm_refuses_a_changed_byte_or_changed_additional_data():
    nonce = bytes(12)
    sealed = sm.sm4_gcm_encrypt(SM4_KEY, nonce, b"level 42.0 %", b"header")
    damaged = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(sm.CryptoError, match="altered"):
        sm.sm4_gcm_decrypt(SM4_KEY, nonce, damaged, b"header")
    with pytest.raises(sm.CryptoError, match="altered"):
        sm.sm4_gcm_decrypt(SM4_KEY, nonce, sealed, b"other header")


@pytest.mark.parametrize("direction", ["openssl→gmssl", "gmssl→openssl"])
def test_sm4_cbc_of_openssl_and_gmssl_interoperate(direction):
    iv = bytes(range(16))
    message = "储罐液位 42.0 %".encode() * 10
    gm = gm_sm4.CryptSM4()
    if direction == "openssl→gmssl":
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padder.update(message) + padder.finalize()) + encryptor.finalize()
        gm.set_key(SM4_KEY, gm_sm4.SM4_DECRYPT)
        assert gm.crypt_cbc(iv, ciphertext) == message
    else:
        gm.set_key(SM4_KEY, gm_sm4.SM4_ENCRYPT)
        ciphertext = gm.crypt_cbc(iv, message)
        decryptor = Cipher(algorithms.SM4(SM4_KEY), modes.CBC(iv)).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        assert unpadder.update(padded) + unpadder.finalize() == message


# --- SM2 -----------------------------------------------------------------------------------------


def test_sm2_key_of_the_standard_example_has_its_public_point():
    key = sm.private_key_from_int(SM2_D)
    assert sm.public_point(key.public_key()).hex().upper() == format(SM2_X, "064X") + format(SM2_Y, "064X")


def test_sm2_signature_of_the_standard_example_verifies_with_openssl():
    public = sm.public_key_from_point(SM2_X, SM2_Y)
    signature = sm.der_signature(bytes.fromhex(SM2_R + SM2_S))
    assert sm.verify(public, signature, b"message digest")
    assert not sm.verify(public, signature, b"message digesT")


def test_gmssl_signing_with_the_standard_nonce_gives_the_standard_signature():
    pair = gmssl_pair(sm.private_key_from_int(SM2_D))
    assert pair.sign_with_sm3(b"message digest", SM2_K).upper() == SM2_R + SM2_S


def test_sm2_signatures_interoperate_both_ways():
    key = sm.generate_private_key()
    pair = gmssl_pair(key)
    message = "罐区 T101 液位 42.0 %".encode()
    by_openssl = sm.sign(key, message)
    assert pair.verify_with_sm3(sm.raw_signature(by_openssl).hex(), message)
    by_gmssl = pair.sign_with_sm3(message, secrets.token_hex(32))
    assert sm.verify(key.public_key(), sm.der_signature(bytes.fromhex(by_gmssl)), message)


def test_sm2_verify_refuses_garbage_without_raising():
    key = sm.generate_private_key()
    assert not sm.verify(key.public_key(), b"\x30\x02\x01", b"data")
    assert not sm.verify(key.public_key(), b"", b"data")


@pytest.mark.parametrize("direction", ["openssl→gmssl", "gmssl→openssl"])
def test_sm2_encryption_interoperates_both_ways(direction):
    key = sm.generate_private_key()
    pair = gmssl_pair(key)
    secret = bytes(range(16))
    if direction == "openssl→gmssl":
        ciphertext = sm.encrypt(key.public_key(), secret)
        assert pair.decrypt(sm.ciphertext_c1c3c2(ciphertext)) == secret
    else:
        ciphertext = pair.encrypt(secret)
        assert sm.decrypt(key, sm.ciphertext_der(ciphertext)) == secret


def test_sm2_decryption_with_another_key_is_refused():
    ciphertext = sm.encrypt(sm.generate_private_key().public_key(), b"k" * 16)
    with pytest.raises(sm.CryptoError):
        sm.decrypt(sm.generate_private_key(), ciphertext)


def test_keys_round_trip_through_pem():
    key = sm.generate_private_key()
    again = sm.load_private_key(sm.private_key_pem(key))
    assert sm.public_point(again.public_key()) == sm.public_point(key.public_key())
    credential = sm.load_credential(sm.public_key_pem(key.public_key()))
    assert sm.verify(credential.public_key, sm.sign(key, b"x"), b"x")


def test_a_credential_that_is_not_sm2_pem_is_refused_with_a_reason():
    with pytest.raises(sm.CryptoError, match="PEM"):
        sm.load_credential("not a certificate")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = p256.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(sm.CryptoError, match="SM2"):
        sm.load_credential(pem)
