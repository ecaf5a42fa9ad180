"""Secrets at rest, sealed with the installation's key-encryption key (KEK).

The KEK is 32 random bytes kept in a file outside the database (``NONGAN_KEY_FILE``, default
``var/keys/nongan.kek``, mode 0600) — never derived from ``SECRET_KEY`` and never stored in a table, so a
copy of the database alone opens nothing sealed with it. Back it up with the database (docs/operations.md):
without it, sealed secrets cannot be opened.

``seal(data, purpose=…)`` gives ``"k1:" + base64url(nonce ‖ AES-256-GCM ciphertext)``; the purpose (e.g.
``"draw-seed:SJ2026-0001"``) is bound as associated data, so a sealed value cannot be moved to another record.
Development and tests create the file on first use (``ensure_key_file``); production refuses to start
without it (settings_production.py).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "k1:"
KEY_BYTES = 32


class SealError(Exception):
    """A sealed value cannot be opened: no key file, another installation's key, or altered data."""


def key_path() -> Path:
    return Path(getattr(settings, "NONGAN_KEY_FILE", "") or Path(settings.VAR_DIR) / "keys" / "nongan.kek")


def ensure_key_file(path: Path | None = None) -> Path:
    """Create the key file (32 random bytes, base64, mode 0600) when it does not exist yet."""
    path = path or key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii") + "\n")
    return path


def load_key(path: Path | None = None) -> bytes:
    path = path or key_path()
    try:
        raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The key-encryption key file {path} is missing (NONGAN_KEY_FILE): restore it from the backup, "
            "or create a new one with `nongan init-keys` on a new installation."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise ImproperlyConfigured(f"The key-encryption key file {path} is not 32 bytes in base64.") from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"The key-encryption key file {path} is not 32 bytes in base64.")
    return raw


def _key() -> bytes:
    if getattr(settings, "NONGAN_KEY_FILE_AUTOCREATE", False):
        ensure_key_file()
    return load_key()


def seal(data: bytes | str, *, purpose: str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    nonce = os.urandom(12)
    blob = nonce + AESGCM(_key()).encrypt(nonce, data, purpose.encode("utf-8"))
    return PREFIX + base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")


def unseal(sealed: str, *, purpose: str) -> bytes:
    if not sealed.startswith(PREFIX):
        raise SealError("not a sealed value")
    text = sealed[len(PREFIX) :]
    try:
        blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return AESGCM(_key()).decrypt(blob[:12], blob[12:], purpose.encode("utf-8"))
    except (InvalidTag, ValueError):
        raise SealError("the sealed value does not open with this installation's key") from None


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)
