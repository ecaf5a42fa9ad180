"""The workflow runner (nongan.core.workflow), on the core's own import job as the record.

``Job`` is a proxy of ``ImportJob`` (no table of its own) that inherits ``WorkflowModel``, so its
``status`` is guarded exactly like an app's state field; the workflow below is a test one (not registered).
The walk over every registered workflow of the platform is ``tests/test_workflows.py``.
"""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from conftest import on_postgresql
from nongan.core import ledger
from nongan.core.choices import ImportStatus, Role
from nongan.core.models import AuditLog, ImportJob, LedgerEntry, NumberCounter, WorkflowEvent
from nongan.core.services import user_create
from nongan.core.workflow import (
    StateWriteError,
    Transition,
    Workflow,
    WorkflowManager,
    WorkflowModel,
    events_for,
    registered_workflows,
    unguarded_state_writes,
)


class Job(ImportJob, WorkflowModel):
    STATE_FIELD = "status"
    objects = WorkflowManager()

    class Meta:
        proxy = True
        app_label = "core"


@pytest.fixture(scope="module", autouse=True)
def _forget_test_model():
    yield
    apps.all_models["core"].pop("job", None)
    apps.clear_cache()


S = ImportStatus
ADMINS = frozenset({Role.DISTRICT_ADMIN})
calls: list = []


def _guard_apply(actor, job, ctx):
    calls.append(("guard", job.status, dict(ctx)))
    if not ctx.get("ok"):
        raise ValidationError({"file": "文件未通过检查。"})


def _effect_finish(actor, job, ctx):
    job.finished = timezone.now()
    job.created_count = ctx.get("rows", 0)
    job.save(update_fields=["finished", "created_count"])
    return {"rows": job.created_count}


def _effect_explode(actor, job, ctx):
    raise RuntimeError("the effect failed")


def _ledger(step, result):
    return {"ref": step.obj.original_name, "payload": {"status": step.target, **result}, "region": None}


def _permission(actor, job):
    if actor is not None and actor.role == Role.MARKET_CHECKER:
        raise ValidationError("市场查验员不能处理导入。")


TRANSITIONS = [
    Transition("check", "检查", (S.PENDING,), S.VALIDATING, roles=ADMINS),
    Transition("apply", "导入", (S.VALIDATING,), S.APPLYING, guard=_guard_apply),
    Transition("finish", "完成", (S.APPLYING,), S.DONE, effect=_effect_finish, ledger_kind="test.import"),
    Transition(
        "fail",
        "作废",
        (S.PENDING, S.VALIDATING, S.APPLYING),
        S.FAILED,
        needs_reason=True,
        destructive=True,
        role_refusal="只有区级监管可以作废。",
        roles=ADMINS,
    ),
    Transition("explode", "出错", (S.PENDING,), S.DONE, effect=_effect_explode),
    Transition("retry", "重试", (S.FAILED,), S.PENDING, internal=True),
]
WF = Workflow(
    model=Job,
    field="status",
    transitions=TRANSITIONS,
    ledger=_ledger,
    permission=_permission,
    reason_field="message",
    register=False,
)


@pytest.fixture
def people(ganyu):
    def mk(username, role):
        return user_create(
            actor=None, username=username, password="Nongan-test-2026", role=role, jurisdiction=ganyu.district
        )

    root = mk("wf-root", Role.SAMPLER)
    root.is_superuser = True
    root.save()
    return {
        "admin": mk("wf-admin", Role.DISTRICT_ADMIN),
        "sampler": mk("wf-sampler", Role.SAMPLER),
        "market": mk("wf-market", Role.MARKET_CHECKER),
        "root": root,
    }


@pytest.fixture
def job(people):
    calls.clear()
    return Job.objects.create(
        kind="test", created_by=people["admin"], file="imports/t.xlsx", original_name="t.xlsx"
    )


def _fingerprint(job):
    row = ImportJob.objects.get(pk=job.pk)
    return (
        row.status,
        row.message,
        row.finished,
        WorkflowEvent.objects.count(),
        AuditLog.objects.count(),
        LedgerEntry.objects.count(),
    )


