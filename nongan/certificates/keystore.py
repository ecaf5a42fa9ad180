"""Private signing keys at rest: AES-256-GCM under a key derived from SECRET_KEY (HKDF-SHA256).

Changing SECRET_KEY makes stored private keys unreadable: rotate the signing key afterwards
(`nongan keys rotate`); certificates signed before stay verifiable, their public keys stay published.
"""

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .qrsign import b64u_decode, b64u_encode

PREFIX = "v1:"


def _wrapping_key() -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"nongan-certificates", info=b"signing-key"
    ).derive(settings.SECRET_KEY.encode("utf-8"))


def encrypt_private(raw: bytes, kid: str) -> str:
    nonce = os.urandom(12)
    return PREFIX + b64u_encode(nonce + AESGCM(_wrapping_key()).encrypt(nonce, raw, kid.encode()))


def decrypt_private(stored: str, kid: str) -> bytes:
    if not stored.startswith(PREFIX):
        raise ValueError("unknown private key format")
    blob = b64u_decode(stored[len(PREFIX) :])
    return AESGCM(_wrapping_key()).decrypt(blob[:12], blob[12:], kid.encode())
