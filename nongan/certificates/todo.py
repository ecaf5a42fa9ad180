"""The certificates' part of the to-do (``nongan.core.todo``): key-target proposals of failed market checks
awaiting a supervisor's decision, certificates whose scans raise counterfeit signals awaiting review, and for a
producer its certificates whose promise a failed sample contradicted.

The counterfeit-signal count aggregates 30 days of public scans (hundreds of thousands of rows in a season): the
workbench reads it from the shared cache, computed at most once per jurisdiction every ``SUSPECT_COUNT_SECONDS``
(a new signal reaches the to-do within that time; the list it links to is always live), and a review
(``certificate_suspicion_review``) refreshes it at once."""

from django.core.cache import cache
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import todo
from nongan.core.choices import ENTITY_ROLES
from nongan.core.scoping import scoped

from . import selectors, services
from .choices import ProposalStatus
from .models import KeyTargetProposal


def proposals_awaiting(user):
    return scoped(user, KeyTargetProposal.objects.filter(status=ProposalStatus.PROPOSED))


SUSPECT_COUNT_SECONDS = 300


def suspected_count(user) -> int:
    """How many certificates of ``user``'s jurisdiction raise counterfeit signals not yet confirmed: from the
    shared cache (one entry per jurisdiction and generation of reviews), else counted and kept."""
    scope = "all" if user.is_superuser else f"j{user.jurisdiction_id or 0}"
    key = f"certificates.suspected.{services.suspect_generation()}.{scope}"
    count = cache.get(key)
    if count is None:
        count = sum(1 for s in services.suspected_certificates(user) if not s.certificate.suspicious)
        cache.set(key, count, SUSPECT_COUNT_SECONDS)
    return count


def supervisor_items(user) -> list[todo.Item]:
    items = []
    if user.is_superuser or user.role in services.DECIDERS:
        waiting = proposals_awaiting(user)
        oldest = waiting.aggregate(first=Min("created"))["first"]
        items.append(
            todo.Item(
                key="certificates.key_target_proposals",
                title=_("Key-target proposals awaiting your decision"),
                count=waiting.count(),
                url=reverse("certificates:key_target_proposals"),
                kind=todo.Kind.APPROVAL,
                since=timezone.localdate(oldest) if oldest else None,
            )
        )
    if services.can_review(user):
        items.append(
            todo.Item(
                key="certificates.suspected",
                title=_("Certificates with counterfeit signals to review"),
                count=suspected_count(user),
                url=reverse("certificates:suspected"),
                kind=todo.Kind.APPROVAL,
            )
        )
    return items


def producer_items(user) -> list[todo.Item]:
    if user.role not in ENTITY_ROLES or not user.producer_id:
        return []
    flagged = selectors.certificates_for(user).filter(Q(suspicious=True) | ~Q(contradicted_by=""))
    return [
        todo.Item(
            key="certificates.flagged",
            title=_("Your certificates contradicted by a failed sample or confirmed counterfeit"),
            count=flagged.count(),
            url=reverse("certificates:index"),
            kind=todo.Kind.NOTICE,
        )
    ]


PROVIDERS = (supervisor_items, producer_items)