# ------------------------------------------------------------------------------------------ runs
def test_a_run_saves_the_state_and_writes_event_audit_and_reason(job, people):
    saved = WF.run(actor=people["admin"], obj=job, action="check", reason=" 首次检查 ")
    assert saved.status == S.VALIDATING and saved is not job
    assert job.status == S.VALIDATING  # the caller's copy follows
    row = ImportJob.objects.get(pk=job.pk)
    assert (row.status, row.message) == (S.VALIDATING, "首次检查")
    ev = events_for(job).get()
    assert (ev.action, ev.from_state, ev.to_state, ev.reason, ev.actor, ev.actor_repr) == (
        "check",
        S.PENDING,
        S.VALIDATING,
        " 首次检查 ",
        people["admin"],
        "wf-admin",
    )
    log = AuditLog.objects.filter(object_id=str(job.pk), content_type__model="importjob").get()
    assert log.changes == {"status": [S.PENDING, S.VALIDATING], "message": ["", "首次检查"]}
    assert log.reason == " 首次检查 "
    assert log.actor == people["admin"]


def test_guard_and_effect_get_the_context_and_the_ledger_gets_the_effect_result(job, people):
    WF.run(actor=people["admin"], obj=job, action="check")
    WF.run(actor=people["sampler"], obj=job, action="apply", ok=True)
    assert calls == [("guard", S.VALIDATING, {"ok": True, "reason": ""})]
    before = LedgerEntry.objects.count()
    WF.run(actor=None, obj=job, action="finish", rows=7)
    job.refresh_from_db()
    assert (job.status, job.created_count) == (S.DONE, 7) and job.finished is not None
    entry = LedgerEntry.objects.get(seq=before + 1)
    assert (entry.kind, entry.ref, entry.actor_repr) == ("test.import", "t.xlsx", "system")
    assert entry.payload == ledger.canonical_json({"status": "done", "rows": 7})
    assert [e.action for e in events_for(job)] == ["check", "apply", "finish"]
    assert ledger.verify()[1] == []


def test_superusers_pass_the_role_check(job, people):
    WF.run(actor=people["root"], obj=job, action="check")
    assert ImportJob.objects.get(pk=job.pk).status == S.VALIDATING


def test_a_stale_copy_is_checked_against_the_locked_row(job, people):
    stale = Job.objects.get(pk=job.pk)
    WF.run(actor=people["admin"], obj=job, action="check")
    with pytest.raises(ValidationError) as e:
        WF.run(actor=people["admin"], obj=stale, action="check")
    assert e.value.messages == ["处于“校验中”状态时不能进行此操作。"]


# ------------------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    ("action", "actor", "kw", "expected"),
    [
        ("apply", "admin", {}, ["处于“等待中”状态时不能进行此操作。"]),
        ("check", "sampler", {}, ["您的角色无权进行此操作。"]),
        ("check", None, {}, ["您的角色无权进行此操作。"]),
        ("fail", "sampler", {"reason": "x"}, ["只有区级监管可以作废。"]),
        ("fail", "admin", {"reason": "  "}, {"reason": ["请填写原因。"]}),
        ("retry", "admin", {}, ["处于“等待中”状态时不能进行此操作。"]),
        ("nonsense", "admin", {}, ["未知操作“nonsense”。"]),
    ],
)
def test_refusals_are_translated_and_change_nothing(job, people, action, actor, kw, expected):
    before = _fingerprint(job)
    with pytest.raises(ValidationError) as e:
        WF.run(actor=people.get(actor), obj=job, action=action, **kw)
    got = e.value.message_dict if isinstance(expected, dict) else e.value.messages
    assert got == expected
    assert _fingerprint(job) == before
    assert job.status == S.PENDING


def test_a_guard_refusal_changes_nothing(job, people):
    WF.run(actor=people["admin"], obj=job, action="check")
    before = _fingerprint(job)
    with pytest.raises(ValidationError) as e:
        WF.run(actor=people["admin"], obj=job, action="apply", ok=False)
    assert e.value.message_dict == {"file": ["文件未通过检查。"]}
    assert _fingerprint(job) == before


def test_the_permission_is_checked_first(job, people):
    before = _fingerprint(job)
    with pytest.raises(ValidationError) as e:
        WF.run(actor=people["market"], obj=job, action="apply")  # wrong state too: permission comes first
    assert e.value.messages == ["市场查验员不能处理导入。"]
    assert _fingerprint(job) == before
    assert WF.available(people["market"], job) == []


def test_an_effect_that_fails_rolls_the_state_and_the_event_back(job, people):
    before = _fingerprint(job)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            WF.run(actor=people["admin"], obj=job, action="explode")
    assert _fingerprint(job) == before
    assert job.status == S.PENDING


