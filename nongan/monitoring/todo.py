"""Monitoring's part of the to-do (``nongan.core.todo``), and the order of its work lists (overdue first).

Providers (registered in ``MonitoringConfig.ready``), each scoped through the app's selectors:

* ``sampler_items`` — open sampling tasks assigned to the user: overdue, due today, later;
* ``assigner_items`` — open tasks with no sampler (confirmations of rapid-test positives among them), for the
  administrators who assign samplers;
* ``lab_items`` — for lab analysts: samples to receive (待接收), awaiting results, results awaiting verification
  (待审核, not those the analyst entered: four eyes);
* ``supervisor_items`` — follow-ups of unqualified results with their deadlines, closings proposed by another
  person awaiting approval (four eyes), lots on sale hold, verified samples to publish (administrators);
* ``producer_items`` — a producer's results published in the last 30 days and unqualified results being
  followed up.

A follow-up's deadline is ``NONGAN_FOLLOW_UP_DAYS`` (default 30) days after the township was notified.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Case, Count, F, Min, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import todo
from nongan.core.choices import ADMIN_ROLES, ENTITY_ROLES, Role

from . import selectors
from .choices import FollowUpStatus, SampleState, TaskStatus


def follow_up_days() -> int:
    return int(getattr(settings, "NONGAN_FOLLOW_UP_DAYS", 30))


def follow_up_deadline(fu) -> dt.date:
    """The last day to report the handling of an unqualified result."""
    return timezone.localdate(fu.noticed_at) + dt.timedelta(days=follow_up_days())


def _notified_before(day: dt.date) -> dt.datetime:
    """The start of ``day`` (local time): follow-ups notified before it have a deadline before ``day`` + N."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# ---------------------------------------------------------------- the order of the work lists
def tasks_work_order(qs: QuerySet) -> QuerySet:
    """Open tasks first, the earliest deadline first (overdue ones lead), tasks without one after them; then
    the closed ones, newest first."""
    return qs.annotate(closed=Case(When(status=TaskStatus.OPEN, then=Value(0)), default=Value(1))).order_by(
        "closed", F("due").asc(nulls_last=True), "-created", "-id"
    )


def follow_ups_work_order(qs: QuerySet) -> QuerySet:
    """Follow-ups being handled first, the earliest deadline (the oldest notice) first; then the closings
    proposed; the handled ones last, newest first."""
    rank = Case(
        When(status=FollowUpStatus.OPEN, then=Value(0)),
        When(status=FollowUpStatus.PROPOSED, then=Value(1)),
        default=Value(2),
    )
    return qs.annotate(work_rank=rank).order_by(
        "work_rank",
        Case(When(status__in=(FollowUpStatus.OPEN, FollowUpStatus.PROPOSED), then="noticed_at")),
        "-created",
        "-id",
    )


def holds_work_order(qs: QuerySet) -> QuerySet:
    """Lots on hold by the deadline of their confirmation task (overdue first), then the oldest hold first."""
    return qs.order_by(F("task__due").asc(nulls_last=True), "created", "pk")


WAITING_STATES = (SampleState.REGISTERED, SampleState.RECEIVED, SampleState.RESULTS_SUBMITTED)


def samples_work_order(qs: QuerySet, state: str | None) -> QuerySet:
    """A list of samples waiting for the lab (to receive, awaiting results or verification) puts the oldest
    first; other lists keep the newest first."""
    if state in WAITING_STATES:
        return qs.order_by("sampled_at", "id")
    return qs


# ---------------------------------------------------------------- providers
def _deadline_items(qs: QuerySet, key: str, titles: tuple[str, str, str], url: str) -> list[todo.Item]:
    """Three items for open tasks: overdue, due today, later (or without a deadline)."""
    today = timezone.localdate()
    figures = qs.aggregate(
        overdue=Count("pk", filter=Q(due__lt=today), distinct=True),
        today=Count("pk", filter=Q(due=today), distinct=True),
        later=Count("pk", filter=Q(due__gt=today) | Q(due__isnull=True), distinct=True),
        first_overdue=Min("due", filter=Q(due__lt=today)),
        first_later=Min("due", filter=Q(due__gt=today)),
    )
    return [
        todo.Item(
            key=f"{key}_overdue",
            title=titles[0],
            count=figures["overdue"],
            url=f"{url}&due=overdue",
            kind=todo.Kind.DEADLINE,
            due=figures["first_overdue"],
            overdue=figures["overdue"],
        ),
        todo.Item(
            key=f"{key}_today",
            title=titles[1],
            count=figures["today"],
            url=f"{url}&due=today",
            kind=todo.Kind.DEADLINE,
            due=today,
        ),
        todo.Item(
            key=f"{key}_later",
            title=titles[2],
            count=figures["later"],
            url=f"{url}&due=later",
            kind=todo.Kind.DEADLINE,
            due=figures["first_later"],
        ),
    ]


def sampler_items(user) -> list[todo.Item]:
    if user.role in ENTITY_ROLES:
        return []
    mine = selectors.tasks_for(user).filter(status=TaskStatus.OPEN, samplers=user)
    return _deadline_items(
        mine,
        "monitoring.my_tasks",
        (
            _("My sampling tasks, overdue"),
            _("My sampling tasks due today"),
            _("My other open sampling tasks"),
        ),
        reverse("monitoring:task_list") + "?mine=1&status=open",
    )


def _is_admin(user) -> bool:
    return user.is_superuser or user.role in ADMIN_ROLES


