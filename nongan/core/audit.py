"""Change records for domain data. Every service that writes calls ``record_*`` inside its transaction."""

import datetime as dt
import decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from .choices import AuditAction
from .middleware import current_request_id
from .models import AuditLog


def _plain(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(obj: models.Model, m2m: bool = True) -> dict[str, Any]:
    """The object's concrete field values, for before/after comparison (FKs by display name).

    ``m2m=False`` skips many-to-many fields (one query each), for bulk writers that know them already."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in getattr(obj, "AUDIT_EXCLUDE", ()):  # derived search columns etc.
            continue
        if field.is_relation:
            related = getattr(obj, field.name, None) if getattr(obj, field.attname) is not None else None
            data[field.name] = str(related) if related is not None else None
        else:
            data[field.name] = _plain(getattr(obj, field.attname))
    for field in obj._meta.many_to_many if m2m else ():
        if obj.pk:
            data[field.name] = sorted(str(o) for o in getattr(obj, field.name).all())
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _write(actor, obj: models.Model, action: str, changes: dict, reason: str = "") -> AuditLog:
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=str(actor) if actor is not None else "system",
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
        reason=reason[:255],
        request_id=current_request_id(),
    )


def record_create(actor, obj: models.Model, reason: str = "") -> AuditLog:
    after = snapshot(obj)
    return _write(
        actor,
        obj,
        AuditAction.CREATE,
        {k: [None, v] for k, v in after.items() if v not in (None, "", [])},
        reason,
    )


def record_create_many(
    actor, objs: list[models.Model], reason: str = "", extra: list[dict] | None = None
) -> None:
    """One "create" entry per object, written in bulk, for bulk writers (imports, batch issue).

    Many-to-many fields are not read (one query per object); a writer that sets them passes their values
    in ``extra``, one dict per object ({field: value})."""
    if not objs:
        return
    ct = ContentType.objects.get_for_model(objs[0], for_concrete_model=True)
    user = actor if getattr(actor, "pk", None) else None
    actor_repr = str(actor) if actor is not None else "system"
    request_id = current_request_id()
    rows = []
    for i, obj in enumerate(objs):
        after = snapshot(obj, m2m=False)
        if extra is not None:
            after.update(extra[i])
        rows.append(
            AuditLog(
                actor=user,
                actor_repr=actor_repr,
                action=AuditAction.CREATE,
                content_type=ct,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes={k: [None, v] for k, v in after.items() if v not in (None, "", [])},
                reason=reason[:255],
                request_id=request_id,
            )
        )
    AuditLog.objects.bulk_create(rows, batch_size=1000)


def record_update(actor, obj: models.Model, before: dict[str, Any], reason: str = "") -> AuditLog | None:
    changes = diff(before, snapshot(obj))
    if not changes or set(changes) == {"version"}:  # a save that changed nothing but its version
        return None
    return _write(actor, obj, AuditAction.UPDATE, changes, reason)


def record_change(actor, obj: models.Model, changes: dict[str, list[Any]], reason: str = "") -> AuditLog:
    """An update whose changes the caller states, for what a snapshot does not show (a password changed:
    ``{"password": ["******", "changed"]}``, never the value)."""
    return _write(actor, obj, AuditAction.UPDATE, changes, reason)


def record_delete(actor, obj: models.Model, reason: str = "") -> AuditLog:
    before = snapshot(obj)
    return _write(
        actor,
        obj,
        AuditAction.DELETE,
        {k: [v, None] for k, v in before.items() if v not in (None, "", [])},
        reason,
    )


def history_for(obj: models.Model, related: list[models.Model] | None = None):
    """Audit entries of an object (and optionally of its children), newest first."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    q = models.Q(content_type=ct, object_id=str(obj.pk))
    return AuditLog.objects.filter(q).select_related("actor").order_by("-time", "-id")
