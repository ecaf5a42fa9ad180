"""Versions of editable records: every edit is a compare-and-set, so no one silently reverts another's change.

An editable model inherits :class:`Versioned` and gets a ``version`` integer (1 at creation). Every save of an
existing row is ``UPDATE … SET …, version = <v + 1> WHERE pk = … AND version = <v>``, where ``v`` is the version
of the copy being saved: a copy read before someone else saved the row matches no row, and the save raises
:class:`StaleVersion` (a translated ``ValidationError``) inside the service's transaction, so nothing of it is
kept. On PostgreSQL the second of two racing UPDATEs waits for the first and then finds the version moved.

An update service takes the version the user started from, ``expected_version`` (the edit form's hidden field,
the API's ``If-Match`` header or the body's ``version``), and calls :func:`expect` before changing anything::

    def thing_update(*, actor, thing, expected_version=None, **data):
        with transaction.atomic():
            versions.expect(thing, expected_version)   # refuses a stale start at once
            before = audit.snapshot(thing)
            ...
            thing.save()                               # the compare-and-set
            audit.record_update(actor, thing, before)

The version is a concrete field, so each audit record of an update carries ``"version": [v, v + 1]``:
:func:`changes_since` reads the audit log to tell the refused user what changed after the version they opened
(field, value then, value now). Writers of many rows at once (``QuerySet.update``, ``bulk_update``) add
``version=F("version") + 1`` themselves (:func:`bump`); the workflow runner bumps the version of a versioned
record whose state it moves.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import AuditAction
from .models import AuditLog

__all__ = [
    "StaleVersion",
    "Versioned",
    "bump",
    "changes_since",
    "etag",
    "expect",
    "parse_etag",
]


class StaleVersion(ValidationError):
    """The record was saved by someone else after the version the user started from; nothing was saved."""

    def __init__(self, obj: models.Model, expected: int, current: int | None = None):
        self.obj = obj
        self.expected = int(expected)
        if current is None:
            current = type(obj)._base_manager.filter(pk=obj.pk).values_list("version", flat=True).first() or 0
        self.current = int(current)
        super().__init__(
            _(
                "This record has been changed by someone else since you opened it (you started from version "
                "%(yours)s, it is now version %(current)s); nothing was saved. Look at what changed and make "
                "your change again."
            )
            % {"yours": self.expected, "current": self.current},
            code="stale_version",
        )

    def changes(self) -> dict[str, dict[str, Any]]:
        """What changed after the version the user started from: ``{field: {"was": …, "now": …}}``."""
        return changes_since(self.obj, self.expected)

    def as_api(self) -> dict[str, Any]:
        """The body of the API's 412 answer."""
        return {
            "detail": self.messages[0],
            "code": "stale_version",
            "your_version": self.expected,
            "version": self.current,
            "changed": self.changes(),
        }


class Versioned(models.Model):
    """Inherit for an editable record: a ``version`` saved as a compare-and-set (see the module's docstring)."""

    version = models.PositiveIntegerField(
        gettext_lazy("version"),
        default=1,
        editable=False,
        help_text=gettext_lazy(
            "Goes up by one with every saved change; an edit from an older version is refused."
        ),
    )

    class Meta:
        abstract = True

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        field = self._meta.get_field("version")
        expected = self.version
        values = [v for v in values if v[0].attname != field.attname] + [(field, None, expected + 1)]
        updated = super()._do_update(
            base_qs.filter(version=expected), using, pk_val, values, update_fields, forced_update
        )
        if updated:
            self.version = expected + 1
            return True
        current = base_qs.filter(pk=pk_val).values_list("version", flat=True).first()
        if current is not None:
            raise StaleVersion(self, expected, current)
        return False


def expect(obj: Versioned, expected_version) -> None:
    """Refuse (:class:`StaleVersion`) when the user started from another version than ``obj``'s; ``None``
    (a client that sent none) checks nothing beyond the save's own compare-and-set. A version that is not a
    whole number is a field error on ``version``."""
    if expected_version is None or expected_version == "":
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("The version must be a whole number.")}) from None
    if expected != obj.version:
        raise StaleVersion(obj, expected, obj.version)
    obj.version = expected


def bump() -> dict[str, Any]:
    """The keyword for ``QuerySet.update(**…, **versions.bump())`` on a versioned model."""
    return {"version": models.F("version") + 1}


def etag(obj: Versioned) -> str:
    """The ``ETag`` of a record's current version: ``"<version>"``."""
    return f'"{obj.version}"'


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def parse_etag(header: str | None):
    """The version an ``If-Match`` header names: ``None`` when absent or ``*``; raises a ``ValidationError``
    on ``version`` when it is neither (nor a list: one record, one version)."""
    if header is None or header.strip() in ("", "*"):
        return None
    m = _ETAG.match(header)
    if not m:
        raise ValidationError({"version": _('Give If-Match as the ETag of the record, e.g. "3".')})
    return int(m.group(1))


def changes_since(obj: models.Model, version: int) -> dict[str, dict[str, Any]]:
    """The fields changed after ``version``, from the audit records of the updates that followed it: for each
    field its value at ``version`` (``was``) and now (``now``), oldest change first. ``version`` and derived
    fields the audit leaves out are not listed."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    entries = AuditLog.objects.filter(
        content_type=ct, object_id=str(obj.pk), action=AuditAction.UPDATE
    ).order_by("time", "id")
    out: dict[str, dict[str, Any]] = {}
    for entry in entries.values_list("changes", flat=True):
        step = (entry or {}).get("version")
        if not step or step[0] is None or int(step[0]) < int(version):
            continue
        for name, (was, now) in entry.items():
            if name == "version":
                continue
            if name in out:
                out[name]["now"] = now
            else:
                out[name] = {"was": was, "now": now}
    return {k: v for k, v in out.items() if v["was"] != v["now"]}
