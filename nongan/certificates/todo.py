"""The certificates' part of the to-do (``nongan.core.todo``): key-target proposals of failed market checks
awaiting a supervisor's decision, certificates whose scans raise counterfeit signals awaiting review, and for a
producer its certificates whose promise a failed sample contradicted."""

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
        suspects = [s for s in services.suspected_certificates(user) if not s.certificate.suspicious]
        items.append(
            todo.Item(
                key="certificates.suspected",
                title=_("Certificates with counterfeit signals to review"),
                count=len(suspects),
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
