"""``ROUND_WORKFLOW``: the round's steps (freeze, commit, draw, publish, cancel) with their guards and
effects, on the core workflow runner, and the public calls that run them."""

import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core.workflow import Transition, Workflow
from nongan.registry import selectors as registry

from .. import algorithm
from ..choices import ConflictKind, ExclusionSource, RoundStatus, SeedSource
from ..models import (
    DrawAssignment,
    DrawCandidate,
    DrawExclusion,
    DrawRound,
    DrawRoundEvent,
    DrawSelection,
    InspectorConflict,
    InspectorPoolMember,
)
from .candidates import _strata_for, candidate_queryset
from .common import _require_manager, parameters, public_name, published_kind, ratio_text
from .seeds import clean_witnesses, earliest_draw, min_delay, seal_seed, unseal_seed


def _freeze_guard(actor, rnd, ctx) -> None:
    if rnd.pool.count() < rnd.inspectors_per_object:
        raise ValidationError(
            _("The pool needs at least %(n)d inspectors (the number drawn per object).")
            % {"n": rnd.inspectors_per_object}
        )


def _freeze_effect(actor, rnd, ctx) -> dict:
    producers = list(candidate_queryset(rnd).select_related("region", "region__parent").order_by("code"))
    if not producers:
        raise ValidationError(_("No producer matches the registry filter; there is nothing to draw from."))
    strata = _strata_for(rnd, producers)
    candidates = [
        DrawCandidate(
            round=rnd,
            producer=p,
            producer_code=p.code,
            name=public_name(p),
            stratum=strata[p.pk][0],
            stratum_label=strata[p.pk][1],
        )
        for p in producers
    ]
    sizes: dict[str, int] = {}
    for c in candidates:
        sizes[c.stratum] = sizes.get(c.stratum, 0) + 1
    try:
        algorithm.allocate(sizes, count=rnd.count, ratio=ratio_text(rnd.ratio))
    except algorithm.DrawError as exc:
        if exc.code == "count":
            raise ValidationError(
                {
                    "count": _("%(count)d objects asked for, but only %(total)d producers match the filter.")
                    % {"count": rnd.count, "total": len(candidates)}
                }
            ) from None
        raise ValidationError(
            _("The ratio must be greater than 0 and at most 1 (e.g. 0.05 for 5%).")
        ) from None

    pool = list(rnd.pool.select_related("user"))
    for m in pool:  # the names are frozen with the list
        m.name = m.user.full_name or m.user.username
    InspectorPoolMember.objects.bulk_update(pool, ["name"])
    pool_ids = {m.user_id for m in pool}
    code_of = {p.pk: p.code for p in producers}
    exclusions: dict[tuple, DrawExclusion] = {}
    declared = InspectorConflict.objects.filter(
        inspector_id__in=pool_ids, producer_id__in=code_of.keys(), withdrawn_at__isnull=True
    ).order_by("id")
    for c in declared:
        key = (c.inspector_id, code_of[c.producer_id], c.kind)
        exclusions.setdefault(
            key,
            DrawExclusion(
                round=rnd,
                inspector_id=c.inspector_id,
                producer_code=key[1],
                kind=c.kind,
                source=ExclusionSource.DECLARED,
                conflict=c,
                reason=c.reason,
            ),
        )
    staff_regions: dict[int, set[int]] = {}
    for uid, region_id in registry.staff_regions(pool_ids):
        staff_regions.setdefault(region_id, set()).add(uid)
    for p in producers:
        for uid in staff_regions.get(p.region_id, ()):
            key = (uid, p.code, ConflictKind.SAME_VILLAGE)
            exclusions.setdefault(
                key,
                DrawExclusion(
                    round=rnd,
                    inspector_id=uid,
                    producer_code=p.code,
                    kind=ConflictKind.SAME_VILLAGE,
                    source=ExclusionSource.AUTOMATIC,
                    reason=_("The inspector's staff record is in the producer's village."),
                ),
            )
    # Every candidate must keep enough eligible inspectors, so that the draw cannot fail after the seed is known.
    excluded_count: dict[str, set[int]] = {}
    for uid, code, _kind in exclusions:
        excluded_count.setdefault(code, set()).add(uid)
    short = [
        (p, len(pool_ids - excluded_count.get(p.code, set())))
        for p in producers
        if len(pool_ids - excluded_count.get(p.code, set())) < rnd.inspectors_per_object
    ]
    if short:
        p, n = short[0]
        raise ValidationError(
            _(
                "%(name)s (%(code)s) has only %(n)d eligible inspectors after conflicts; %(need)d are required. "
                "Add inspectors to the pool. (%(more)d objects in all are short.)"
            )
            % {"name": p.name, "code": p.code, "n": n, "need": rnd.inspectors_per_object, "more": len(short)}
        )
    DrawCandidate.objects.bulk_create(candidates, batch_size=2000)
    DrawExclusion.objects.bulk_create(list(exclusions.values()), batch_size=2000)
    rnd.candidate_count = len(candidates)
    rnd.candidate_hash = algorithm.candidate_hash(
        {"code": c.producer_code, "stratum": c.stratum, "name": c.name} for c in candidates
    )
    rnd.inspector_hash = algorithm.inspector_hash(
        [{"id": m.user_id, "name": m.name} for m in pool],
        [
            {"inspector": x.inspector_id, "producer": x.producer_code, "kind": published_kind(rnd, x.kind)}
            for x in exclusions.values()
        ],
    )
    rnd.frozen_at = timezone.now()
    rnd.save(update_fields=["candidate_count", "candidate_hash", "inspector_hash", "frozen_at"])
    return {
        "region": rnd.region.code,
        "filter": rnd.filter_spec,
        "parameters": parameters(rnd),
        "candidate_count": rnd.candidate_count,
        "candidate_hash": rnd.candidate_hash,
        "inspector_count": len(pool),
        "exclusion_count": len(exclusions),
        "inspector_hash": rnd.inspector_hash,
    }


