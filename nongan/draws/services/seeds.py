"""The round's seed: sealed with the installation's key until the draw, the minimum delay between the
commitment and the draw, and the witness values entered at the draw."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nongan.core import sealing

from ..models import DrawRound


def seal_seed(rnd: DrawRound, seed: str) -> str:
    """The server seed sealed with the installation's key-encryption key, bound to the round's code: a copy of
    the database alone does not reveal it before the draw."""
    try:
        return sealing.seal(seed, purpose=f"draw-seed:{rnd.code}")
    except sealing.SealError:
        raise ValidationError(
            _(
                "The installation has no key-encryption key to seal the seed with (NONGAN_KEY_FILE); "
                "run `nongan init-keys` or restore the key file. Nothing was committed."
            )
        ) from None


def unseal_seed(rnd: DrawRound) -> str:
    escrow = rnd.seed_escrow
    if not sealing.is_sealed(escrow):  # held in clear by a round committed before seeds were sealed
        return escrow
    try:
        return sealing.unseal(escrow, purpose=f"draw-seed:{rnd.code}").decode("utf-8")
    except sealing.SealError:
        raise ValidationError(
            _(
                "The sealed seed cannot be opened with this installation's key file; restore the key file "
                "(NONGAN_KEY_FILE) from the backup. Nothing was drawn."
            )
        ) from None


def min_delay() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "NONGAN_DRAW_MIN_DELAY_HOURS", 24)))


def earliest_draw(rnd: DrawRound):
    """The first moment the round may be drawn: its commitment plus the minimum delay (None before it)."""
    return rnd.committed_at + min_delay() if rnd.committed_at else None


def clean_witnesses(rnd: DrawRound, witnesses) -> list[dict]:
    """The witness entropy of a draw: ``witnesses`` is a list of (inspector id or user, value) or dicts with
    ``inspector`` and ``value``. At least ``NONGAN_DRAW_MIN_WITNESSES`` different inspectors of the round's
    pool, each value 4 to 64 characters. Returns ``[{"inspector": id, "value": text}]`` sorted by inspector."""
    need = int(getattr(settings, "NONGAN_DRAW_MIN_WITNESSES", 2))
    pool = set(rnd.pool.values_list("user_id", flat=True))
    rows: dict[int, str] = {}
    for item in witnesses or ():
        if isinstance(item, dict):
            who, value = item.get("inspector"), item.get("value")
        else:
            who, value = item
        who = getattr(who, "pk", who)
        value = "".join(ch for ch in str(value or "").strip() if ch.isprintable())
        if who in (None, "") and not value:
            continue
        try:
            who = int(who)
        except (TypeError, ValueError):
            raise ValidationError({"witnesses": _("Choose the inspector who entered each value.")}) from None
        if who not in pool:
            raise ValidationError(
                {"witnesses": _("Only inspectors of this round's pool can enter witness values.")}
            )
        if who in rows:
            raise ValidationError({"witnesses": _("Each inspector enters one value.")})
        if not 4 <= len(value) <= 64:
            raise ValidationError({"witnesses": _("Each witness value has 4 to 64 characters.")})
        rows[who] = value
    if len(rows) < need:
        raise ValidationError(
            {
                "witnesses": _(
                    "At least %(n)d inspectors present must each enter a value of their own choosing; "
                    "it is combined with the sealed seed, so that nobody can steer the draw."
                )
                % {"n": need}
            }
        )
    return [{"inspector": k, "value": rows[k]} for k in sorted(rows)]