def test_internal_transitions_skip_the_role_check_and_are_never_offered(job, people):
    WF.run(actor=people["admin"], obj=job, action="fail", reason="文件损坏")
    assert "retry" not in WF.available_names(people["admin"], job)
    WF.run(actor=None, obj=job, action="retry")
    assert ImportJob.objects.get(pk=job.pk).status == S.PENDING


# ------------------------------------------------------------------------------------------ available
def test_available_follows_state_and_role(job, people):
    assert WF.available_names(people["admin"], job) == ["check", "fail", "explode"]
    assert WF.available_names(people["sampler"], job) == ["explode"]
    assert WF.available_names(people["root"], job) == ["check", "fail", "explode"]
    assert WF.available_names(None, job) == ["explode"]
    WF.run(actor=people["admin"], obj=job, action="check")
    assert WF.available_names(people["sampler"], job) == ["apply"]
    fail = WF["fail"]
    assert fail.needs_reason and fail.destructive and fail.label == "作废"
    assert WF.labels()["finish"] == "完成" and "finish" in WF and WF.names[0] == "check"


# ------------------------------------------------------------------------------------------ enforcement
def test_assigning_the_state_and_saving_is_refused(job):
    job.status = S.DONE
    with pytest.raises(StateWriteError, match=r"core\.Job\.status is changed only by its workflow"):
        job.save()
    with pytest.raises(StateWriteError):
        job.save(update_fields=["status"])
    assert ImportJob.objects.get(pk=job.pk).status == S.PENDING


def test_saving_other_fields_never_writes_a_stale_state_back(job, people):
    stale = Job.objects.get(pk=job.pk)
    WF.run(actor=people["admin"], obj=job, action="check")
    stale.original_name = "renamed.xlsx"
    stale.save()  # the state it carries is the old one: left alone
    row = ImportJob.objects.get(pk=job.pk)
    assert (row.status, row.original_name) == (S.VALIDATING, "renamed.xlsx")
    stale.save(update_fields=["status", "original_name"])
    assert ImportJob.objects.get(pk=job.pk).status == S.VALIDATING
    stale.refresh_from_db()
    stale.message = "x"
    stale.save()
    assert ImportJob.objects.get(pk=job.pk).status == S.VALIDATING


def test_the_returned_and_the_callers_copy_can_be_saved_after_a_run(job, people):
    saved = WF.run(actor=people["admin"], obj=job, action="check")
    saved.message = "a"
    saved.save()
    job.message = "b"
    job.save()
    assert ImportJob.objects.get(pk=job.pk).status == S.VALIDATING


def test_bulk_writes_of_the_state_are_refused(job):
    with pytest.raises(StateWriteError, match=r"QuerySet\.update\(\)"):
        Job.objects.filter(pk=job.pk).update(status=S.DONE)
    job.status = S.DONE
    with pytest.raises(StateWriteError, match=r"bulk_update\(\)"):
        Job.objects.bulk_update([job], ["status"])
    with pytest.raises(StateWriteError):
        Job.objects.bulk_create([job], update_conflicts=True, update_fields=["status"], unique_fields=["id"])
    assert ImportJob.objects.get(pk=job.pk).status == S.PENDING
    # other fields are written as usual
    assert Job.objects.filter(pk=job.pk).update(message="ok") == 1
    job.message = "again"
    Job.objects.bulk_update([job], ["message"])
    assert ImportJob.objects.get(pk=job.pk).message == "again"


def test_the_state_is_set_freely_at_creation(people):
    j = Job.objects.create(kind="t", created_by=people["admin"], file="x", original_name="x", status=S.FAILED)
    j2 = Job(kind="t", created_by=people["admin"], file="y", original_name="y", status=S.DONE)
    j2.save()
    Job.objects.bulk_create(
        [Job(kind="t", created_by=people["admin"], file="z", original_name="z", status=S.APPLYING)]
    )
    assert sorted(ImportJob.objects.values_list("status", flat=True)) == [S.APPLYING, S.DONE, S.FAILED]
    j2.status = S.PENDING
    with pytest.raises(StateWriteError):
        j2.save()  # once created, only the workflow moves it
    assert j.status == S.FAILED


def test_deferred_state_and_refresh(job, people):
    d = Job.objects.defer("status").get(pk=job.pk)
    d.message = "deferred"
    d.save()
    assert ImportJob.objects.get(pk=job.pk).message == "deferred"
    WF.run(actor=people["admin"], obj=job, action="check")
    d.refresh_from_db()
    assert d.status == S.VALIDATING
    d.status = S.DONE
    with pytest.raises(StateWriteError):
        d.save()


