"""Conflicts of interest an inspector declares (and withdraws) against a producer."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.core.scoping import can_manage, in_jurisdiction

from ..choices import ConflictKind
from ..models import InspectorConflict

if TYPE_CHECKING:
    from nongan.registry.models import Producer


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
