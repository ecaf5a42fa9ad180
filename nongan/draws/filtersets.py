"""One FilterSet for the list page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import Purpose, RoundStatus
from .models import DrawRound


class DrawRoundFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RoundStatus.choices)
    purpose = django_filters.ChoiceFilter(label=_("Purpose"), choices=Purpose.choices)

    class Meta:
        model = DrawRound
        fields = ["year", "status", "purpose"]
