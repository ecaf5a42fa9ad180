"""Batch actions on a list: the rows ticked on a page, each run through the same service as alone.

A list page puts a checkbox ``ids`` on each row it offers the action for (``form="<the batch form's id>"``,
so the boxes may sit in a table full of other forms; ``data-tick-all="<form id>"`` on a header box ticks
them all) and one form that posts them with the action, ``{% idempotency_field %}`` and the list's query
(``query``, to come back to the same filters). Its view:

    ids = batch.ids_from(request)                      # refused: none, not numbers, more than LIMIT
    found = selectors.samples_for(request.user).in_bulk(ids)   # the user's scope only
    done, refused = batch.run_each(ids, found, lambda s: services.sample_transition(...), lambda s: s.code)
    batch.report(request, _("Received %(n)d.") % {"n": len(done)}, done, refused)

Each record runs in its own savepoint: a refusal (the service's ``ValidationError``, as on the record's own
page) leaves that record as it was and undoes none of the others; the checks, event rows, audit and ledger
entries are those of the service, one record at a time. An id outside the user's scope is refused as "not
found", without saying whether it exists. The message names each record not done with its reason."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

LIMIT = 200  # rows ticked at once (one page of a list holds 50)


def ids_from(request, limit: int = LIMIT) -> list[int]:
    """The row ids ticked, in order, once each; a ``ValidationError`` when none, not numbers or too many."""
    ids: list[int] = []
    for raw in request.POST.getlist("ids"):
        try:
            pk = int(raw)
        except ValueError:
            raise ValidationError(_("The selection is not valid; tick the rows again.")) from None
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise ValidationError(_("Tick at least one row."))
    if len(ids) > limit:
        raise ValidationError(
            _("At most %(limit)d rows at once; %(n)d were ticked.") % {"limit": limit, "n": len(ids)}
        )
    return ids


def each(keys, found: dict, work):
    """``work(record)`` for each key in ``found`` (the records of the user's scope), each in its own
    savepoint, in the order of ``keys``; yields ``(key, record, result, error)``: ``record`` ``None`` when the
    key is not in ``found``; ``error`` the refusal (the service's ``ValidationError``, or ``PermissionDenied``)
    when the work was refused and undone, else ``None``."""
    for key in keys:
        obj = found.get(key)
        if obj is None:
            yield key, None, None, None
            continue
        try:
            with transaction.atomic():
                result = work(obj)
        except (ValidationError, PermissionDenied) as e:
            yield key, obj, None, e
        else:
            yield key, obj, result, None


def reason_of(error) -> str:
    """The text of a refusal: a ``ValidationError``'s messages, or a ``PermissionDenied``'s."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("Your role may not do this.")


def run_each(ids, found: dict, work, name) -> tuple[list, list[str]]:
    """``work(record)`` for each id in ``found`` (the records of the user's scope), each in its own
    savepoint; returns the records done and a line per id not done (its ``name(record)`` and the reason)."""
    done, refused = [], []
    for pk, obj, _result, error in each(ids, found, work):
        if obj is None:
            refused.append(_("No. %(id)s: not found in your jurisdiction") % {"id": pk})
        elif error is not None:
            refused.append(_("%(name)s: %(reason)s") % {"name": name(obj), "reason": reason_of(error)})
        else:
            done.append(obj)
    return done, refused


def given_twice(keys) -> list:
    """The keys given more than once (each named once, in the order they repeat): an API batch refuses them."""
    seen, twice = set(), []
    for key in keys:
        if key in seen and key not in twice:
            twice.append(key)
        seen.add(key)
    return twice


def answer(keys, found: dict, work, *, key: str, outcome) -> dict:
    """The body of an API batch answer: ``work(record)`` for each key as ``each`` runs it, and
    ``{"done", "refused", "items"}`` with one item per key in the request's order — ``{key: …, "ok": True,
    **outcome(result)}``, or ``{key: …, "ok": False, "error": …}`` when the key is not in the caller's scope
    ("not found", whether or not it exists) or the work was refused."""
    items = []
    for k, obj, result, error in each(keys, found, work):
        if obj is None:
            items.append({key: k, "ok": False, "error": _("Not found in your jurisdiction.")})
        elif error is not None:
            items.append({key: k, "ok": False, "error": reason_of(error)})
        else:
            items.append({key: k, "ok": True, **outcome(result)})
    done = sum(1 for item in items if item["ok"])
    return {"done": done, "refused": len(items) - done, "items": items}


def report(request, done_text: str, done: list, refused: list[str]) -> None:
    """One message: what was done, then each record not done with its reason (a warning when some were
    done, an error when none was)."""
    if not refused:
        messages.success(request, done_text)
        return
    text = _("%(done)s; %(n)d not done: %(items)s") % {
        "done": done_text,
        "n": len(refused),
        "items": _("; ").join(refused),
    }
    (messages.warning if done else messages.error)(request, text)
