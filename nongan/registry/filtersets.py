"""One FilterSet per model serves the UI list, the export and the API."""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from nongan.core.models import Region

from .choices import CertificationKind, ProducerStatus, ProducerType, StaffKind, Tier
from .models import Base, Certification, Contact, Producer, ProductCategory, StaffMember

EXPIRING_SOON = dt.timedelta(days=90)


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """A region or category chosen by its code."""


class ProducerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    township = CodeChoiceFilter(
        label=_("Township"),
        queryset=Region.objects.filter(level="township"),
        method="in_region",
        to_field_name="code",
    )
    village = CodeChoiceFilter(
        label=_("Village"),
        queryset=Region.objects.filter(level="village"),
        method="in_region",
        to_field_name="code",
    )
    type = django_filters.MultipleChoiceFilter(label=_("Type"), choices=ProducerType.choices)
    tier = django_filters.MultipleChoiceFilter(label=_("Tier"), choices=Tier.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProducerStatus.choices)
    category = CodeChoiceFilter(
        label=_("Product category"),
        queryset=ProductCategory.objects.all(),
        method="in_category",
        to_field_name="code",
    )
    is_scale = django_filters.BooleanFilter(label=_("Scale producer"))
    key_target = django_filters.BooleanFilter(label=_("Key supervision target"))
    certification_expiring = django_filters.BooleanFilter(
        label=_("Certification expiring within 90 days"), method="with_expiring_certification"
    )

    class Meta:
        model = Producer
        fields = [
            "q",
            "township",
            "village",
            "type",
            "tier",
            "status",
            "category",
            "is_scale",
            "key_target",
            "certification_expiring",
        ]

    def search(self, qs, name, value):
        """Name, registry number, credit code, or pinyin (full or initials such as qkz for 青口镇)."""
        terms = [t for t in value.lower().split() if t]
        for term in terms:
            qs = qs.filter(search_text__contains=term)
        return qs

    def in_region(self, qs, name, value):
        return qs.filter(region__path__startswith=value.path) if value else qs

    def with_expiring_certification(self, qs, name, value):
        if value is None:
            return qs
        expiring = Certification.objects.filter(
            valid_until__gte=timezone.localdate(), valid_until__lte=timezone.localdate() + EXPIRING_SOON
        ).values("producer_id")
        return qs.filter(pk__in=expiring) if value else qs.exclude(pk__in=expiring)

    def in_category(self, qs, name, value):
        if not value:
            return qs
        ids = ProductCategory.objects.filter(path__startswith=value.path).values("id")
        return qs.filter(Q(product_lines__category_id__in=ids)).distinct()


def producers_in_scope(request):
    """The producers a request's user may see: the choices of a ``producer`` filter (the browsable API
    renders them as a select, so an unscoped queryset would list every producer's name)."""
    from nongan.core.scoping import scoped

    user = getattr(request, "user", None)
    return scoped(user, Producer.objects.all()) if user is not None else Producer.objects.none()


class _ProducerChildFilterSet(django_filters.FilterSet):
    producer = django_filters.ModelChoiceFilter(label=_("producer"), queryset=producers_in_scope)


class CertificationFilterSet(_ProducerChildFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CertificationKind.choices)

    class Meta:
        model = Certification
        fields = ["kind", "producer"]


class StaffFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="contains")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=StaffKind.choices)
    township = CodeChoiceFilter(
        label=_("Township"),
        queryset=Region.objects.filter(level="township"),
        method="in_region",
        to_field_name="code",
    )

    class Meta:
        model = StaffMember
        fields = ["q", "kind", "township", "active"]

    def in_region(self, qs, name, value):
        return qs.filter(region__path__startswith=value.path) if value else qs


class BaseFilterSet(_ProducerChildFilterSet):
    class Meta:
        model = Base
        fields = ["producer", "kind"]


class ContactFilterSet(_ProducerChildFilterSet):
    class Meta:
        model = Contact
        fields = ["producer"]
