"""Ed25519 signing keys: rotation, compromise, the active signer, the published JWK set and its in-process cache.

Each key has a validity window (``valid_from`` at its creation, ``valid_until`` at the rotation that retires it)
and may be marked compromised (``compromised_at``, with a reason). Rotation and compromise are audited and written
to the ledger (``signing_key.rotate``, ``signing_key.compromise``). ``verify()`` accepts a signature only for a
certificate signed (``Certificate.signed_at``, the server's clock) inside its key's window and before any
compromise.
"""

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger, numbering

from .. import keystore, qrsign
from ..models import SigningKey

# A certificate signed by a key up to this long after the rotation that retired it still counts as inside the
# window: an issue that read the active key just before a rotation committed. Compromise has no such grace.
ROTATION_GRACE = qrsign.ROTATION_GRACE


class SigningUnavailable(ValidationError):
    """No certificate can be signed: the key-encryption key is missing or not the one the key was sealed with."""


KEY_SERIES = "signing-key"  # a counter per day in nongan.core.numbering: it numbers and serialises rotations


def _new_kid() -> str:
    """The next key id of the day (k261130a, k261130b, …), taken under the day's counter lock, which holds
    until the rotating transaction ends: two rotations (or two first issues finding no key) never race."""
    today = timezone.localdate()
    base = f"k{today:%y%m%d}"
    [n] = numbering.allocate(
        KEY_SERIES, key=base, seed=lambda: SigningKey.objects.filter(kid__startswith=base).count()
    )
    n -= 1
    return base + (chr(ord("a") + n) if n < 26 else str(n))


def _seal(raw: bytes, kid: str) -> str:
    try:
        return keystore.encrypt_private(raw, kid)
    except keystore.KeyUnavailable as exc:
        raise SigningUnavailable(_unavailable_message(exc)) from None


def _unavailable_message(exc: Exception) -> str:
    return _(
        "Certificates cannot be signed: the key-encryption key of this installation is missing or wrong "
        "(%(detail)s). Ask the system administrator to restore the key file."
    ) % {"detail": exc}


@transaction.atomic
def signing_key_rotate(*, actor, reason: str = "rotate", unless_active: bool = False) -> SigningKey:
    """Create a new active Ed25519 key and retire the current one (its window closes now; it stays published).
    ``unless_active``: return the active key instead when one exists once the rotation lock is held (the
    first issue on a new installation: parallel first issues make one key)."""
    raw = qrsign.generate_private_key()
    kid = _new_kid()  # takes the rotation lock
    if unless_active:
        current = (
            SigningKey.objects.filter(active=True, compromised_at__isnull=True).order_by("-created").first()
        )
        if current is not None:
            return current
    now = timezone.now()
    sealed = _seal(raw, kid)  # before anything changes: without the KEK nothing is rotated
    retired = []
    for old in SigningKey.objects.select_for_update().filter(active=True):
        before = audit.snapshot(old)
        old.active = False
        old.valid_until = now
        old.save(update_fields=["active", "valid_until"])
        audit.record_update(actor, old, before, reason=reason)
        retired.append(old.kid)
    key = SigningKey.objects.create(
        kid=kid,
        public_key=qrsign.b64u_encode(qrsign.public_key_of(raw)),
        private_key_encrypted=sealed,
        active=True,
        valid_from=now,
    )
    audit.record_create(actor, key)
    ledger.append(
        kind="signing_key.rotate",
        ref=kid,
        payload={
            "kid": kid,
            "public_key": key.public_key,
            "valid_from": now.isoformat(),
            "retired": retired,
            "reason": reason,
        },
        actor=actor,
        records=list(SigningKey.objects.filter(kid__in=[kid, *retired]).order_by("pk")),
    )
    forget_key_records()
    transaction.on_commit(forget_key_records)
    transaction.on_commit(lambda: public_keys_write())
    return key


