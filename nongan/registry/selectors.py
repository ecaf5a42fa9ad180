"""Every read of the registry goes through the jurisdiction scope.

Public interface (what other apps may read; the reads that take ``user`` are ``scoped`` to it): producers
(``producer_list``, ``producers_in_scope``, ``producer_get``, ``producers_with_accounts``), their bases,
certifications and contacts (``bases_of``, ``certifications_of``, ``contacts_of``, ``child_get``,
``certifications_expiring``), staff (``staff_list``), regions (``townships_in_scope``, ``region_options``,
``villages_of``), figures (``counts_by_township``) and ``demo_loaded``.

The read interface of the registry's records for the other apps (they never import ``registry.models``; their
model relations name ``"registry.Producer"`` … by string):

* the product tree: ``categories`` (the whole tree, tree order), ``category_leaves``, ``category_roots``,
  ``category_by_code``, ``category_by_code_or_name``, ``categories_named``, ``category_with_ancestors``,
  ``category_root_names``, ``is_category``;
* producers: ``producers`` (unscoped: for services that scope on their own, demos and choice querysets that a
  form narrows), ``producers_in_scope``, ``producer_by_code``, ``producer_in_scope``, ``producers_in_region``,
  ``producers_growing``, ``is_producer``; their product lines (``product_lines``, ``product_lines_of``,
  ``product_categories_of``) and bases (``bases``, ``bases_in_scope``);
* staff: ``staff_regions`` (the active staff members' regions of some users);
* pickers over large sets: ``producer_search`` (at most 20 producers in scope matching a search), ``products_of``
  (the specific products of a producer's lines);
* the producer page's tabs that higher apps contribute (一户一档): ``ProducerTab``, ``register_producer_tab``,
  ``producer_tabs`` (defined in ``registry.tabs``)."""

from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from nongan.core.models import Region
from nongan.core.scoping import get_scoped_or_404, scoped

from .models import (
    Base,
    Certification,
    Contact,
    Producer,
    ProducerAccount,
    ProducerProduct,
    ProductCategory,
    StaffMember,
)
from .privacy import sees_personal_data
from .tabs import ProducerTab, producer_tabs, register_producer_tab  # noqa: F401 - the tab registry


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


def producer_search(user, q: str, *, limit: int = 20):
    """At most ``limit`` producers in ``user``'s scope matching every word of ``q`` (name, registry number,
    credit code or pinyin, as the producer list's search), for pickers that cannot list them all."""
    qs = scoped(user, Producer.objects.only("pk", "name", "code"))
    terms = [t for t in (q or "").lower().split() if t]
    if not terms:
        return qs.none()
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    return qs.order_by("name", "code")[:limit]


def products_of(producer, *, also=()) -> list:
    """The specific products (leaves of the product tree) of ``producer``'s product lines — a line naming a
    group (瓜类蔬菜) stands for its members — plus the products in ``also``; every specific product when
    the producer has no line on record (the registry does not know what it grows)."""
    leaves = ProductCategory.objects.filter(children__isnull=True)
    if producer is None:
        return list(leaves)
    paths = list(
        ProductCategory.objects.filter(producer_lines__producer=producer).values_list("path", flat=True)
    )
    if not paths:
        return list(leaves)
    match = Q(pk__in=[p.pk for p in also if p is not None])
    for path in paths:
        match |= Q(path__startswith=path)
    return list(leaves.filter(match).distinct())


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


# ---------------------------------------------------------------- the product tree
def categories():
    """The whole product tree, in tree order (``path``)."""
    return ProductCategory.objects.all()


def category_leaves():
    """The products themselves: the nodes without children."""
    return ProductCategory.objects.filter(children__isnull=True)


def category_roots():
    """The top of the tree (蔬菜, 水果, 畜禽 …)."""
    return ProductCategory.objects.filter(parent__isnull=True)


def category_by_code(code: str) -> ProductCategory | None:
    return ProductCategory.objects.filter(code=code).first()


def category_by_code_or_name(value: str) -> ProductCategory | None:
    """The node of that code, else the highest node of that name."""
    return (
        ProductCategory.objects.filter(code=value).first()
        or ProductCategory.objects.filter(name=value).order_by("depth", "code").first()
    )


def categories_named(names):
    """The nodes whose name is one of ``names``."""
    return ProductCategory.objects.filter(name__in=names)


def category_with_ancestors(category: ProductCategory):
    """The node and every group above it (by the codes of its path)."""
    codes = [p for p in category.path.strip("/").split("/") if p]
    return ProductCategory.objects.filter(code__in=codes)


def category_root_names() -> dict[int, str]:
    """Every node's pk → the name of the top of its branch (two queries)."""
    top = {c.code: c.name for c in category_roots()}
    return {
        pk: top.get(path.strip("/").split("/")[0], "")
        for pk, path in ProductCategory.objects.values_list("pk", "path")
    }


def is_category(value) -> bool:
    return isinstance(value, ProductCategory)


# ---------------------------------------------------------------- producers, their products and bases
def producers():
    """Every producer, unscoped: for services that check the actor's scope themselves, demos, and choice
    querysets that a form narrows to the user's scope."""
    return Producer.objects.all()


def producer_by_code(user, code: str) -> Producer | None:
    """The producer of that registry number inside the user's scope (``None`` outside it or unknown)."""
    return scoped(user, Producer.objects.all()).filter(code=(code or "").strip()).first()


def producer_in_scope(user, producer) -> bool:
    """Is this producer inside the user's jurisdiction / own entity?"""
    return scoped(user, Producer.objects.filter(pk=producer.pk)).exists()


def producers_in_region(region):
    """The producers registered in the region or below it."""
    return Producer.objects.filter(region__path__startswith=region.path)


def producers_growing(category: ProductCategory):
    """The producers with a product line in that node or below it."""
    return Producer.objects.filter(
        pk__in=ProducerProduct.objects.filter(category__path__startswith=category.path).values("producer_id")
    )


def is_producer(value) -> bool:
    return isinstance(value, Producer)


def product_lines():
    """Every product line (producer × product), unscoped."""
    return ProducerProduct.objects.all()


def product_lines_of(producer_ids):
    return ProducerProduct.objects.filter(producer_id__in=producer_ids)


def product_categories_of(producers) -> list[tuple[int, int]]:
    """(producer pk, category pk) of the product lines of ``producers`` (a queryset or pks)."""
    return list(
        Producer.products.through.objects.filter(producer__in=producers).values_list(
            "producer_id", "category_id"
        )
    )


def bases():
    """Every production base, unscoped (choice querysets narrow it with ``bases_in_scope``)."""
    return Base.objects.all()


def bases_in_scope(user):
    return scoped(user, Base.objects.all())


# ---------------------------------------------------------------- staff
def staff_regions(user_ids) -> list[tuple[int, int]]:
    """(user pk, region pk) of the active staff members among those users."""
    return list(
        StaffMember.objects.filter(user_id__in=user_ids, active=True).values_list("user_id", "region_id")
    )
