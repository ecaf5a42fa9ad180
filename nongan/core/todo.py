"""The to-do registry (待办): what each user has to do, gathered from every app for the workbench.

Core defines the registry, the apps fill it, the dashboard renders it. An app declares its providers in its
own ``todo.py`` and registers them in its ``AppConfig.ready()``::

    # monitoring/todo.py
    def lab_items(user):
        if user.role != Role.ANALYST:
            return []
        waiting = selectors.samples_for(user).filter(state=SampleState.REGISTERED)
        return [todo.Item(key="monitoring.receive", title=_("Samples to receive"), count=waiting.count(),
                          url=reverse("monitoring:sample_list") + "?state=registered")]

    # monitoring/apps.py
    def ready(self):
        from . import todo
        core_todo.register(todo.lab_items)

A provider takes the user and returns ``Item``s, each already scoped to the user (it reads through its app's
selectors, which go through ``nongan.core.scoping``). An item with ``count == 0`` is not shown. ``items_for(user)``
puts overdue items first (the earliest deadline first), then the items due today, then the rest by deadline,
then those without one, in the order of the apps.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What an item asks of the user."""

    DEADLINE = "deadline", _("Work with a deadline")
    APPROVAL = "approval", _("Awaiting my approval")
    QUEUE = "queue", _("Waiting for me")
    NOTICE = "notice", _("For my information")


@dataclass(frozen=True)
class Item:
    """One line of a user's to-do: ``count`` records waiting at ``url``. ``due``: the earliest deadline among
    them (None: no deadline); ``overdue``: how many are past their deadline; ``since``: how long the oldest
    has waited (a date), for queues without deadlines; ``key``: a stable name (``"<app>.<what>"``)."""

    key: str
    title: str | Promise
    count: int
    url: str
    kind: str = Kind.QUEUE
    due: dt.date | None = None
    overdue: int = 0
    since: dt.date | None = None

    @property
    def due_today(self) -> bool:
        return self.due is not None and self.due == timezone.localdate()

    @property
    def is_overdue(self) -> bool:
        return self.overdue > 0


Provider = Callable[[object], Iterable[Item]]
_providers: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add a provider (idempotent: registering the same function again replaces it)."""
    _providers[f"{provider.__module__}.{provider.__qualname__}"] = provider
    return provider


def providers() -> list[Provider]:
    return list(_providers.values())


def _sort_key(item: Item, position: int, today: dt.date):
    if item.overdue:
        rank = 0
    elif item.due is not None and item.due <= today:
        rank = 1
    elif item.due is not None:
        rank = 2
    else:
        rank = 3
    return (rank, item.due or dt.date.max, position)


def items_for(user) -> list[Item]:
    """Every provider's items for ``user`` that hold work, overdue first (see the module docstring)."""
    if user is None or not user.is_authenticated:
        return []
    items = [item for provider in _providers.values() for item in provider(user) if item.count]
    today = timezone.localdate()
    return [i for _, i in sorted(enumerate(items), key=lambda p: _sort_key(p[1], p[0], today))]