def _commit_effect(actor, rnd, ctx) -> dict:
    if (ctx.get("seed") or "").strip():
        raise ValidationError(
            {
                "seed": _(
                    "The seed is generated by the server and kept sealed until the draw; nobody may choose it. "
                    "Leave the seed empty."
                )
            }
        )
    seed = secrets.token_hex(32)
    rnd.seed_source = SeedSource.GENERATED
    rnd.seed_escrow = seal_seed(rnd, seed)
    rnd.seed_commitment = algorithm.sha256(seed)
    rnd.beacon_source = (ctx.get("beacon_source") or "").strip()[:255]
    rnd.committed_at = timezone.now()
    rnd.save(update_fields=["seed_source", "seed_escrow", "seed_commitment", "beacon_source", "committed_at"])
    return {
        "candidate_hash": rnd.candidate_hash,
        "inspector_hash": rnd.inspector_hash,
        "seed_commitment": rnd.seed_commitment,
        "seed_source": rnd.seed_source,
        "beacon_source": rnd.beacon_source,
        "format": rnd.format,
        "earliest_draw": timezone.localtime(earliest_draw(rnd)).isoformat(),
    }


def _draw_guard(actor, rnd, ctx) -> None:
    earliest = earliest_draw(rnd)
    if earliest is not None and timezone.now() < earliest:
        raise ValidationError(
            _(
                "The seed was committed at %(committed)s; the round can be drawn from %(earliest)s "
                "(%(hours)s hours after the commitment). Nothing was drawn."
            )
            % {
                "committed": timezone.localtime(rnd.committed_at).strftime("%Y-%m-%d %H:%M"),
                "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
                "hours": format(min_delay().total_seconds() / 3600, "g"),
            }
        )
    seed = (ctx.get("seed") or "").strip()
    if rnd.seed_source == SeedSource.ENTERED:  # a round committed before seeds were always generated
        if not seed:
            raise ValidationError({"seed": _("Enter the seed that was committed for this round.")})
        if algorithm.sha256(seed) != rnd.seed_commitment:
            raise ValidationError(
                {
                    "seed": _(
                        "This seed does not match the published commitment (SHA-256). Nothing was drawn; enter the exact seed."
                    )
                }
            )
    elif not rnd.seed_escrow:
        raise ValidationError(_("The round holds no sealed seed; it cannot be drawn."))
    if rnd.beacon_source and not (ctx.get("beacon_value") or "").strip():
        raise ValidationError(
            {
                "beacon_value": _("Enter the public random value named at the commitment: %(source)s.")
                % {"source": rnd.beacon_source}
            }
        )
    if rnd.format != algorithm.FORMAT_V1:
        ctx["entropy"] = clean_witnesses(rnd, ctx.get("witnesses"))


