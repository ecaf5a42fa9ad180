"""The registry's part of the to-do (``nongan.core.todo``): certifications (二品一标) about to expire, for the staff
who keep the register of the jurisdiction and for the producer that holds them. The registry holds no other
expiry date (licences have none stored)."""

from django.db.models import Min
from django.urls import reverse
from django.utils.translation import gettext as _

from nongan.core import todo
from nongan.core.choices import ENTITY_ROLES, REGISTRY_EDITOR_ROLES

from . import selectors
from .filtersets import EXPIRING_SOON


def expiring_items(user) -> list[todo.Item]:
    if not (user.is_superuser or user.role in REGISTRY_EDITOR_ROLES or user.role in ENTITY_ROLES):
        return []
    expiring = selectors.certifications_expiring(user, days=EXPIRING_SOON.days)
    figures = expiring.aggregate(first=Min("valid_until"))
    if user.role in ENTITY_ROLES and user.producer_id:
        url = reverse("registry:producer_detail", args=[user.producer_id])
    else:
        url = reverse("registry:producer_list") + "?certification_expiring=true"
    return [
        todo.Item(
            key="registry.certifications_expiring",
            title=_("Certifications expiring within 90 days"),
            count=expiring.count(),
            url=url,
            kind=todo.Kind.DEADLINE,
            due=figures["first"],
            overdue=0,
        )
    ]


PROVIDERS = (expiring_items,)
