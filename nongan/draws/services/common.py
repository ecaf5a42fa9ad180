"""What the draws services share: the filter keys, the manager check, the published names and kinds, a round's
parameters."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nongan.core.scoping import can_manage, in_jurisdiction
from nongan.core.validators import public_producer_name

from ..models import DrawRound

if TYPE_CHECKING:
    from nongan.registry.models import Producer


FILTER_KEYS = ("township", "village", "types", "tiers", "category", "is_scale")
# The one kind a published exclusion carries (回避): a round's public data names no relationship between an
# inspector and a producer (rounds with ``recusals_as_one_kind``; older ones keep the kinds they were hashed with).
RECUSAL = "recusal"
NO_CATEGORY = "none"


def _require_manager(actor, region) -> None:
    if actor is None:
        return
    if not can_manage(actor) or not in_jurisdiction(actor, region):
        raise ValidationError(_("Only a district administrator of this jurisdiction may run draws."))


def public_name(producer: "Producer") -> str:
    """The name a published round shows (frozen with the candidates): core's one masking rule."""
    return public_producer_name(producer.name, kind=producer.type, person=producer.legal_rep)


def published_kind(rnd: DrawRound, kind: str) -> str:
    """The exclusion kind as published and hashed for this round."""
    return RECUSAL if rnd.recusals_as_one_kind else kind


def ratio_text(ratio) -> str | None:
    if ratio is None:
        return None
    return format(Decimal(ratio).normalize(), "f")


def parameters(rnd: DrawRound) -> dict:
    """The parameters the pure draw function takes (as exported)."""
    return {
        "count": rnd.count,
        "ratio": ratio_text(rnd.ratio),
        "strata": rnd.strata,
        "inspectors_per_object": rnd.inspectors_per_object,
    }
