"""The one choke point that decides what a user may see.

Every list, detail, form, export and API endpoint passes its queryset through ``scoped(user, qs)``.
A model declares how it is reached through two class attributes:

* ``SCOPE_REGION``: the lookup path to its ``Region`` (e.g. ``"region"`` or ``"producer__region"``);
* ``SCOPE_PRODUCER``: the lookup path to its owning producer (``"pk"`` for the producer itself).

Jurisdiction roles see the subtree under their region; producer and dealer accounts see only their
own entity; anyone else (or a model that declares neither) sees nothing.
"""

from django.db import models
from django.http import Http404

from .choices import ENTITY_ROLES, JURISDICTION_ROLES, REGISTRY_EDITOR_ROLES, Role
from .models import Region


def scoped(user, qs: models.QuerySet) -> models.QuerySet:
    model = qs.model
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role in ENTITY_ROLES:
        path = getattr(model, "SCOPE_PRODUCER", None)
        if path is None or user.producer_id is None:
            return qs.none()
        return qs.filter(**{path: user.producer_id})
    if user.role in JURISDICTION_ROLES:
        path = getattr(model, "SCOPE_REGION", None)
        if path is None or user.jurisdiction_id is None:
            return qs.none()
        return qs.filter(**{f"{path}__path__startswith": user.jurisdiction.path})
    return qs.none()


def get_scoped_or_404(user, qs: models.QuerySet, **lookup):
    try:
        return scoped(user, qs).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def regions_for(user) -> models.QuerySet:
    """Regions a user may choose in a form: their jurisdiction subtree (producer: their own region)."""
    qs = Region.objects.all()
    if user.is_superuser:
        return qs
    if user.role in JURISDICTION_ROLES and user.jurisdiction_id:
        return qs.filter(path__startswith=user.jurisdiction.path)
    if user.role in ENTITY_ROLES and user.producer_id:
        return qs.filter(pk=user.producer.region_id)
    return qs.none()


def in_jurisdiction(user, region: Region | None) -> bool:
    if region is None:
        return False
    if user.is_superuser:
        return True
    if user.role in JURISDICTION_ROLES and user.jurisdiction_id:
        return region.path.startswith(user.jurisdiction.path)
    return False


def can_edit_registry(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in REGISTRY_EDITOR_ROLES))


def can_manage(user) -> bool:
    """District (or provincial) administration: standards, plans, users."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.role in (Role.DISTRICT_ADMIN, Role.PROVINCE_ADMIN))
    )
