"""The one choke point that decides what a user may see.

Every list, detail, form, export and API endpoint passes its queryset through ``scoped(user, qs)``.
A model declares how it is reached through two class attributes:

* ``SCOPE_REGION``: the lookup path to its ``Region`` (e.g. ``"region"`` or ``"producer__region"``);
* ``SCOPE_PRODUCER``: the lookup path to its owning producer (``"pk"`` for the producer itself);
* ``SCOPE_PATH``: instead of a region, a field holding a region's ``path`` (the ledger's ``scope_path``);
* ``SCOPE_OWNER``: the lookup path to the user who owns the record (an import job): seen by that user and by
  the administrators whose jurisdiction holds the owner's;
* ``SCOPE_PRODUCER_WHEN``: optional extra filters (a dict of lookups) a producer or dealer account's rows must
  also match — e.g. a sample and its results reach the producer only once published.

Jurisdiction roles see the subtree under their region; producer and dealer accounts see only their
own entity; anyone else (or a model that declares neither) sees nothing.

Records that concern a whole line of regions (a district's monitoring plan, read by the district and by
every township and village in it) go through ``scoped_line``; rules that need "the regions containing this
one" use ``ancestor_codes`` / ``containing_regions`` / ``region_line_q``, so no app parses region paths.
"""

from django.db import models
from django.db.models import Q
from django.http import Http404

from .choices import ADMIN_ROLES, ENTITY_ROLES, JURISDICTION_ROLES, REGISTRY_EDITOR_ROLES, Role
from .models import Region


def scoped(user, qs: models.QuerySet) -> models.QuerySet:
    model = qs.model
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    owner = getattr(model, "SCOPE_OWNER", None)
    if (
        owner is not None
    ):  # a user's own records (import jobs): theirs, and their jurisdiction's administrators'
        mine = Q(**{owner: user.pk})
        if user.role in ADMIN_ROLES and user.jurisdiction_id:
            mine |= Q(**{f"{owner}__jurisdiction__path__startswith": user.jurisdiction.path})
        return qs.filter(mine)
    if user.role in ENTITY_ROLES:
        path = getattr(model, "SCOPE_PRODUCER", None)
        if path is None or user.producer_id is None:
            return qs.none()
        return qs.filter(**{path: user.producer_id}, **getattr(model, "SCOPE_PRODUCER_WHEN", {}))
    if user.role in JURISDICTION_ROLES:
        if user.jurisdiction_id is None:
            return qs.none()
        path = getattr(model, "SCOPE_REGION", None)
        if path is not None:
            return qs.filter(**{f"{path}__path__startswith": user.jurisdiction.path})
        field = getattr(model, "SCOPE_PATH", None)
        if field is not None:
            return qs.filter(**{f"{field}__startswith": user.jurisdiction.path})
        return qs.none()
    return qs.none()


def scoped_line(user, qs: models.QuerySet, lookup: str = "region") -> models.QuerySet:
    """Records of a region in the line of the user's jurisdiction: one containing it (the district's plan
    for a township supervisor) or inside it. Superusers see all; producer and dealer accounts, and accounts
    without a jurisdiction, see none."""
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role in ENTITY_ROLES or user.jurisdiction_id is None:
        return qs.none()
    return qs.filter(region_line_q(lookup, user.jurisdiction))


def ancestor_codes(region: Region) -> list[str]:
    """The codes of the regions containing ``region``, from the root down, ``region`` itself included."""
    return [c for c in region.path.strip("/").split("/") if c]


def containing_regions(region: Region) -> models.QuerySet:
    """The regions containing ``region`` (itself included)."""
    return Region.objects.filter(code__in=ancestor_codes(region))


def region_line_q(lookup: str, region: Region) -> Q:
    """Rows whose region (at ``lookup``, e.g. ``"jurisdiction"``) contains ``region`` or lies inside it."""
    return Q(**{f"{lookup}__code__in": ancestor_codes(region)}) | Q(
        **{f"{lookup}__path__startswith": region.path}
    )


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
