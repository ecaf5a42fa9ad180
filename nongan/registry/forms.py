"""Registry forms: Chinese identifier validation and jurisdiction-limited region choices."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from nongan.core.forms import BootstrapMixin, DateInput, RegionChoiceField, VersionedFormMixin
from nongan.core.validators import (
    normalize_id_number,
    validate_id_number,
    validate_mobile,
)

from .models import Base, Certification, Contact, Producer, ProductCategory, StaffMember
from .services import producer_identifier_errors


class CategoryMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return ("　" * obj.depth) + obj.name


class ProducerForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    products = CategoryMultipleField(
        label=_("Products"),
        queryset=ProductCategory.objects.order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Producer
        fields = [
            "name",
            "type",
            "credit_code",
            "legal_rep",
            "id_number",
            "phone",
            "region",
            "address",
            "is_scale",
            "tier",
            "tier_reason",
            "status",
            "status_reason",
            "established",
            "latitude",
            "longitude",
            "notes",
        ]
        widgets = {
            "established": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"] = RegionChoiceField(user=user, label=_("Village / township"))
        if self.instance.pk:
            self.fields["region"].initial = self.instance.region_id
            self.fields["products"].initial = list(
                self.instance.product_lines.values_list("category_id", flat=True)
            )
        self._style()

    def clean(self):
        cleaned = super().clean()
        values, errors = producer_identifier_errors(
            ptype=cleaned.get("type"),
            credit_code=cleaned.get("credit_code"),
            id_number=cleaned.get("id_number"),
            phone=cleaned.get("phone") or "",
            exclude_pk=self.instance.pk,
        )
        cleaned.update(values)
        for field, message in errors.items():
            self.add_error(field, message)
        if cleaned.get("tier") == "C" and not (cleaned.get("tier_reason") or "").strip():
            self.add_error("tier_reason", _("Give the reason for tier C (key supervision)."))
        return cleaned

    def validate_unique(self):
        """Uniqueness is checked in clean() with a Chinese message; the service guards the race."""


class BaseForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    products = CategoryMultipleField(
        label=_("Crops or animals"),
        queryset=ProductCategory.objects.order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Base
        fields = ["name", "kind", "region", "address", "area", "capacity", "latitude", "longitude"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = RegionChoiceField(user=user, label=_("Village"), levels=("village",))
        if self.instance.pk:
            self.fields["region"].initial = self.instance.region_id
            self.fields["products"].initial = list(self.instance.products.values_list("id", flat=True))
        self._style()

    def clean(self):
        cleaned = super().clean()
        for name in ("area", "capacity"):
            v = cleaned.get(name)
            if v is not None and v < 0:
                self.add_error(name, _("Must not be negative."))
        lat, lng = cleaned.get("latitude"), cleaned.get("longitude")
        if lat is not None and not (3 <= lat <= 54):
            self.add_error("latitude", _("Latitude must lie within China (3°–54° N)."))
        if lng is not None and not (73 <= lng <= 136):
            self.add_error("longitude", _("Longitude must lie within China (73°–136° E)."))
        return cleaned


class CertificationForm(VersionedFormMixin, BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Certification
        fields = ["kind", "number", "product_name", "scope", "issuer", "issued_on", "valid_until"]
        widgets = {
            "issued_on": DateInput(),
            "valid_until": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        cleaned = super().clean()
        a, b = cleaned.get("issued_on"), cleaned.get("valid_until")
        if a and b and b < a:
            self.add_error("valid_until", _("The end of validity is before the issue date."))
        return cleaned

    def validate_unique(self):
        try:
            super().validate_unique()
        except ValidationError:
            self.add_error("number", _("This certificate number is already registered."))


class PersonFieldsMixin:
    """Phone and ID number checks of the people forms (contacts, staff)."""

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        validate_mobile(phone)
        return phone

    def clean_id_number(self):
        idn = normalize_id_number(self.cleaned_data.get("id_number") or "")
        if idn:
            validate_id_number(idn)
        return idn


class ContactForm(VersionedFormMixin, PersonFieldsMixin, BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "id_number", "is_primary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class StaffForm(VersionedFormMixin, PersonFieldsMixin, BootstrapMixin, forms.ModelForm):
    class Meta:
        model = StaffMember
        fields = ["name", "kind", "region", "position", "phone", "id_number", "full_time", "active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = RegionChoiceField(
            user=user, label=_("Region"), levels=("district", "township", "village")
        )
        if self.instance.pk:
            self.fields["region"].initial = self.instance.region_id
        self._style()
