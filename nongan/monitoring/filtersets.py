"""Filters shared by the list pages and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import RapidMethod, RapidOutcome, SampleState, Sector, Verdict
from .models import LabResult, RapidTest, Sample


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class SampleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label=_("Search"),
        widget=forms.TextInput(attrs={"placeholder": _("Sample number, producer or product")}),
    )
    state = django_filters.ChoiceFilter(
        choices=SampleState.choices, label=_("state"), empty_label=_("All states")
    )
    verdict = django_filters.ChoiceFilter(
        choices=Verdict.choices, label=_("verdict"), empty_label=_("All verdicts")
    )
    sector = django_filters.ChoiceFilter(
        choices=Sector.choices, label=_("sector"), empty_label=_("All sectors")
    )
    # A whole year in a sane range: the year lookup builds datetimes, which reject 0, 10000 or 2026.5.
    year = YearFilter(
        field_name="sampled_at", lookup_expr="year", label=_("year"), min_value=2000, max_value=2100
    )

    class Meta:
        model = Sample
        fields = ["state", "verdict", "sector", "township"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class",
                "form-select form-select-sm" if hasattr(f, "choices") else "form-control form-control-sm",
            )

    def search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        from django.db.models import Q

        return qs.filter(
            Q(code__icontains=value) | Q(producer__name__icontains=value) | Q(product__name=value)
        )


class LabResultFilter(django_filters.FilterSet):
    sample = django_filters.CharFilter(field_name="sample__code", label=_("sample"))
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices, label=_("verdict"))

    class Meta:
        model = LabResult
        fields = ["sample", "verdict", "is_current"]


class RapidTestFilter(django_filters.FilterSet):
    outcome = django_filters.ChoiceFilter(
        choices=RapidOutcome.choices, label=_("outcome"), empty_label=_("All outcomes")
    )
    method = django_filters.ChoiceFilter(
        choices=RapidMethod.choices, label=_("method"), empty_label=_("All methods")
    )
    date_from = django_filters.DateFilter(
        field_name="tested_at", lookup_expr="date__gte", label=_("tested from")
    )
    date_to = django_filters.DateFilter(
        field_name="tested_at", lookup_expr="date__lte", label=_("tested until")
    )

    class Meta:
        model = RapidTest
        fields = ["outcome", "method", "township", "confirmed_positive", "false_positive_risk"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class",
                "form-select form-select-sm" if hasattr(f, "choices") else "form-control form-control-sm",
            )
