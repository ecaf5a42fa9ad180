"""Ed25519 signing keys: rotation, the active signer, the published JWK set and its in-process cache."""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nongan.core import audit

from .. import keystore, qrsign
from ..models import SigningKey


def _new_kid() -> str:
    today = timezone.localdate()
    base = f"k{today:%y%m%d}"
    n = SigningKey.objects.filter(kid__startswith=base).count()
    return base + (chr(ord("a") + n) if n < 26 else str(n))


@transaction.atomic
def signing_key_rotate(*, actor) -> SigningKey:
    """Create a new active Ed25519 key and retire the current one (which stays published)."""
    now = timezone.now()
    for old in SigningKey.objects.select_for_update().filter(active=True):
        before = audit.snapshot(old)
        old.active = False
        old.retired = now
        old.save(update_fields=["active", "retired"])
        audit.record_update(actor, old, before, reason="rotate")
    raw = qrsign.generate_private_key()
    kid = _new_kid()
    key = SigningKey.objects.create(
        kid=kid,
        public_key=qrsign.b64u_encode(qrsign.public_key_of(raw)),
        private_key_encrypted=keystore.encrypt_private(raw, kid),
        active=True,
    )
    audit.record_create(actor, key)
    _forget_keys()
    transaction.on_commit(_forget_keys)
    transaction.on_commit(lambda: public_keys_write())
    return key


def active_signer() -> qrsign.Signer:
    key = SigningKey.objects.filter(active=True).order_by("-created").first()
    if key is None:
        key = signing_key_rotate(actor=None)
    return qrsign.Signer(key.kid, keystore.decrypt_private(key.private_key_encrypted, key.kid))


def public_keys() -> dict:
    """The JWK set published at /v/keys.json: every key ever used, active or retired."""
    return {
        "issuer": "农安 Nongan",
        "format": "nongan-cert-qr-v1",
        "keys": [
            qrsign.jwk(
                k.kid,
                qrsign.b64u_decode(k.public_key),
                status="active" if k.active else "retired",
                created=k.created.isoformat(),
                retired=k.retired.isoformat() if k.retired else None,
            )
            for k in SigningKey.objects.order_by("created")
        ],
    }


_KEYS_CACHE: dict = {"keys": None, "at": 0.0}
KEYS_CACHE_SECONDS = 60


def public_keys_map(*, kid: str | None = None) -> dict[str, bytes]:
    """{kid: public key}, cached in the process for a minute (reloaded at once for an unknown kid)."""
    import time

    cached = _KEYS_CACHE["keys"]
    fresh = time.monotonic() - _KEYS_CACHE["at"] < KEYS_CACHE_SECONDS
    if cached is not None and fresh and (kid is None or kid in cached):
        return cached
    keys = {k: qrsign.b64u_decode(v) for k, v in SigningKey.objects.values_list("kid", "public_key")}
    _KEYS_CACHE.update(keys=keys, at=time.monotonic())
    return keys


def _forget_keys() -> None:
    _KEYS_CACHE.update(keys=None, at=0.0)


def public_keys_write(path: Path | None = None) -> Path:
    """Write the JWK set to VAR_DIR/keys/public-keys.json (what `nongan verify-qr` reads by default)."""
    path = path or Path(settings.VAR_DIR) / "keys" / "public-keys.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(public_keys(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
