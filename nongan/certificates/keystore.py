"""Private signing keys at rest, sealed with a key-encryption key (KEK) that is never in the database.

The KEK is 32 random bytes in a key file (setting ``NONGAN_KEY_FILE``, default ``VAR_DIR/keys/nongan.kek``,
base64url text, mode 0600; made by ``nongan init-keys``, or on the first ``migrate`` in development), or is
derived from a passphrase (setting ``NONGAN_KEY_PASSPHRASE``, scrypt). It is not derived from SECRET_KEY: a
copy of the database together with the SECRET_KEY (or a default one) does not give the private keys.

Sealed form of one private key (AES-256-GCM, the kid as associated data):

    "v2:" <KEK fingerprint, 16 hex> ":" base64url(nonce 12 bytes || ciphertext and tag)

The fingerprint (HMAC-SHA256 of the KEK over a fixed label, first 8 bytes) tells a missing or different KEK
apart from damaged data, so the platform can say which, instead of failing on an authentication tag.

``v1:`` is the earlier form (AES-256-GCM under HKDF-SHA256 of SECRET_KEY); migration
``certificates.0007`` re-seals such keys with the KEK (``reseal_v1``) and nothing else reads them.

The KEK itself (key file, passphrase, the production check) is ``nongan.core.kek``; its names are used through
this module too.
"""

from __future__ import annotations

import os

from nongan.core.kek import (  # noqa: F401 - KeyUnavailable and the KEK helpers are used through this module too
    KeyUnavailable,
    fingerprint,
    kek_from_passphrase,
    kek_generate,
    kek_problem,
    kek_read_file,
    settings_kek,
)

from .qrsign import b64u_decode as _unb64u
from .qrsign import b64u_encode as _b64u

PREFIX_V1 = "v1:"
PREFIX = "v2:"


# ------------------------------------------------------------------ sealing
def seal(raw: bytes, kid: str, kek: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return f"{PREFIX}{fingerprint(kek)}:{_b64u(nonce + AESGCM(kek).encrypt(nonce, raw, kid.encode()))}"


def unseal(stored: str, kid: str, kek: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if stored.startswith(PREFIX_V1):
        raise KeyUnavailable(
            f"signing key {kid} is still sealed under SECRET_KEY (run `nongan migrate`, which re-seals it)"
        )
    if not stored.startswith(PREFIX) or stored.count(":") != 2:
        raise KeyUnavailable(f"signing key {kid}: unknown sealed format")
    _, fp, body = stored.split(":")
    if fp != fingerprint(kek):
        raise KeyUnavailable(
            f"signing key {kid} was sealed with another key-encryption key (fingerprint {fp}, "
            f"this installation's is {fingerprint(kek)}): restore the key file it was sealed with"
        )
    blob = _unb64u(body)
    try:
        return AESGCM(kek).decrypt(blob[:12], blob[12:], kid.encode())
    except (InvalidTag, ValueError):
        raise KeyUnavailable(f"signing key {kid}: the sealed private key is damaged") from None


def encrypt_private(raw: bytes, kid: str) -> str:
    """Seal a new private key with this installation's KEK (made first in development)."""
    return seal(raw, kid, settings_kek(create=True))


def decrypt_private(stored: str, kid: str) -> bytes:
    if stored.startswith(PREFIX_V1):
        return unseal(stored, kid, b"")  # says why, whatever the KEK
    return unseal(stored, kid, settings_kek())


# ------------------------------------------------------------------ the earlier form
def _v1_wrapping_key(secret_key: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"nongan-certificates", info=b"signing-key"
    ).derive(secret_key.encode("utf-8"))


def unseal_v1(stored: str, kid: str, secret_key: str) -> bytes:
    """Open a ``v1:`` key (only the migration that re-seals them calls this)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not stored.startswith(PREFIX_V1):
        raise ValueError("not a v1 sealed key")
    blob = _unb64u(stored[len(PREFIX_V1) :])
    return AESGCM(_v1_wrapping_key(secret_key)).decrypt(blob[:12], blob[12:], kid.encode())


def seal_v1(raw: bytes, kid: str, secret_key: str) -> str:
    """The earlier form (for the migration's tests)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return PREFIX_V1 + _b64u(nonce + AESGCM(_v1_wrapping_key(secret_key)).encrypt(nonce, raw, kid.encode()))


def reseal_v1(signing_key_model, secret_key: str, *, kek: bytes, out=None) -> tuple[int, list[str]]:
    """Re-seal every ``v1:`` key of ``signing_key_model`` with ``kek``. Returns (re-sealed count, kids that
    could not be opened with ``secret_key``: those stay as they are and cannot sign; rotate)."""
    from cryptography.exceptions import InvalidTag

    done, failed = 0, []
    for key in signing_key_model.objects.filter(private_key_encrypted__startswith=PREFIX_V1):
        try:
            raw = unseal_v1(key.private_key_encrypted, key.kid, secret_key)
        except (InvalidTag, ValueError):
            failed.append(key.kid)
            if out is not None:
                out.write(f"signing key {key.kid}: cannot be opened with this SECRET_KEY; left as it is\n")
            continue
        key.private_key_encrypted = seal(raw, key.kid, kek)
        key.save(update_fields=["private_key_encrypted"])
        done += 1
    return done, failed