def assigner_items(user) -> list[todo.Item]:
    if not _is_admin(user):
        return []
    unassigned = selectors.tasks_for(user).filter(status=TaskStatus.OPEN, samplers__isnull=True)
    today = timezone.localdate()
    figures = unassigned.aggregate(
        n=Count("pk"), overdue=Count("pk", filter=Q(due__lt=today)), first=Min("due")
    )
    return [
        todo.Item(
            key="monitoring.tasks_without_sampler",
            title=_("Open sampling tasks without a sampler (assign one)"),
            count=figures["n"],
            url=reverse("monitoring:task_list") + "?status=open&unassigned=1",
            kind=todo.Kind.DEADLINE,
            due=figures["first"],
            overdue=figures["overdue"],
        )
    ]


def lab_items(user) -> list[todo.Item]:
    if user.role != Role.ANALYST:
        return []
    samples = selectors.samples_for(user)
    url = reverse("monitoring:sample_list")
    out = []
    for state, key, title, kind in (
        (SampleState.REGISTERED, "monitoring.samples_to_receive", _("Samples to receive"), todo.Kind.QUEUE),
        (SampleState.RECEIVED, "monitoring.samples_to_test", _("Samples awaiting results"), todo.Kind.QUEUE),
        (
            SampleState.RESULTS_SUBMITTED,
            "monitoring.results_to_verify",
            _("Results awaiting verification"),
            todo.Kind.APPROVAL,
        ),
    ):
        qs = samples.filter(state=state)
        if state == SampleState.RESULTS_SUBMITTED:  # four eyes: not the results this analyst entered
            qs = qs.exclude(results__is_current=True, results__analyst=user)
        figures = qs.aggregate(n=Count("pk", distinct=True), oldest=Min("sampled_at"))
        out.append(
            todo.Item(
                key=key,
                title=title,
                count=figures["n"],
                url=f"{url}?state={state}",
                kind=kind,
                since=timezone.localdate(figures["oldest"]) if figures["oldest"] else None,
            )
        )
    return out


def supervisor_items(user) -> list[todo.Item]:
    if not (_is_admin(user) or user.role in (Role.TOWNSHIP_SUPERVISOR, Role.ENFORCEMENT)):
        return []
    today = timezone.localdate()
    days = dt.timedelta(days=follow_up_days())
    follow_ups = selectors.follow_ups_for(user)
    url = reverse("monitoring:follow_up_list")
    open_ = follow_ups.filter(status=FollowUpStatus.OPEN).aggregate(
        n=Count("pk"),
        overdue=Count("pk", filter=Q(noticed_at__lt=_notified_before(today - days))),
        first=Min("noticed_at"),
    )
    proposed = follow_ups.filter(status=FollowUpStatus.PROPOSED).exclude(proposed_by=user)
    oldest_proposal = proposed.aggregate(first=Min("proposed_at"))["first"]
    holds = selectors.holds_for(user).aggregate(
        n=Count("pk"),
        overdue=Count("pk", filter=Q(task__status=TaskStatus.OPEN, task__due__lt=today)),
        first=Min("task__due"),
    )
    items = [
        todo.Item(
            key="monitoring.follow_ups",
            title=_("Unqualified results to handle"),
            count=open_["n"],
            url=f"{url}?status=open",
            kind=todo.Kind.DEADLINE,
            due=timezone.localdate(open_["first"]) + days if open_["first"] else None,
            overdue=open_["overdue"],
        ),
        todo.Item(
            key="monitoring.closings_to_approve",
            title=_("Closings of follow-ups awaiting your approval"),
            count=proposed.count(),
            url=f"{url}?status=proposed",
            kind=todo.Kind.APPROVAL,
            since=timezone.localdate(oldest_proposal) if oldest_proposal else None,
        ),
        todo.Item(
            key="monitoring.holds",
            title=_("Lots on sale hold"),
            count=holds["n"],
            url=reverse("monitoring:rapid_list"),
            kind=todo.Kind.DEADLINE,
            due=holds["first"],
            overdue=holds["overdue"],
        ),
    ]
    if _is_admin(user):
        verified = selectors.samples_for(user).filter(state=SampleState.VERIFIED)
        oldest = verified.aggregate(first=Min("sampled_at"))["first"]
        items.append(
            todo.Item(
                key="monitoring.samples_to_publish",
                title=_("Verified samples to publish"),
                count=verified.count(),
                url=reverse("monitoring:sample_list") + f"?state={SampleState.VERIFIED}",
                kind=todo.Kind.APPROVAL,
                since=timezone.localdate(oldest) if oldest else None,
            )
        )
    return items


PUBLISHED_SHOWN_DAYS = 30


def producer_items(user) -> list[todo.Item]:
    if user.role not in ENTITY_ROLES or not user.producer_id:
        return []
    url = reverse("monitoring:sample_list")
    recent = selectors.samples_for(user).filter(
        published_at__gte=timezone.now() - dt.timedelta(days=PUBLISHED_SHOWN_DAYS)
    )
    followed = selectors.follow_ups_for(user).exclude(status=FollowUpStatus.HANDLED)
    return [
        todo.Item(
            key="monitoring.results_published",
            title=_("Results published for you in the last 30 days"),
            count=recent.count(),
            url=url,
            kind=todo.Kind.NOTICE,
        ),
        todo.Item(
            key="monitoring.follow_ups_on_me",
            title=_("Unqualified results being followed up"),
            count=followed.count(),
            url=f"{url}?verdict=fail",
            kind=todo.Kind.DEADLINE,
            due=min((follow_up_deadline(f) for f in followed), default=None),
            overdue=sum(follow_up_deadline(f) < timezone.localdate() for f in followed),
        ),
    ]


PROVIDERS = (sampler_items, assigner_items, lab_items, supervisor_items, producer_items)