def test_unguarded_state_writes_is_the_explicit_escape_hatch(job):
    with unguarded_state_writes():
        Job.objects.filter(pk=job.pk).update(status=S.DONE)
        job.status = S.FAILED
        job.save()
    assert ImportJob.objects.get(pk=job.pk).status == S.FAILED
    job.status = S.PENDING
    with pytest.raises(StateWriteError):
        job.save()


# ------------------------------------------------------------------------------------------ declaration
def test_declaration_errors_are_found_at_import():
    with pytest.raises(ImproperlyConfigured, match="must inherit"):
        Workflow(model=NumberCounter, field="series", transitions=[], register=False)
    with pytest.raises(ImproperlyConfigured, match="STATE_FIELD"):
        Workflow(model=Job, field="kind", transitions=[], register=False)
    with pytest.raises(ImproperlyConfigured, match="unknown state"):
        Workflow(
            model=Job, field="status", transitions=[Transition("x", "x", ("nope",), S.DONE)], register=False
        )
    with pytest.raises(ImproperlyConfigured, match="no ledger"):
        Workflow(
            model=Job,
            field="status",
            transitions=[Transition("x", "x", (S.PENDING,), S.DONE, ledger_kind="k")],
            register=False,
        )
    with pytest.raises(ImproperlyConfigured, match="two transitions"):
        Workflow(
            model=Job,
            field="status",
            transitions=[Transition("x", "x", (S.PENDING,), S.DONE)] * 2,
            register=False,
        )
    with pytest.raises(ImproperlyConfigured, match="tuple of states"):
        Transition("x", "x", S.PENDING, S.DONE)
    assert WF not in registered_workflows()


# ------------------------------------------------------------------------------------------ races
def test_try_run_moves_only_a_matching_record(job, people):
    assert WF.try_run(actor=people["admin"], obj=job, action="apply") is None  # another state: nothing
    assert WF.try_run(actor=people["admin"], obj=job, action="check", where={"kind": "other"}) is None
    assert _fingerprint(job)[0] == S.PENDING and WorkflowEvent.objects.count() == 0
    moved = WF.try_run(
        actor=people["admin"], obj=job, action="check", where={"kind": "test"}, skip_locked=True
    )
    assert moved.status == S.VALIDATING and job.status == S.VALIDATING
    assert events_for(job).count() == 1
    with pytest.raises(ValidationError):  # the other refusals still speak
        WF.try_run(actor=people["sampler"], obj=job, action="fail", reason="x")


def test_the_state_is_saved_only_if_it_is_still_the_one_checked(job, people):
    """Compare and set: a state that changed between the check and the save (on SQLite, which has no row
    locks, another process can do that) refuses the step, and nothing of it stays."""

    def sneaky(actor, j, ctx):
        with unguarded_state_writes():
            Job.objects.filter(pk=j.pk).update(status=S.INVALID)

    wf = Workflow(
        model=Job,
        field="status",
        transitions=[Transition("check", "检查", (S.PENDING,), S.VALIDATING, guard=sneaky)],
        register=False,
    )
    events = WorkflowEvent.objects.count()
    with pytest.raises(ValidationError) as e:
        wf.run(actor=people["admin"], obj=job, action="check")
    assert e.value.messages == ["处于“已退回”状态时不能进行此操作。"]
    assert ImportJob.objects.get(pk=job.pk).status == S.PENDING  # the whole step, the guard's write too
    assert WorkflowEvent.objects.count() == events
    assert wf.try_run(actor=people["admin"], obj=job, action="check") is None


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_racing_steps_happen_once(parallel):
    """20 transactions released together on one job: half run() (they wait for the lock, then see the new
    state), half try_run(skip_locked=True) (they do not wait); exactly one step happens."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create(username="race-admin", role=Role.DISTRICT_ADMIN)
    job = Job.objects.create(kind="test", created_by=admin, file="x", original_name="x")

    def step(i):
        if i % 2:
            return WF.try_run(actor=admin, obj=Job(pk=job.pk), action="check", skip_locked=True)
        try:
            return WF.run(actor=admin, obj=Job(pk=job.pk), action="check")
        except ValidationError as e:
            return e.messages

    results, errors = parallel(step, n=20)
    assert errors == []
    moved = [r for r in results if isinstance(r, Job)]
    assert len(moved) == 1 and ImportJob.objects.get(pk=job.pk).status == S.VALIDATING
    assert all(r is None or r == ["处于“校验中”状态时不能进行此操作。"] for r in results if r not in moved)
    assert events_for(job).count() == 1
