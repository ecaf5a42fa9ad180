"""Every read of the registry goes through the jurisdiction scope.

Public interface (what other apps may read; the reads that take ``user`` are ``scoped`` to it): producers
(``producer_list``, ``producers_in_scope``, ``producer_get``, ``producers_with_accounts``), their bases,
certifications and contacts (``bases_of``, ``certifications_of``, ``contacts_of``, ``child_get``,
``certifications_expiring``), staff (``staff_list``), regions (``townships_in_scope``, ``region_options``,
``villages_of``), figures (``counts_by_township``) and ``demo_loaded``."""

from datetime import timedelta

from django.db.models import Count, Prefetch
from django.utils import timezone

from nongan.core.models import Region
from nongan.core.scoping import get_scoped_or_404, scoped

from .models import Base, Certification, Contact, Producer, ProducerAccount, ProducerProduct, StaffMember
from .privacy import sees_personal_data


def producer_list(user):
    return scoped(user, Producer.objects.defer("search_text", "notes")).select_related(
        "region", "region__parent"
    )


def producers_in_scope(user):
    """Every producer the user may see (for counts and choices)."""
    return scoped(user, Producer.objects.all())


def producers_with_accounts():
    """Producers that have at least one account of their own."""
    return Producer.objects.filter(pk__in=ProducerAccount.objects.values("producer_id"))


def demo_loaded() -> bool:
    return Producer.objects.filter(is_demo=True).exists()


def certifications_expiring(user, *, days: int):
    """Certifications in scope whose validity ends within ``days`` from today."""
    today = timezone.localdate()
    return scoped(
        user,
        Certification.objects.filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=days)),
    )


def producer_get(user, pk) -> Producer:
    return get_scoped_or_404(
        user,
        Producer.objects.select_related("region", "region__parent").prefetch_related(
            Prefetch("product_lines", queryset=ProducerProduct.objects.select_related("category"))
        ),
        pk=pk,
    )


def bases_of(user, producer):
    return (
        scoped(user, Base.objects.filter(producer=producer))
        .select_related("region")
        .prefetch_related("products")
    )


def certifications_of(user, producer):
    return scoped(user, Certification.objects.filter(producer=producer))


def contacts_of(user, producer):
    """The producer's contact persons, for those who may see personal data (``registry.privacy``)."""
    if not sees_personal_data(user):
        return Contact.objects.none()
    return scoped(user, Contact.objects.filter(producer=producer))


def child_get(user, model, pk, producer):
    return get_scoped_or_404(user, model.objects.filter(producer=producer), pk=pk)


def staff_list(user):
    return scoped(user, StaffMember.objects.all()).select_related("region", "region__parent")


def counts_by_township(user) -> list[dict]:
    """Producers per township and type inside the user's scope: [{township, type, n}] (one query)."""
    qs = scoped(user, Producer.objects.all())
    rows = (
        qs.values(
            "region__parent__name",
            "region__parent__sort_order",
            "region__name",
            "region__level",
            "region__sort_order",
            "type",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["region__level"] == "township":
            town, order = r["region__name"], r["region__sort_order"]
        else:
            town, order = r["region__parent__name"], r["region__parent__sort_order"]
        key = (town, r["type"])
        if key not in out:
            out[key] = {"township": town, "order": order, "type": r["type"], "n": 0}
        out[key]["n"] += r["n"]
    return sorted(out.values(), key=lambda d: (d["order"], d["type"]))


def townships_in_scope(user):
    from nongan.core.scoping import regions_for

    return regions_for(user).filter(level="township").order_by("sort_order")


def region_options(user):
    return Region.objects.none() if user is None else townships_in_scope(user)


def villages_of(user, township_code: str):
    from nongan.core.scoping import regions_for

    return regions_for(user).filter(level="village", parent__code=township_code).order_by("code")
