"""Every read of the draws app. Lists and details go through the jurisdiction choke point.

Public interface (the reads that take ``user`` are ``scoped`` to it): ``rounds_for``, ``round_for``,
``rounds_with_selection`` (drawn or published: the rounds tasks are made from), ``round_codes``, the published rounds
(``public_rounds``, ``public_round``), ``eligible_inspectors``, ``conflicts_for``, ``selections_for_round``
(read by monitoring to make tasks from a round), ``selections_with_inspectors``, ``describe_filter``."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from nongan.core.models import Region
from nongan.core.scoping import get_scoped_or_404, region_line_q, scoped

from .choices import INSPECTOR_ROLES, ROLES_BY_PURPOSE, RoundStatus
from .models import DrawAssignment, DrawRound, DrawSelection, InspectorConflict

# A round's page is public once its candidate list is frozen (the hashes and the seed commitment are shown);
# the seed and the selections are shown once the round is published.
PUBLIC_STATUSES = (
    RoundStatus.CANDIDATES_FROZEN,
    RoundStatus.SEED_COMMITTED,
    RoundStatus.DRAWN,
    RoundStatus.PUBLISHED,
    RoundStatus.CANCELLED,
)


def rounds_for(user) -> QuerySet[DrawRound]:
    return scoped(user, DrawRound.objects.select_related("region", "created_by")).order_by("-year", "-code")


def rounds_with_selection(user) -> QuerySet[DrawRound]:
    """The rounds of the user's jurisdiction that have drawn their selection (drawn or published)."""
    return rounds_for(user).filter(status__in=(RoundStatus.DRAWN, RoundStatus.PUBLISHED))


def round_codes(ids) -> dict[int, str]:
    """Round id → round code (SJ2026-0003), for pages that show a round another app refers to by id."""
    return dict(DrawRound.objects.filter(pk__in=set(ids)).values_list("pk", "code"))


def round_for(user, pk) -> DrawRound:
    return get_scoped_or_404(user, DrawRound.objects.select_related("region", "created_by"), pk=pk)


def public_round(code: str) -> DrawRound | None:
    """A round as the public may see it (no login), or None."""
    return (
        DrawRound.objects.select_related("region")
        .filter(code=code, status__in=PUBLIC_STATUSES, frozen_at__isnull=False)
        .first()
    )


# Rounds whose seed and selection the public sees: published ones, and cancelled ones (a round cancelled after
# its commitment shows its reason, its seed and, when it was drawn, its selection).
REVEALED_STATUSES = (RoundStatus.PUBLISHED, RoundStatus.CANCELLED)


def public_rounds() -> QuerySet[DrawRound]:
    """Every round from its seed commitment on (drawn, published and cancelled ones too), newest first."""
    return (
        DrawRound.objects.select_related("region")
        .filter(committed_at__isnull=False, frozen_at__isnull=False)
        .order_by("-committed_at", "-code")
    )


def eligible_inspectors(region: Region, purpose: str | None = None) -> QuerySet:
    """Active accounts that may sit in the inspector pool of a round covering ``region``: samplers, township
    supervisors, enforcement officers and analysts (sampling rounds: samplers and enforcement officers) whose
    jurisdiction lies inside the region or contains it."""
    user_model = get_user_model()
    roles = ROLES_BY_PURPOSE.get(purpose, INSPECTOR_ROLES)
    return (
        user_model.objects.filter(is_active=True, role__in=roles)
        .filter(region_line_q("jurisdiction", region))
        .select_related("jurisdiction")
        .order_by("role", "jurisdiction__path", "username")
    )


def selections_for_round(round_id: int) -> list[dict]:
    """The drawn objects of a round for the monitoring app: producer_id, stratum, inspector_ids, rank.

    Interface kept stable for nongan.monitoring; in draw order ((stratum, rank)).
    """
    rows = list(
        DrawSelection.objects.filter(round_id=round_id)
        .order_by("position")
        .values_list("id", "producer_id", "stratum", "rank")
    )
    inspectors: dict[int, list[int]] = {}
    for sel_id, uid in (
        DrawAssignment.objects.filter(selection__round_id=round_id)
        .order_by("selection_id", "position")
        .values_list("selection_id", "inspector_id")
    ):
        inspectors.setdefault(sel_id, []).append(uid)
    return [
        {"producer_id": pid, "stratum": stratum, "inspector_ids": inspectors.get(sid, []), "rank": rank}
        for sid, pid, stratum, rank in rows
    ]


def conflicts_for(user) -> QuerySet[InspectorConflict]:
    """Conflicts a user may see: their own, plus those on producers in their jurisdiction for administrators."""
    from nongan.core.scoping import can_manage

    base = InspectorConflict.objects.select_related(
        "inspector", "producer", "producer__region", "declared_by"
    )
    if can_manage(user):
        return scoped(user, base)
    return base.filter(inspector=user)


def selections_with_inspectors(rnd: DrawRound) -> list[DrawSelection]:
    return list(
        rnd.selections.select_related("candidate", "producer")
        .prefetch_related("assignments__inspector")
        .order_by("position")
    )


def describe_filter(spec: dict) -> str:
    """A registry filter in words, e.g. "镇（街道）：青口镇；主体类型：合作社；仅规模主体"."""
    from django.utils.translation import gettext as _

    from nongan.registry import selectors as registry
    from nongan.registry.choices import ProducerType

    spec = spec or {}
    parts = []
    for key, label in (("township", _("Township")), ("village", _("Village"))):
        if spec.get(key):
            region = Region.objects.filter(code=spec[key]).first()
            parts.append(f"{label}：{region.name if region else spec[key]}")
    if spec.get("types"):
        names = "、".join(str(ProducerType(t).label) for t in spec["types"] if t in ProducerType.values)
        parts.append(f"{_('Producer types')}：{names}")
    if spec.get("tiers"):
        parts.append(f"{_('Supervision tiers')}：{'、'.join(spec['tiers'])}")
    if spec.get("category"):
        cat = registry.category_by_code(spec["category"])
        parts.append(f"{_('Product category')}：{cat.name if cat else spec['category']}")
    if spec.get("is_scale") is True:
        parts.append(_("Scale producers only"))
    elif spec.get("is_scale") is False:
        parts.append(_("Non-scale producers only"))
    return "；".join(parts) or _("All producers in business")