def _draw_effect(actor, rnd, ctx) -> dict:
    if rnd.seed_source == SeedSource.ENTERED:
        seed = (ctx.get("seed") or "").strip()
    else:
        seed = unseal_seed(rnd)
    entropy = ctx.get("entropy") or []
    beacon = (ctx.get("beacon_value") or "").strip()[:128] if rnd.beacon_source else ""
    candidates = list(rnd.candidates.all())
    pool = list(rnd.pool.all())
    exclusions = list(rnd.exclusions.all())
    try:
        selections, hashes = algorithm.draw(
            [{"code": c.producer_code, "stratum": c.stratum, "name": c.name} for c in candidates],
            [{"id": m.user_id, "name": m.name} for m in pool],
            [
                {
                    "inspector": x.inspector_id,
                    "producer": x.producer_code,
                    "kind": published_kind(rnd, x.kind),
                }
                for x in exclusions
            ],
            seed,
            beacon=beacon,
            count=rnd.count,
            ratio=ratio_text(rnd.ratio),
            per_object=rnd.inspectors_per_object,
            entropy=entropy,
            fmt=rnd.format,
        )
    except algorithm.DrawError as exc:
        if exc.code == "inspectors":
            raise ValidationError(
                _(
                    "Object %(code)s has only %(n)d eligible inspectors; %(need)d are required. Nothing was drawn."
                )
                % exc.params
            ) from None
        raise ValidationError(_("The draw cannot be made: %(reason)s") % {"reason": str(exc)}) from None
    if hashes["candidate_hash"] != rnd.candidate_hash or hashes["inspector_hash"] != rnd.inspector_hash:
        raise ValidationError(
            _(
                "The frozen lists no longer match their hashes; the round's data was changed. Nothing was drawn."
            )
        )
    by_code = {c.producer_code: c for c in candidates}
    rows = [
        DrawSelection(
            round=rnd,
            candidate=by_code[s["code"]],
            producer_id=by_code[s["code"]].producer_id,
            stratum=s["stratum"],
            rank=s["rank"],
            position=i,
        )
        for i, s in enumerate(selections, start=1)
    ]
    DrawSelection.objects.bulk_create(rows, batch_size=2000)
    saved = {s.candidate_id: s for s in rnd.selections.all()}
    DrawAssignment.objects.bulk_create(
        [
            DrawAssignment(selection=saved[by_code[s["code"]].pk], inspector_id=uid, position=j)
            for s in selections
            for j, uid in enumerate(s["inspectors"], start=1)
        ],
        batch_size=2000,
    )
    rnd.seed = seed
    rnd.seed_escrow = ""
    rnd.beacon_value = beacon
    rnd.witness_entropy = entropy
    rnd.selection_hash = hashes["selection_hash"]
    rnd.drawn_at = timezone.now()
    rnd.save(
        update_fields=["seed", "seed_escrow", "beacon_value", "witness_entropy", "selection_hash", "drawn_at"]
    )
    return {
        "candidate_hash": rnd.candidate_hash,
        "inspector_hash": rnd.inspector_hash,
        "seed_commitment": rnd.seed_commitment,
        "seed": seed,
        "beacon_value": beacon,
        "entropy": entropy,
        "selection_hash": rnd.selection_hash,
        "selected": len(selections),
    }


def _publish_effect(actor, rnd, ctx) -> dict:
    rnd.published_at = timezone.now()
    rnd.save(update_fields=["published_at"])
    return {"selection_hash": rnd.selection_hash}


def _cancel_effect(actor, rnd, ctx) -> dict:
    """A cancelled round stays public: a seed committed but not yet drawn is revealed with the reason, so
    anyone can see what the draw would have been from it; a drawn round keeps its seed and selection."""
    result = {"reason": ctx["reason"].strip(), "seed_commitment": rnd.seed_commitment}
    if rnd.seed_escrow and not rnd.seed:
        rnd.seed = unseal_seed(rnd)
        rnd.seed_escrow = ""
        rnd.save(update_fields=["seed", "seed_escrow"])
    if rnd.seed:
        result["seed"] = rnd.seed
    if rnd.selection_hash:
        result["selection_hash"] = rnd.selection_hash
    return result


def _permission(actor, rnd) -> None:
    _require_manager(actor, rnd.region)


def _record_event(step) -> None:
    DrawRoundEvent.objects.create(
        round=step.obj,
        actor=step.actor,
        actor_repr=str(step.actor) if step.actor else "system",
        from_status=step.source,
        to_status=step.target,
        reason=step.obj.status_reason,
    )


