"""The key-encryption key (KEK) of the installation: what seals the certificate-signing private keys
(``nongan.certificates.keystore``), never stored in the database and not derived from SECRET_KEY.

32 random bytes in a key file (setting ``NONGAN_KEY_FILE``, default ``VAR_DIR/keys/nongan.kek``, base64url text,
mode 0600 in a 0700 folder; made by ``nongan init-keys``, or by the first ``migrate`` in development), or derived
from a passphrase (setting ``NONGAN_KEY_PASSPHRASE``, scrypt). Django settings are read only in ``settings_kek()``;
the rest takes explicit arguments, so ``nongan.settings_production`` can check the KEK before Django starts
(``kek_problem``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

KEK_BYTES = 32
MIN_PASSPHRASE = 20
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_SCRYPT_SALT = b"nongan-certificates-kek-v2"


class KeyUnavailable(Exception):
    """A private signing key cannot be unsealed or sealed: the KEK is missing, different, or the data damaged."""


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64u(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kek_generate(path: Path | str) -> Path:
    """Write a new random KEK to ``path`` (its folder 0700, the file 0600). Refuses to overwrite one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(_b64u(os.urandom(KEK_BYTES)) + "\n")
    os.chmod(path, 0o600)
    return path


def kek_read_file(path: Path | str) -> bytes:
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyUnavailable(
            f"the key-encryption key file {path} does not exist (restore it from the backup, or "
            "run `nongan init-keys` on a new installation)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyUnavailable(f"the key-encryption key file {path} cannot be read: {exc}") from None
    try:
        kek = _unb64u(text)
    except ValueError:
        kek = b""
    if len(kek) != KEK_BYTES:
        raise KeyUnavailable(f"the key-encryption key file {path} does not hold a 32-byte key")
    return kek


_PASSPHRASE_CACHE: dict[str, bytes] = {}


def kek_from_passphrase(passphrase: str) -> bytes:
    if passphrase not in _PASSPHRASE_CACHE:
        _PASSPHRASE_CACHE.clear()
        _PASSPHRASE_CACHE[passphrase] = hashlib.scrypt(
            passphrase.encode("utf-8"), salt=_SCRYPT_SALT, dklen=KEK_BYTES, maxmem=64 * 1024 * 1024, **_SCRYPT
        )
    return _PASSPHRASE_CACHE[passphrase]


def kek_problem(path: Path | str, passphrase: str | None) -> str | None:
    """Why no usable KEK is configured (None when one is): what production refuses to start on."""
    if passphrase:
        if len(passphrase) < MIN_PASSPHRASE:
            return f"NONGAN_KEY_PASSPHRASE must be at least {MIN_PASSPHRASE} characters long"
        return None
    try:
        kek_read_file(path)
    except KeyUnavailable as exc:
        return str(exc)
    if os.stat(path).st_mode & 0o077:
        return f"the key-encryption key file {path} must be readable by its owner only (chmod 600)"
    return None


def settings_kek(*, create: bool = False) -> bytes:
    """The KEK this installation is configured with. ``create``: make the key file when it is missing and
    ``NONGAN_KEY_AUTOCREATE`` allows it (development and tests; never in production)."""
    from django.conf import settings

    passphrase = getattr(settings, "NONGAN_KEY_PASSPHRASE", None)
    if passphrase:
        return kek_from_passphrase(passphrase)
    path = Path(settings.NONGAN_KEY_FILE)
    if create and getattr(settings, "NONGAN_KEY_AUTOCREATE", False) and not path.exists():
        try:
            kek_generate(path)
        except FileExistsError:
            pass
    return kek_read_file(path)


def fingerprint(kek: bytes) -> str:
    return hmac.new(kek, b"nongan-kek-fingerprint", hashlib.sha256).hexdigest()[:16]
