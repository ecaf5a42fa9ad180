"""Secrets the database holds, sealed with the installation's key-encryption key (``nongan.core.kek``).

The KEK is outside the database (a key file or a passphrase), so a copy of the database alone opens nothing
sealed here. ``seal(data, purpose=…)`` gives ``"k1:" + base64url(nonce ‖ AES-256-GCM ciphertext)``; the purpose
(e.g. ``"draw-seed:SJ2026-0001"``) is bound as associated data, so a sealed value cannot be moved to another
record. Used for a draw round's server seed until its draw; the certificate-signing keys use the same KEK
(``nongan.certificates.keystore``).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .kek import KeyUnavailable, _b64u, _unb64u, settings_kek

PREFIX = "k1:"


class SealError(Exception):
    """A sealed value cannot be opened: no key-encryption key, another installation's key, or altered data."""


def _key() -> bytes:
    try:
        return settings_kek(create=True)
    except KeyUnavailable as exc:
        raise SealError(str(exc)) from None


def seal(data: bytes | str, *, purpose: str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    nonce = os.urandom(12)
    return PREFIX + _b64u(nonce + AESGCM(_key()).encrypt(nonce, data, purpose.encode("utf-8")))


def unseal(sealed: str, *, purpose: str) -> bytes:
    if not is_sealed(sealed):
        raise SealError("not a sealed value")
    key = _key()
    try:
        blob = _unb64u(sealed[len(PREFIX) :])
        return AESGCM(key).decrypt(blob[:12], blob[12:], purpose.encode("utf-8"))
    except (InvalidTag, ValueError):
        raise SealError(
            "the sealed value does not open with this installation's key-encryption key"
        ) from None


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)
