"""Filters of the limit table, shared by the browse page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nongan.registry import selectors as registry

from .choices import Species, Tissue
from .models import Edition, MaxResidueLimit, VetDrugLimit


def _food_and_groups(name: str) -> list[int]:
    """The food of that name (or other name) and every group above it: the entries that can apply to it."""
    name = (name or "").strip()
    cat = registry.categories().filter(name=name).first()
    if cat is None:
        for c in registry.categories().filter(aliases__contains=name):
            if name in [a.strip() for a in c.aliases.split(";")]:
                cat = c
                break
    if cat is None:
        return []
    return list(registry.category_with_ancestors(cat).values_list("pk", flat=True))


class LimitFilterSet(django_filters.FilterSet):
    food = django_filters.CharFilter(
        label=_("Food"),
        method="filter_food",
        help_text=_("A food or group; also lists the entries of the groups above it."),
    )
    analyte = django_filters.CharFilter(label=_("Pesticide / drug"), method="filter_analyte")
    edition = django_filters.ModelChoiceFilter(
        label=_("Edition"), queryset=Edition.objects.all(), to_field_name="code", field_name="edition"
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")

    class Meta:
        model = MaxResidueLimit
        fields = ["food", "analyte", "edition", "q"]

    def filter_food(self, qs, name, value):
        return qs.filter(food_id__in=_food_and_groups(value))

    def filter_analyte(self, qs, name, value):
        value = value.strip()
        return qs.filter(
            Q(analyte__name_zh=value)
            | Q(analyte__name_en__iexact=value)
            | Q(analyte__aliases__contains=value)
        )

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(
            Q(analyte__name_zh__icontains=value)
            | Q(analyte__name_en__icontains=value)
            | Q(food__name__icontains=value)
            | Q(edition__code__icontains=value)
        )


class VetLimitFilterSet(django_filters.FilterSet):
    """Filters of the veterinary drug limits page and its export: the drug's name (any part of its Chinese or
    English name or other names), the animal species, the target tissue, the edition."""

    q = django_filters.CharFilter(label=_("Drug name"), method="filter_q")
    species = django_filters.ChoiceFilter(label=_("Animal species"), choices=Species.choices)
    tissue = django_filters.ChoiceFilter(label=_("Target tissue"), choices=Tissue.choices)
    edition = django_filters.ModelChoiceFilter(
        label=_("Edition"),
        queryset=Edition.objects.filter(vet_limits__isnull=False).distinct().order_by("in_force", "code"),
        to_field_name="code",
        field_name="edition",
    )

    class Meta:
        model = VetDrugLimit
        fields = ["q", "species", "tissue", "edition"]

    def filter_q(self, qs, name, value):
        value = value.strip()
        return qs.filter(
            Q(analyte__name_zh__icontains=value)
            | Q(analyte__name_en__icontains=value)
            | Q(analyte__aliases__icontains=value)
        )
