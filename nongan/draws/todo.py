"""The draws' part of the to-do (``nongan.core.todo``), for the administrators who run the rounds: rounds whose
seed is committed and that await their draw (due from the earliest moment they may be drawn; overdue when that
was before today), and drawn rounds awaiting publication."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import todo
from nongan.core.scoping import can_manage

from . import selectors, services
from .choices import RoundStatus


def round_items(user) -> list[todo.Item]:
    if not can_manage(user):
        return []
    rounds = selectors.rounds_for(user)
    url = reverse("draws:index")
    today = timezone.localdate()
    drawable = [
        timezone.localdate(services.earliest_draw(r))
        for r in rounds.filter(status=RoundStatus.SEED_COMMITTED).exclude(committed_at=None)
    ]
    drawn = rounds.filter(status=RoundStatus.DRAWN).count()
    return [
        todo.Item(
            key="draws.to_draw",
            title=_("Draw rounds awaiting their draw"),
            count=len(drawable),
            url=f"{url}?status={RoundStatus.SEED_COMMITTED}",
            kind=todo.Kind.DEADLINE,
            due=min(drawable, default=None),
            overdue=sum(day < today for day in drawable),
        ),
        todo.Item(
            key="draws.to_publish",
            title=_("Drawn rounds to publish"),
            count=drawn,
            url=f"{url}?status={RoundStatus.DRAWN}",
            kind=todo.Kind.APPROVAL,
        ),
    ]


PROVIDERS = (round_items,)