@transaction.atomic
def signing_key_compromise(*, actor, kid: str, reason: str, since: dt.datetime | None = None) -> SigningKey:
    """Mark a key compromised from ``since`` (default now): certificates it signed from then on are no longer
    genuine. An active key is replaced by a new one at once."""
    reason = (reason or "").strip()
    errors = {}
    key = SigningKey.objects.select_for_update().filter(kid=kid).first()
    now = timezone.now()
    since = since or now
    if key is None:
        errors["kid"] = _("No signing key %(kid)s.") % {"kid": kid}
    elif key.compromised_at is not None:
        errors["kid"] = _("Signing key %(kid)s is already marked compromised.") % {"kid": kid}
    if not reason:
        errors["reason"] = _("Give the reason the key is considered compromised.")
    if since > now:
        errors["since"] = _("The compromise cannot begin in the future.")
    if errors:
        raise ValidationError(errors)
    was_active = key.active
    before = audit.snapshot(key)
    key.compromised_at = since
    key.compromise_reason = reason[:255]
    key.save(update_fields=["compromised_at", "compromise_reason"])
    audit.record_update(actor, key, before, reason=reason)
    ledger.append(
        kind="signing_key.compromise",
        ref=key.kid,
        payload={"kid": key.kid, "compromised_at": since.isoformat(), "reason": key.compromise_reason},
        actor=actor,
        records=[SigningKey.objects.get(pk=key.pk)],
    )
    if was_active:
        signing_key_rotate(actor=actor, reason="compromise")
    forget_key_records()
    transaction.on_commit(forget_key_records)
    transaction.on_commit(lambda: public_keys_write())
    return key


def active_signer() -> qrsign.Signer:
    """The signer of the active key (one is made when there is none). Raises ``SigningUnavailable`` (a
    ValidationError with a clear message) when the key-encryption key is missing or different."""
    key = SigningKey.objects.filter(active=True, compromised_at__isnull=True).order_by("-created").first()
    if key is None:
        key = signing_key_rotate(actor=None, unless_active=True)
    try:
        raw = keystore.decrypt_private(key.private_key_encrypted, key.kid)
    except keystore.KeyUnavailable as exc:
        raise SigningUnavailable(_unavailable_message(exc)) from None
    return qrsign.Signer(key.kid, raw)


def public_keys() -> dict:
    """The JWK set published at /v/keys.json: every key ever used, with its window and state
    (active, retired or compromised)."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "issuer": "农安 Nongan",
        "format": "nongan-cert-qr-v1",
        "keys": [
            qrsign.jwk(
                k.kid,
                qrsign.b64u_decode(k.public_key),
                status=k.state,
                created=k.created.isoformat(),
                valid_from=iso(k.valid_from),
                valid_until=iso(k.valid_until),
                compromised_at=iso(k.compromised_at),
            )
            for k in SigningKey.objects.order_by("created")
        ],
    }


@dataclass(frozen=True)
class KeyRecord:
    """What the verdict needs of a key: its public key, window and compromise time."""

    kid: str
    public: bytes
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    compromised_at: dt.datetime | None

    def signed_inside(self, signed_at: dt.datetime) -> bool:
        """Whether a certificate signed at ``signed_at`` (server clock) is inside the window and before any
        compromise."""
        if signed_at < self.valid_from:
            return False
        if self.valid_until is not None and signed_at > self.valid_until + ROTATION_GRACE:
            return False
        return self.compromised_at is None or signed_at < self.compromised_at


_KEYS_CACHE: dict = {"keys": None, "at": 0.0}
KEYS_CACHE_SECONDS = 60


def key_records(*, kid: str | None = None) -> dict[str, KeyRecord]:
    """{kid: KeyRecord}, cached in the process for a minute (reloaded at once for an unknown kid; a rotation or
    compromise in this process clears it)."""
    cached = _KEYS_CACHE["keys"]
    fresh = time.monotonic() - _KEYS_CACHE["at"] < KEYS_CACHE_SECONDS
    if cached is not None and fresh and (kid is None or kid in cached):
        return cached
    keys = {
        k: KeyRecord(k, qrsign.b64u_decode(pub), vf, vu, ca)
        for k, pub, vf, vu, ca in SigningKey.objects.values_list(
            "kid", "public_key", "valid_from", "valid_until", "compromised_at"
        )
    }
    _KEYS_CACHE.update(keys=keys, at=time.monotonic())
    return keys


def public_keys_map(*, kid: str | None = None) -> dict[str, bytes]:
    """{kid: public key} (from the same cache as ``key_records``)."""
    return {k: r.public for k, r in key_records(kid=kid).items()}


def forget_key_records() -> None:
    """The next ``key_records`` reads the keys again (after a rotation or compromise in this process, or when
    another process's change is notified: ``pagestore``)."""
    _KEYS_CACHE.update(keys=None, at=0.0)


def public_keys_write(path: Path | None = None) -> Path:
    """Write the JWK set to VAR_DIR/keys/public-keys.json (what `nongan verify-qr` reads by default)."""
    path = path or Path(settings.VAR_DIR) / "keys" / "public-keys.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(public_keys(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