def _ledger_entry(step, result: dict) -> dict:
    rnd = step.obj
    return {
        "ref": rnd.code,
        "payload": {"round": rnd.code, "status": step.target, **result},
        "region": rnd.region,
    }


S = RoundStatus
ROUND_WORKFLOW = Workflow(
    model=DrawRound,
    field="status",
    transitions=[
        Transition(
            "freeze",
            gettext_lazy("Freeze the candidate list"),
            (S.DRAFT,),
            S.CANDIDATES_FROZEN,
            guard=_freeze_guard,
            effect=_freeze_effect,
            ledger_kind="draw.candidates_frozen",
        ),
        Transition(
            "commit",
            gettext_lazy("Commit the seed"),
            (S.CANDIDATES_FROZEN,),
            S.SEED_COMMITTED,
            effect=_commit_effect,
            ledger_kind="draw.seed_committed",
        ),
        Transition(
            "draw",
            gettext_lazy("Reveal the seed and draw"),
            (S.SEED_COMMITTED,),
            S.DRAWN,
            guard=_draw_guard,
            effect=_draw_effect,
            ledger_kind="draw.drawn",
            confirm=gettext_lazy(
                "The seed is revealed and the selection fixed for good, with these witness values: it cannot be "
                "undone or drawn again."
            ),
        ),
        Transition(
            "publish",
            gettext_lazy("Publish"),
            (S.DRAWN,),
            S.PUBLISHED,
            effect=_publish_effect,
            ledger_kind="draw.published",
            confirm=gettext_lazy(
                "The selection, the seed and the witnesses become public for everyone: it cannot be withdrawn."
            ),
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel the round"),
            (S.DRAFT, S.CANDIDATES_FROZEN, S.SEED_COMMITTED, S.DRAWN),
            S.CANCELLED,
            needs_reason=True,
            reason_refusal=gettext_lazy("Give the reason for cancelling the round."),
            destructive=True,
            effect=_cancel_effect,
            ledger_kind="draw.cancelled",
        ),
    ],
    record_event=_record_event,
    ledger=_ledger_entry,
    permission=_permission,
    wrong_state=gettext_lazy("A round in the state “%(status)s” cannot do this."),
    reason_field="status_reason",
    audit_reason=lambda step: step.obj.status_reason or step.action,
    select_related=("region",),
)
# The transition table by name (kept for callers that read it).
TRANSITIONS = ROUND_WORKFLOW.transitions


def allowed_actions(rnd: DrawRound, user=None) -> list[str]:
    """The names of the steps the round can take now (for ``user``, when given: the page's buttons)."""
    if user is not None:
        return ROUND_WORKFLOW.available_names(user, rnd)
    return [name for name, t in TRANSITIONS.items() if rnd.status in t.sources]


def _apply(name: str, *, actor, rnd: DrawRound, **kw) -> DrawRound:
    return ROUND_WORKFLOW.run(actor=actor, obj=rnd, action=name, **kw)


def round_freeze(*, actor, rnd: DrawRound) -> DrawRound:
    """Freeze the candidate list, the inspector pool and the conflicts; publish their hashes."""
    return _apply("freeze", actor=actor, rnd=rnd)


def round_commit_seed(*, actor, rnd: DrawRound, seed: str = "", beacon_source: str = "") -> DrawRound:
    """Commit to a seed the server generates: publish SHA-256(seed) and keep the seed sealed until the draw.
    A seed given by the caller is refused (nobody chooses the seed)."""
    return _apply("commit", actor=actor, rnd=rnd, seed=seed, beacon_source=beacon_source)


def round_draw(*, actor, rnd: DrawRound, witnesses=(), beacon_value: str = "", seed: str = "") -> DrawRound:
    """Make the draw, no earlier than the minimum delay after the commitment: unseal the seed, combine it with
    the witness values the inspectors present enter now (``witnesses``: (inspector, value) pairs) and the public
    random value, and draw. ``seed`` only for rounds whose seed was entered before seeds were generated."""
    return _apply("draw", actor=actor, rnd=rnd, seed=seed, beacon_value=beacon_value, witnesses=witnesses)


def round_publish(*, actor, rnd: DrawRound) -> DrawRound:
    return _apply("publish", actor=actor, rnd=rnd)


def round_cancel(*, actor, rnd: DrawRound, reason: str) -> DrawRound:
    return _apply("cancel", actor=actor, rnd=rnd, reason=reason)
