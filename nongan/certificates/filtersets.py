import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import CertificateStatus
from .models import Certificate, ProductionBatch


class CertificateFilterSet(django_filters.FilterSet):
    number = django_filters.CharFilter(label=_("Certificate no."), lookup_expr="startswith")
    producer = django_filters.CharFilter(field_name="producer__code", label=_("Producer registry number"))
    batch = django_filters.CharFilter(field_name="batch__code", label=_("Batch number"))
    status = django_filters.ChoiceFilter(choices=CertificateStatus.choices, label=_("Status"))
    issued_after = django_filters.DateFilter(
        field_name="issued_at", lookup_expr="date__gte", label=_("Issued from")
    )
    issued_before = django_filters.DateFilter(
        field_name="issued_at", lookup_expr="date__lte", label=_("Issued until")
    )
    suspicious = django_filters.BooleanFilter(label=_("Possible counterfeit"))

    class Meta:
        model = Certificate
        fields = ["number", "producer", "batch", "status", "suspicious"]


class BatchFilterSet(django_filters.FilterSet):
    producer = django_filters.CharFilter(field_name="producer__code", label=_("Producer registry number"))

    class Meta:
        model = ProductionBatch
        fields = ["producer", "status", "product"]
