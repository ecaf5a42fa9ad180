"""The guard on state fields: a model whose state is moved only by its workflow (``nongan.core.workflow``).

Kept apart from the runner so that ``nongan.core.models`` can declare a guarded model (the import job) without
a circle: the runner reads core models, this module reads none. ``nongan.core.workflow`` re-exports every name.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.db import models


class StateWriteError(RuntimeError):
    """A state field was written outside :meth:`Workflow.run`: a programming error, never a user's."""


_unguarded: contextvars.ContextVar[bool] = contextvars.ContextVar("nongan_workflow_unguarded", default=False)
_LOADED = "_workflow_loaded_state"
_MISSING = object()


@contextlib.contextmanager
def unguarded_state_writes():
    """Let code write state fields directly: for test fixtures that need a record in a given state, and
    data repairs run by hand. Never used by the platform's own code (``tests/test_workflows.py`` checks)."""
    token = _unguarded.set(True)
    try:
        yield
    finally:
        _unguarded.reset(token)


# ------------------------------------------------------------------------------------------ enforcement
def _refuse(model, how: str):
    raise StateWriteError(
        f"{model._meta.label}.{model.STATE_FIELD} is changed only by its workflow "
        f"(nongan.core.workflow.Workflow.run), not by {how}; call the app's service."
    )


class WorkflowQuerySet(models.QuerySet):
    """Refuses to write the state field in bulk: ``update()``, ``bulk_update()`` and upserts."""

    def _touches_state(self, names) -> bool:
        f = self.model._meta.get_field(self.model.STATE_FIELD)
        return any(n in (f.name, f.attname) for n in names)

    def update(self, **kwargs):
        if self._touches_state(kwargs) and not _unguarded.get():
            _refuse(self.model, "QuerySet.update()")
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        if self._touches_state(fields) and not _unguarded.get():
            _refuse(self.model, "bulk_update()")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts") and self._touches_state(kwargs.get("update_fields") or ()):
            if not _unguarded.get():
                _refuse(self.model, "bulk_create(update_conflicts=True)")
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True


class WorkflowManager(models.Manager.from_queryset(WorkflowQuerySet)):
    pass


class WorkflowModel(models.Model):
    """Base of every model whose ``STATE_FIELD`` is moved by a :class:`Workflow`.

    Remembers the state it was loaded (or created) with; ``save()`` refuses a changed state outside the
    runner, and leaves the stored state alone when it did not change (so a stale copy saved later cannot
    put an old state back). The default manager's querysets refuse bulk writes of the state field."""

    STATE_FIELD = "state"

    objects = WorkflowManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding and not _unguarded.get():
            kwargs = self._without_state(kwargs)
        super().save(*args, **kwargs)
        attname = self._meta.get_field(self.STATE_FIELD).attname
        if attname in self.__dict__:
            self.__dict__[_LOADED] = self.__dict__[attname]

    save.alters_data = True

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj.remember_loaded_state()
        return obj

    def remember_loaded_state(self) -> None:
        """Note the state as loaded (``save()`` compares against it); for instances built from a row by hand."""
        attname = self._meta.get_field(self.STATE_FIELD).attname
        if attname in self.__dict__:
            self.__dict__[_LOADED] = self.__dict__[attname]

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        attname = self._meta.get_field(self.STATE_FIELD).attname
        if attname in self.__dict__:
            self.__dict__[_LOADED] = self.__dict__[attname]

    def _without_state(self, kwargs: dict) -> dict:
        f = self._meta.get_field(self.STATE_FIELD)
        update_fields = kwargs.get("update_fields")
        names = {f.name, f.attname}
        if update_fields is not None and not names & set(update_fields):
            return kwargs
        deferred = self.get_deferred_fields()
        if f.attname not in deferred:
            loaded = self.__dict__.get(_LOADED, _MISSING)
            current = self.__dict__.get(f.attname)
            if (loaded is _MISSING and update_fields is not None) or (
                loaded is not _MISSING and current != loaded
            ):
                _refuse(type(self), "save()")
        if update_fields is None:
            update_fields = [
                c.attname
                for c in self._meta.concrete_fields
                if not c.primary_key and not getattr(c, "generated", False) and c.attname not in deferred
            ]
        return {**kwargs, "update_fields": [n for n in update_fields if n not in names]}
