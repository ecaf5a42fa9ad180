"""Rounds: created (and their inspector pool set) in draft."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.core.choices import RegionLevel

from ..choices import Purpose, Strata
from ..models import DrawRound, DrawRoundEvent, InspectorPoolMember
from ..numbering import DRAW_ROUND
from .candidates import clean_filter_spec
from .common import _require_manager

# Upper bounds that keep a round's numbers meaningful (and inside their database columns).
MAX_OBJECTS = 100_000
MAX_PER_OBJECT = 10


def _validate_numbers(count, ratio, per_object) -> None:
    errors = {}
    if (count is None) == (ratio is None):
        errors["count"] = _("Give either a number of objects or a ratio, not both.")
    if count is not None and int(count) < 1:
        errors["count"] = _("The number of objects must be at least 1.")
    elif count is not None and int(count) > MAX_OBJECTS:
        errors["count"] = _("The number of objects must be at most %(n)s.") % {"n": MAX_OBJECTS}
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
    elif int(per_object) > MAX_PER_OBJECT:
        errors["inspectors_per_object"] = _("At most %(n)s inspectors per object are allowed.") % {
            "n": MAX_PER_OBJECT
        }
    if errors:
        raise ValidationError(errors)


def _set_pool(rnd: DrawRound, inspectors) -> None:
    from ..selectors import eligible_inspectors

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
