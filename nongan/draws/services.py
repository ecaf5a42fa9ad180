"""Every write of the draws app: rounds and their state machine, and declared conflicts.

The round moves draft → candidates_frozen → seed_committed → drawn → published (or cancelled with a reason).
Each step is one ``Transition`` of ``ROUND_WORKFLOW`` (nongan.core.workflow) with a guard and an effect; the
runner writes the round's event row, an audit record and (for freeze, commit, draw, publish, cancel) a ledger
entry with the hashes. ``ROUND_WORKFLOW.available(user, rnd)`` is what the round's page offers.

Public interface (writes take ``actor``, audited, ledgered where the runner says so): ``round_create``,
``round_freeze``, ``round_commit_seed``, ``round_draw``, ``round_publish``, ``round_cancel`` (each a step of
``ROUND_WORKFLOW``; ``allowed_actions`` drives the buttons), ``conflict_declare``, ``conflict_withdraw``;
helpers for forms and the public page: ``parameters``, ``clean_filter_spec``, ``candidate_queryset``,
``clean_witnesses``, ``earliest_draw``, ``min_delay``, ``public_name``, ``published_kind``, ``ratio_text``,
``seal_seed`` / ``unseal_seed``. Number series: ``nongan.draws.numbering`` (``DRAW_ROUND``)."""

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import audit, sealing
from nongan.core.choices import RegionLevel
from nongan.core.scoping import can_manage, in_jurisdiction
from nongan.core.validators import public_producer_name
from nongan.core.workflow import Transition, Workflow
from nongan.registry import selectors as registry
from nongan.registry.choices import ProducerStatus, ProducerType

from . import algorithm
from .choices import ConflictKind, ExclusionSource, Purpose, RoundStatus, SeedSource, Strata
from .models import (
    DrawAssignment,
    DrawCandidate,
    DrawExclusion,
    DrawRound,
    DrawRoundEvent,
    DrawSelection,
    InspectorConflict,
    InspectorPoolMember,
)
from .numbering import DRAW_ROUND

if TYPE_CHECKING:
    from nongan.registry.models import Producer

FILTER_KEYS = ("township", "village", "types", "tiers", "category", "is_scale")
# The one kind a published exclusion carries (回避): a round's public data names no relationship between an
# inspector and a producer (rounds with ``recusals_as_one_kind``; older ones keep the kinds they were hashed with).
RECUSAL = "recusal"
NO_CATEGORY = "none"


# ---------------------------------------------------------------- helpers
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


def _choice_list(value, allowed) -> list[str] | None:
    """The sorted distinct values of a list of choices; None when it is not a list of allowed strings."""
    if not value:
        return []
    if not isinstance(value, (list, tuple)) or any(not isinstance(v, str) or v not in allowed for v in value):
        return None
    return sorted(set(value))


