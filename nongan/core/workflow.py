"""The one workflow runner: states and transitions as data, one way to move a record between states.

A *workflow* is a model's state field plus a table of :class:`Transition` rows (name, label, sources, target,
who may, whether a reason is needed, a guard, an effect, an optional ledger kind). :meth:`Workflow.run` is
the only code that writes the state field of a record after its creation; :meth:`Workflow.available` lists
what a user may do with a record now and drives the buttons of every page and the actions of the API.

``Workflow.run(actor=…, obj=…, action=…, reason=…, **ctx)`` does, inside one transaction:

1. lock the row (``select_for_update``) and read it again;
2. ``permission(actor, obj)`` of the workflow, if it has one (e.g. "a district administrator of this
   jurisdiction");
3. refuse, with a translated ``ValidationError`` and nothing changed, when the record is not in one of the
   transition's source states, when the actor's role is not in ``roles``, when ``needs_reason`` and the
   reason is blank (a field error on ``reason``), or when ``guard(actor, obj, ctx)`` raises;
4. save the state field (and the workflow's ``reason_field``, if it has one) as a compare-and-set: an
   ``UPDATE … WHERE state = <the state checked>``, so two racing steps never both happen, even on SQLite;
5. write the event row (``record_event(step)``; by default a :class:`nongan.core.models.WorkflowEvent`);
6. run ``effect(actor, obj, ctx)`` in the same transaction — it saves what it changes and may return a dict;
7. write the audit record (every field before → after, with the reason);
8. if the transition has a ``ledger_kind``, append a ledger entry whose reference, payload and region the
   workflow's ``ledger(step, effect_result)`` gives.

Any refusal or exception rolls the whole step back. ``ctx`` (the caller's extra keyword arguments plus
``reason``) reaches the guard and the effect unchanged.

``Workflow.try_run(…, where={…}, skip_locked=True)`` is the same step for workers that race each other (the
import pipeline's jobs): it returns ``None`` and changes nothing when the record is in another state, does not
match ``where`` (e.g. ``{"worker": token}``) or is locked by another transaction, instead of refusing or waiting.

**Nothing else writes a state field.** A model with a workflow inherits :class:`WorkflowModel` and names
its field in ``STATE_FIELD``: ``save()`` refuses a changed state (:class:`StateWriteError`) and never writes
the stored state back from a stale copy, and its querysets refuse ``update()`` / ``bulk_update()`` /
upserting ``bulk_create()`` of the state field. Creation sets the initial state freely.
``tests/test_workflows.py`` walks every registered workflow and proves its model is guarded, and that every
model with a ``state`` / ``status`` field either has a workflow or is listed with the reason why not.

Adding a workflow to a new app (see docs/architecture.md, "Workflows"): make the model inherit
``WorkflowModel`` with ``STATE_FIELD``; in the app's services, declare ``Transition`` rows and one
``Workflow(model=…, field=…, transitions=[…])`` at module level; write one service per action that calls
``WORKFLOW.run(...)``; in views and templates, list ``WORKFLOW.available(user, obj)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from .states import (  # re-exported: the state guard lives in states.py (core.models uses it)
    _LOADED,
    StateWriteError,
    WorkflowManager,
    WorkflowModel,
    WorkflowQuerySet,
    unguarded_state_writes,
)
from .versions import Versioned

__all__ = [
    "StateWriteError",
    "Step",
    "Transition",
    "Workflow",
    "WorkflowManager",
    "events_for",
    "WorkflowModel",
    "WorkflowQuerySet",
    "has_role",
    "registered_workflows",
    "unguarded_state_writes",
    "workflow_for",
]


def has_role(user, roles: Iterable[str] | None) -> bool:
    """True when ``roles`` is None (no restriction) or the user is a superuser or has one of them."""
    if roles is None:
        return True
    return bool(
        user is not None and (getattr(user, "is_superuser", False) or getattr(user, "role", None) in roles)
    )


# ------------------------------------------------------------------------------------------ the data
@dataclass(frozen=True)
class Transition:
    """One row of a state table.

    ``guard(actor, obj, ctx)`` raises a ``ValidationError`` (a translated refusal) when the step may not
    happen; ``effect(actor, obj, ctx)`` runs after the state is saved and the event row written, in the same
    transaction; it saves what it changes and may return a dict (the ledger payload's extra keys, for
    example). ``ctx`` is the caller's keyword arguments plus ``reason``.

    ``internal`` transitions are the consequence of another service (a sample cancelled cancels its task):
    never offered as a button, and their role check is the calling service's. ``refusal``,
    ``role_refusal`` and ``reason_refusal`` replace the workflow's standard messages for this transition
    (``%(state)s`` is the current state's label). ``destructive`` marks a button as a danger button.
    ``confirm`` (a translated text saying what cannot be undone) marks an irreversible step: pages ask for a
    confirmation before running it (``nongan.core.views.confirmation_needed``); services do not ask.
    """

    name: str
    label: Any
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str] | None = None
    needs_reason: bool = False
    guard: Callable[[Any, Any, dict], None] | None = None
    effect: Callable[[Any, Any, dict], dict | None] | None = None
    ledger_kind: str | None = None
    internal: bool = False
    destructive: bool = False
    refusal: Any = None
    role_refusal: Any = None
    reason_refusal: Any = None
    confirm: Any = None

    def __post_init__(self):
        if isinstance(self.sources, str):
            raise ImproperlyConfigured(
                f"Transition {self.name!r}: sources is a tuple of states, not a string."
            )
        object.__setattr__(self, "sources", tuple(self.sources))
        if self.roles is not None:
            object.__setattr__(self, "roles", frozenset(self.roles))


@dataclass
class Step:
    """One run of a transition, as the event writer and the ledger see it."""

    workflow: Workflow
    transition: Transition
    actor: Any
    obj: models.Model
    source: str
    target: str
    reason: str
    ctx: dict = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.transition.name


_REGISTRY: dict[type[models.Model], Workflow] = {}


def registered_workflows() -> list[Workflow]:
    """Every workflow declared so far (each app's services declare theirs at import)."""
    return list(_REGISTRY.values())


def workflow_for(model: type[models.Model]) -> Workflow | None:
    return _REGISTRY.get(model._meta.concrete_model) or _REGISTRY.get(model)


def _default_event(step: Step) -> None:
    from django.contrib.contenttypes.models import ContentType

    from .models import WorkflowEvent

    actor = step.actor
    WorkflowEvent.objects.create(
        content_type=ContentType.objects.get_for_model(step.obj, for_concrete_model=True),
        object_id=str(step.obj.pk),
        action=step.action,
        from_state=step.source or "",
        to_state=step.target,
        reason=(step.reason or "")[:255],
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=str(actor) if actor is not None else "system",
    )


def events_for(obj):
    """The core ``WorkflowEvent`` rows of ``obj`` (records whose app has no event table), oldest first."""
    from django.contrib.contenttypes.models import ContentType

    from .models import WorkflowEvent

    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return WorkflowEvent.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")


class Workflow:
    """A model's state table and its runner. Declare one per state field, at module level of the app's
    services (declaring registers it; ``register=False`` is for tests).

    ``record_event(step)`` writes the event row in the app's own event table (default: a core
    ``WorkflowEvent``); ``ledger(step, effect_result)`` returns ``{"ref", "payload", "region"}`` (and optionally
    ``"records"``: other records the step changed, whose digests the entry carries too) for
    transitions with a ``ledger_kind``; ``permission(actor, obj)`` raises a ``ValidationError`` when the actor
    may not act on this record at all (checked first, and by ``available``); ``wrong_state`` is the refusal
    for a record in another state (``%(state)s`` is its label); ``reason_field`` stores the reason of each step
    on the record; ``audit_reason(step)`` is the reason written to the audit record (default: the reason);
    ``select_related`` is applied to the locking query.
    """

    def __init__(
        self,
        *,
        model: type[models.Model],
        field: str = "state",
        transitions: Iterable[Transition],
        record_event: Callable[[Step], Any] | None = None,
        ledger: Callable[[Step, dict], dict] | None = None,
        permission: Callable[[Any, Any], None] | None = None,
        wrong_state: Any = None,
        reason_field: str | None = None,
        audit_reason: Callable[[Step], str] | None = None,
        select_related: tuple[str, ...] = (),
        register: bool = True,
    ):
        self.model = model
        self.field = field
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ImproperlyConfigured(f"{model.__name__}: two transitions are named {t.name!r}.")
            self.transitions[t.name] = t
        self.record_event = record_event or _default_event
        self.ledger = ledger
        self.permission = permission
        self.wrong_state = wrong_state
        self.reason_field = reason_field
        self.audit_reason = audit_reason
        self.select_related = tuple(select_related)
        self._check()
        if register:
            if model in _REGISTRY:
                raise ImproperlyConfigured(f"{model._meta.label} already has a workflow.")
            _REGISTRY[model] = self

    def __repr__(self) -> str:
        return f"<Workflow {self.model._meta.label}.{self.field}: {', '.join(self.transitions)}>"

    def _check(self) -> None:
        label = self.model._meta.label
        if not (isinstance(self.model, type) and issubclass(self.model, WorkflowModel)):
            raise ImproperlyConfigured(
                f"{label} has a workflow: it must inherit nongan.core.workflow.WorkflowModel."
            )
        if self.model.STATE_FIELD != self.field:
            raise ImproperlyConfigured(
                f"{label}.STATE_FIELD is {self.model.STATE_FIELD!r}, but its workflow runs {self.field!r}."
            )
        f = self.model._meta.get_field(self.field)
        states = {str(v) for v, _label in f.flatchoices} if f.choices else None
        for t in self.transitions.values():
            if states is not None:
                unknown = [s for s in (*t.sources, t.target) if str(s) not in states]
                if unknown:
                    raise ImproperlyConfigured(f"{label} transition {t.name!r}: unknown state(s) {unknown}.")
            if t.ledger_kind and self.ledger is None:
                raise ImproperlyConfigured(
                    f"{label} transition {t.name!r} has a ledger kind but no ledger(step)."
                )
        if self.reason_field:
            self.model._meta.get_field(self.reason_field)

    # ------------------------------------------------------------------ reading
    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def __contains__(self, name: str) -> bool:
        return name in self.transitions

    @property
    def names(self) -> list[str]:
        return list(self.transitions)

    def labels(self) -> dict[str, Any]:
        return {name: t.label for name, t in self.transitions.items()}

    def state_label(self, value: str) -> str:
        f = self.model._meta.get_field(self.field)
        return str(dict(f.flatchoices).get(value, value))

    def state_of(self, obj) -> str:
        return getattr(obj, self.model._meta.get_field(self.field).attname)

    def available(self, user, obj) -> list[Transition]:
        """What ``user`` may do with ``obj`` now (state, role and the workflow's permission; guards are
        checked when the action is run). Internal transitions are never offered."""
        state = self.state_of(obj)
        found = [
            t
            for t in self.transitions.values()
            if not t.internal and state in t.sources and has_role(user, t.roles)
        ]
        if found and self.permission is not None:
            try:
                self.permission(user, obj)
            except ValidationError:
                return []
        return found

    def available_names(self, user, obj) -> list[str]:
        return [t.name for t in self.available(user, obj)]

    # ------------------------------------------------------------------ the runner
    def get(self, action: str) -> Transition:
        t = self.transitions.get(action)
        if t is None:
            raise ValidationError(_("Unknown action “%(action)s”.") % {"action": action})
        return t

    def check(self, *, actor, obj, transition: Transition, reason: str = "", ctx: dict | None = None) -> None:
        """The refusals of :meth:`run`, in its order, without changing anything (``obj`` as it is)."""
        if self.permission is not None:
            self.permission(actor, obj)
        state = self.state_of(obj)
        if state not in transition.sources:
            message = (
                transition.refusal or self.wrong_state or _("This cannot be done in the state “%(state)s”.")
            )
            label = self.state_label(state)
            raise ValidationError(str(message) % {"state": label, "status": label})
        if not transition.internal and not has_role(actor, transition.roles):
            raise ValidationError(str(transition.role_refusal or _("Your role may not do this.")))
        if transition.needs_reason and not (reason or "").strip():
            raise ValidationError({"reason": str(transition.reason_refusal or _("Give a reason."))})
        if transition.guard is not None:
            transition.guard(actor, obj, ctx if ctx is not None else {"reason": reason})

    def run(self, *, actor, obj, action: str, reason: str = "", **ctx):
        """Move ``obj`` by ``action``; returns the record as saved (``obj`` gets its new state too).
        Refuses with a ``ValidationError`` and changes nothing when the step may not happen."""
        return self._run(actor, obj, action, reason, ctx)

    def try_run(
        self,
        *,
        actor,
        obj,
        action: str,
        reason: str = "",
        where: dict | None = None,
        skip_locked: bool = False,
        **ctx,
    ):
        """:meth:`run` for workers that race each other (background jobs): returns ``None`` and changes nothing
        when the record is not in a source state of ``action``, does not match ``where`` (more field
        conditions, e.g. ``{"worker": token}``), or — with ``skip_locked`` — is locked by another
        transaction (it does not wait). The other refusals (permission, role, reason, guard) raise as in
        :meth:`run`."""
        return self._run(
            actor, obj, action, reason, ctx, where=where or {}, skip_locked=skip_locked, quiet=True
        )

    def _run(self, actor, obj, action, reason, ctx, *, where=None, skip_locked=False, quiet=False):
        from . import audit, ledger

        t = self.get(action)
        reason = reason or ""
        ctx = {**ctx, "reason": reason}
        attname = self.model._meta.get_field(self.field).attname
        manager = self.model._default_manager
        with transaction.atomic():
            qs = manager.select_for_update(skip_locked=skip_locked)
            if self.select_related:
                qs = qs.select_related(*self.select_related)
            if quiet:
                locked = qs.filter(pk=obj.pk, **where).first()
                if locked is None or self.state_of(locked) not in t.sources:
                    return None
            else:
                locked = qs.get(pk=obj.pk)
            self.check(actor=actor, obj=locked, transition=t, reason=reason, ctx=ctx)
            before = audit.snapshot(locked)
            source = self.state_of(locked)
            step = Step(self, t, actor, locked, source, t.target, reason, ctx)
            values = {attname: t.target}
            if self.reason_field:
                values[self.reason_field] = reason.strip()[:255]
            # A versioned record's version moves with its state: an edit form opened before the step is stale.
            version = getattr(locked, "version", None) if _is_versioned(self.model) else None
            if version is not None:
                values["version"] = version + 1
            # Compare and set: the row must still be in the state just checked (row locks make this certain on
            # PostgreSQL; on SQLite, which has none, it is what keeps two racing steps from both happening).
            cas = {attname: source, **({"version": version} if version is not None else {})}
            moved = models.QuerySet.update(manager.filter(pk=locked.pk, **cas, **(where or {})), **values)
            if moved != 1:
                if quiet:
                    return None
                now = manager.filter(pk=locked.pk).values_list(attname, flat=True).first()
                setattr(locked, attname, now)
                self.check(actor=actor, obj=locked, transition=t, reason=reason, ctx=ctx)
                raise ValidationError(
                    _("This cannot be done in the state “%(state)s”.") % {"state": self.state_label(now)}
                )
            for name, value in values.items():
                setattr(locked, name, value)
            locked.__dict__[_LOADED] = t.target
            self.record_event(step)
            result = t.effect(actor, locked, ctx) if t.effect is not None else None
            audit.record_update(
                actor, locked, before, reason=self.audit_reason(step) if self.audit_reason else reason
            )
            if t.ledger_kind:
                entry = dict(self.ledger(step, result or {}))
                # the record as saved (its evidentiary content's digest goes into the entry), and the other
                # records the step changed (``records`` in what ``ledger(step)`` returns)
                records = [manager.get(pk=locked.pk)] if ledger.has_record_content(locked) else []
                records += list(entry.pop("records", ()))
                ledger.append(kind=t.ledger_kind, actor=actor, records=records, **entry)
        if obj is not locked:
            # The caller's copy follows (its stored state is the new one now, so saving it writes no state); its
            # version follows only when it was the stored one (a stale copy stays stale).
            if version is not None and getattr(obj, "version", None) == version:
                obj.version = locked.version
            setattr(obj, attname, t.target)
            obj.__dict__[_LOADED] = t.target
            if self.reason_field:
                setattr(obj, self.reason_field, getattr(locked, self.reason_field))
        return locked


def _is_versioned(model) -> bool:
    return issubclass(model, Versioned)
