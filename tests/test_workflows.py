"""Every state field of the platform is moved only by its workflow (nongan.core.workflow).

Walks every registered workflow (each app's services declare theirs at import) and proves its model is
guarded: assigning the state and saving, ``QuerySet.update()`` and ``bulk_update()`` of the state field are
refused before they reach the database. A new app's workflow is checked without touching this file.
And every model of the platform with a ``state`` / ``status`` field has a workflow, or is listed in
``NOT_ON_A_WORKFLOW`` with the reason.
"""

import importlib
from pathlib import Path

import pytest
from django.apps import apps

from nongan.core.workflow import (
    StateWriteError,
    WorkflowModel,
    WorkflowQuerySet,
    registered_workflows,
    workflow_for,
)

PACKAGE = Path(__file__).resolve().parents[1] / "nongan"
STATE_FIELD_NAMES = {"state", "status"}
# model label → why its state/status field is not moved by a workflow (yet).
NOT_ON_A_WORKFLOW = {}


def _platform_models():
    return [m for m in apps.get_models() if m.__module__.startswith("nongan.") and not m._meta.proxy]


def _load_all_workflows():
    """Import every app's services (where workflows are declared)."""
    for cfg in apps.get_app_configs():
        if cfg.name.startswith("nongan."):
            try:
                importlib.import_module(f"{cfg.name}.services")
            except ModuleNotFoundError as e:
                if e.name != f"{cfg.name}.services":
                    raise
    return [w for w in registered_workflows() if not w.model._meta.proxy]


WORKFLOWS = _load_all_workflows()


def _other_state(workflow, state):
    targets = [t.target for t in workflow.transitions.values()] + [
        s for t in workflow.transitions.values() for s in t.sources
    ]
    return next(s for s in targets if s != state)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.model._meta.label)
def test_each_workflow_guards_its_state_field(workflow):
    model = workflow.model
    assert issubclass(model, WorkflowModel) and model.STATE_FIELD == workflow.field
    for manager in model._meta.managers:
        assert issubclass(manager._queryset_class, WorkflowQuerySet), (model, manager.name)
    f = model._meta.get_field(workflow.field)
    first = next(iter(workflow.transitions.values())).sources[0]
    other = _other_state(workflow, first)
    # A record as loaded from the database (only its key and state), then its state assigned: no query runs.
    obj = model.from_db("default", [model._meta.pk.attname, f.attname], [0, first])
    setattr(obj, f.attname, other)
    with pytest.raises(StateWriteError):
        obj.save()
    with pytest.raises(StateWriteError):
        obj.save(update_fields=[workflow.field])
    with pytest.raises(StateWriteError):
        model._default_manager.filter(pk=0).update(**{workflow.field: other})
    with pytest.raises(StateWriteError):
        model._default_manager.bulk_update([obj], [workflow.field])
    # The buttons are the workflow's: every transition has a label and real states.
    for t in workflow.transitions.values():
        assert str(t.label) and t.sources and t.target


def test_every_state_field_has_a_workflow_or_a_reason():
    found = {}
    for model in _platform_models():
        names = {f.name for f in model._meta.concrete_fields} & STATE_FIELD_NAMES
        if names:
            found[model._meta.label] = (model, names)
    missing = sorted(
        label
        for label, (model, _names) in found.items()
        if workflow_for(model) is None and label not in NOT_ON_A_WORKFLOW
    )
    assert missing == [], "these models have a state field but no workflow: " + ", ".join(missing)
    stale = sorted(
        label for label in NOT_ON_A_WORKFLOW if label in found and workflow_for(found[label][0]) is not None
    )
    assert stale == [], "these models have a workflow now: drop them from NOT_ON_A_WORKFLOW"
    assert sorted(set(NOT_ON_A_WORKFLOW) - set(found)) == []


def test_every_workflow_model_has_a_registered_workflow():
    orphans = [
        m._meta.label for m in _platform_models() if issubclass(m, WorkflowModel) and workflow_for(m) is None
    ]
    assert orphans == []


def test_no_platform_code_writes_states_unguarded():
    users = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if (
            "tests" in rel.parts
            or "migrations" in rel.parts
            or rel in (Path("core/workflow.py"), Path("core/states.py"))
        ):
            continue
        if "unguarded_state_writes" in path.read_text(encoding="utf-8"):
            users.append(str(rel))
    assert users == []