def clean_filter_spec(spec: dict, region) -> dict:
    """Validate a registry filter and return it in canonical form (unknown keys and empty values dropped)."""
    from nongan.core.models import Region

    if not isinstance(spec or {}, dict):
        raise ValidationError({"filter_spec": _("The filter is a set of conditions (an object).")})
    spec = dict(spec or {})
    unknown = sorted(str(k) for k in set(spec) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError({"filter_spec": _("Unknown filter: %(keys)s.") % {"keys": ", ".join(unknown)}})
    out: dict = {}
    for key, level in (("township", RegionLevel.TOWNSHIP), ("village", RegionLevel.VILLAGE)):
        code = spec.get(key)
        if code:
            # A NUL cannot even be looked up in PostgreSQL.
            r = None if "\x00" in str(code) else Region.objects.filter(code=code, level=level).first()
            if r is None or not r.path.startswith(region.path):
                raise ValidationError({key: _("This region is not inside the round's jurisdiction.")})
            out[key] = code
    if out.get("township") and out.get("village"):
        village = Region.objects.get(code=out["village"])
        if village.parent.code != out["township"]:
            raise ValidationError({"village": _("This village is not in the chosen township.")})
    types = _choice_list(spec.get("types"), ProducerType.values)
    if types is None:
        raise ValidationError({"types": _("Unknown producer type.")})
    if types:
        out["types"] = types
    tiers = _choice_list(spec.get("tiers"), ("A", "B", "C"))
    if tiers is None:
        raise ValidationError({"tiers": _("Unknown supervision tier.")})
    if tiers:
        out["tiers"] = tiers
    if spec.get("category"):
        if (
            "\x00" in str(spec["category"])
            or not registry.categories().filter(code=spec["category"]).exists()
        ):
            raise ValidationError({"category": _("Unknown product category.")})
        out["category"] = spec["category"]
    if spec.get("is_scale") is not None and spec.get("is_scale") != "":
        out["is_scale"] = bool(spec["is_scale"])
    return out


def candidate_queryset(rnd: DrawRound):
    """Active producers inside the round's jurisdiction that pass its registry filter."""
    from nongan.core.models import Region

    spec = rnd.filter_spec or {}
    qs = registry.producers_in_region(rnd.region).filter(status=ProducerStatus.ACTIVE)
    for key in ("township", "village"):
        if spec.get(key):
            qs = qs.filter(region__path__startswith=Region.objects.get(code=spec[key]).path)
    if spec.get("types"):
        qs = qs.filter(type__in=spec["types"])
    if spec.get("tiers"):
        qs = qs.filter(tier__in=spec["tiers"])
    if spec.get("is_scale") is not None:
        qs = qs.filter(is_scale=spec["is_scale"])
    if spec.get("category"):
        qs = qs & registry.producers_growing(registry.categories().get(code=spec["category"]))
    return qs


def _strata_for(rnd: DrawRound, producers: "list[Producer]") -> dict[int, tuple[str, str]]:
    """{producer id: (stratum key, stratum label)} according to the round's strata."""
    if rnd.strata == Strata.TOWNSHIP:
        out = {}
        for p in producers:
            town = p.region if p.region.level == RegionLevel.TOWNSHIP else p.region.parent
            out[p.pk] = (town.code, town.name)
        return out
    if rnd.strata == Strata.TYPE:
        return {p.pk: (p.type, str(ProducerType(p.type).label)) for p in producers}
    if rnd.strata == Strata.CATEGORY:
        roots = {c.code: c.name for c in registry.categories().filter(depth=0)}
        best: dict[int, tuple] = {}
        lines = registry.product_lines_of([p.pk for p in producers]).values_list(
            "producer_id", "category__path", "annual_output"
        )
        for pid, path, output in lines:
            key = (-(output or 0), path)
            if pid not in best or key < best[pid]:
                best[pid] = key
        out = {}
        for p in producers:
            if p.pk in best:
                root = best[p.pk][1].strip("/").split("/")[0]
                out[p.pk] = (root, roots.get(root, root))
            else:
                out[p.pk] = (NO_CATEGORY, _("No product registered"))
        return out
    return {p.pk: ("", "") for p in producers}


# ---------------------------------------------------------------- rounds: create and edit in draft
def _validate_numbers(count, ratio, per_object) -> None:
    errors = {}
    if (count is None) == (ratio is None):
        errors["count"] = _("Give either a number of objects or a ratio, not both.")
    if count is not None and int(count) < 1:
        errors["count"] = _("The number of objects must be at least 1.")
    if ratio is not None:
        try:
            ok = (
                Decimal(0) < Decimal(str(ratio)) <= Decimal(1)
                and Decimal(str(ratio)).as_tuple().exponent >= -4
            )
        except (InvalidOperation, ValueError):
            ok = False
        if not ok:
            errors["ratio"] = _("The ratio must be greater than 0 and at most 1 (e.g. 0.05 for 5%).")
    if per_object is None or int(per_object) < 2:
        errors["inspectors_per_object"] = _("At least 2 inspectors per object are required.")
    if errors:
        raise ValidationError(errors)


def _set_pool(rnd: DrawRound, inspectors) -> None:
    from .selectors import eligible_inspectors

    allowed = set(eligible_inspectors(rnd.region, rnd.purpose).values_list("pk", flat=True))
    users = list(inspectors)
    bad = [str(u) for u in users if u.pk not in allowed]
    if bad:
        raise ValidationError(
            {
                "inspectors": _(
                    "Not eligible for the inspector pool of this round (outside the jurisdiction, or a role that "
                    "this purpose does not use: a sampling round draws samplers and enforcement officers): %(names)s."
                )
                % {"names": "、".join(bad)}
            }
        )
    if len({u.pk for u in users}) < rnd.inspectors_per_object:
        raise ValidationError(
            {
                "inspectors": _("The pool needs at least %(n)d inspectors (the number drawn per object).")
                % {"n": rnd.inspectors_per_object}
            }
        )
    rnd.pool.all().delete()
    InspectorPoolMember.objects.bulk_create(
        [
            InspectorPoolMember(round=rnd, user=u, name=u.full_name or u.username)
            for u in {u.pk: u for u in users}.values()
        ]
    )


@transaction.atomic
def round_create(
    *,
    actor,
    title: str,
    region,
    year: int,
    inspectors,
    purpose: str = Purpose.SAMPLING,
    filter_spec: dict | None = None,
    count: int | None = None,
    ratio=None,
    strata: str = Strata.NONE,
    inspectors_per_object: int = 2,
) -> DrawRound:
    """Create a round in draft. Validation errors change nothing."""
    _require_manager(actor, region)
    if region.level not in (
        RegionLevel.DISTRICT,
        RegionLevel.TOWNSHIP,
        RegionLevel.CITY,
        RegionLevel.PROVINCE,
    ):
        raise ValidationError({"region": _("A round covers a district or a township.")})
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    if strata not in Strata.values:
        raise ValidationError({"strata": _("Unknown strata.")})
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the round a title.")})
    _validate_numbers(count, ratio, inspectors_per_object)
    spec = clean_filter_spec(filter_spec or {}, region)
    rnd = DrawRound(
        code=DRAW_ROUND.next(year=year),
        title=title.strip(),
        purpose=purpose,
        year=year,
        region=region,
        created_by=actor,
        filter_spec=spec,
        count=count,
        ratio=Decimal(str(ratio)) if ratio is not None else None,
        strata=strata,
        inspectors_per_object=int(inspectors_per_object),
    )
    rnd.save()
    _set_pool(rnd, inspectors)
    DrawRoundEvent.objects.create(
        round=rnd,
        actor=actor,
        actor_repr=str(actor) if actor else "system",
        from_status="",
        to_status=rnd.status,
    )
    audit.record_create(actor, rnd)
    return rnd


# ---------------------------------------------------------------- the state machine
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
        ),
        Transition(
            "publish",
            gettext_lazy("Publish"),
            (S.DRAWN,),
            S.PUBLISHED,
            effect=_publish_effect,
            ledger_kind="draw.published",
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


# ---------------------------------------------------------------- conflicts
@transaction.atomic
def conflict_declare(*, actor, inspector, producer: "Producer", kind: str, reason: str) -> InspectorConflict:
    """Declare that ``inspector`` must not check ``producer``. Inspectors declare their own; administrators anyone's."""
    if actor is not None:
        if actor.pk != inspector.pk and not can_manage(actor):
            raise ValidationError(_("You may declare only your own conflicts."))
        if not in_jurisdiction(actor, producer.region) and not in_jurisdiction(inspector, producer.region):
            raise ValidationError({"producer": _("This producer is outside your jurisdiction.")})
    if kind not in ConflictKind.values:
        raise ValidationError({"kind": _("Unknown kind of conflict.")})
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": _("Give the reason for the conflict (e.g. who is related to whom).")}
        )
    if InspectorConflict.objects.filter(
        inspector=inspector, producer=producer, kind=kind, withdrawn_at__isnull=True
    ).exists():
        raise ValidationError(_("This conflict is already declared."))
    c = InspectorConflict.objects.create(
        inspector=inspector, producer=producer, kind=kind, reason=reason.strip()[:255], declared_by=actor
    )
    audit.record_create(actor, c)
    return c


@transaction.atomic
def conflict_withdraw(*, actor, conflict: InspectorConflict, reason: str) -> InspectorConflict:
    if actor is not None and actor.pk != conflict.inspector_id and not can_manage(actor):
        raise ValidationError(_("You may withdraw only your own conflicts."))
    if conflict.withdrawn_at is not None:
        raise ValidationError(_("This conflict was already withdrawn."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for withdrawing.")})
    before = audit.snapshot(conflict)
    conflict.withdrawn_at = timezone.now()
    conflict.withdraw_reason = reason.strip()[:255]
    conflict.save(update_fields=["withdrawn_at", "withdraw_reason"])
    audit.record_update(actor, conflict, before, reason=reason)
    return conflict
