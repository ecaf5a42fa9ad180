from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nongan.core.forms import DateInput
from nongan.core.models import Region
from nongan.registry import selectors as registry

from .choices import Basis, HarvestKind, InputKind, Unit
from .labels import DEFAULT_SIZE, SIZES


class BatchForm(forms.Form):
    producer = forms.ModelChoiceField(queryset=registry.producers().none(), label=_("Producer"))
    product = forms.ModelChoiceField(
        queryset=registry.category_leaves().filter(certificate_scope=True),
        label=_("Product"),
    )
    origin = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        label=_("Origin village"),
        required=False,
        help_text=_(
            "The village the product comes from: the producer's village or a village of its township."
        ),
    )
    plot = forms.CharField(label=_("Plot / greenhouse / pen"), max_length=64, required=False)
    started = forms.DateField(label=_("Planted / stocked on"), widget=DateInput)
    expected_quantity = forms.DecimalField(label=_("Expected quantity"), required=False, min_value=0)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, producers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = producers if producers is not None else registry.producers().none()
        self._limit_products()
        regions = self.fields["producer"].queryset.values("region")
        villages = (
            Region.objects.filter(level="village")
            .filter(Q(parent__in=regions) | Q(pk__in=regions))
            .select_related("parent")
            .order_by("path")
        )
        field = self.fields["origin"]
        field.queryset = villages
        field.error_messages["invalid_choice"] = _("Choose a village of the producer's township.")
        field.label_from_instance = lambda r: f"{r.parent.name} {r.name}" if r.parent_id else r.name

    def _limit_products(self) -> None:
        """A producer's own form offers the products it is registered for (its product lines and their kinds),
        not the whole catalogue; likewise once staff have chosen the producer (a form shown again)."""
        producers = self.fields["producer"].queryset
        only = producers.first() if producers.count() == 1 else None
        raw = str(self.data.get(self.add_prefix("producer")) or "") if self.is_bound else ""
        if only is None and raw.isdigit():
            only = producers.filter(pk=int(raw)).first()
        if only is None:
            return
        paths = list(
            registry.categories()
            .filter(pk__in=registry.product_lines_of([only.pk]).values("category"))
            .values_list("path", flat=True)
        )
        if not paths:
            return
        match = Q()
        for path in paths:
            match |= Q(path__startswith=path)
        field = self.fields["product"]
        field.queryset = field.queryset.filter(match)
        field.error_messages["invalid_choice"] = _(
            "Choose one of the products registered for this producer; register another product first."
        )
        if producers.count() == 1:
            self.fields["producer"].initial = only.pk


class InputUseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=InputKind.choices)
    product_name = forms.CharField(label=_("Input product"), max_length=128)
    active_ingredient = forms.CharField(label=_("Active ingredient"), max_length=128, required=False)
    source = forms.CharField(label=_("Bought from"), max_length=128, required=False)
    dose = forms.DecimalField(label=_("Dose"), required=False, min_value=0)
    dose_unit = forms.CharField(label=_("Dose unit"), max_length=16, required=False)
    used_on = forms.DateField(label=_("Used on"), widget=DateInput)
    plot = forms.CharField(label=_("Plot / pen"), max_length=64, required=False)
    interval_days = forms.IntegerField(
        label=_("Pre-harvest interval / withdrawal period (days)"), min_value=0, max_value=365, initial=0
    )
    purpose = forms.CharField(label=_("Purpose (pest, disease)"), max_length=128, required=False)
    late_reason = forms.CharField(label=_("Reason for late entry"), max_length=255, required=False)


class InputEditForm(InputUseForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=255)


class HarvestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=HarvestKind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    quantity = forms.DecimalField(label=_("Amount"), min_value=0)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)


class IssueForm(forms.Form):
    quantity = forms.DecimalField(label=_("Quantity per certificate"), min_value=0)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    count = forms.IntegerField(
        label=_("Number of certificates"),
        min_value=1,
        max_value=10000,
        initial=1,
        help_text=_("One per package or per vehicle."),
    )
    basis = forms.ChoiceField(label=_("Basis of the promise"), choices=Basis.choices)
    test_record = forms.CharField(label=_("Test record"), max_length=255, required=False)
    basis_sample = forms.CharField(
        label=_("Sample number of the test"),
        max_length=20,
        required=False,
        help_text=_("For a lab-test basis: a qualified sample of this producer."),
    )
    basis_rapid_test = forms.IntegerField(
        label=_("Rapid test number"),
        min_value=1,
        required=False,
        help_text=_("For a self-test basis: a negative rapid test of this producer."),
    )
    promiser = forms.CharField(label=_("Promising party"), max_length=128, required=False)
    contact = forms.CharField(label=_("Contact phone"), max_length=32, required=False)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for revocation"), max_length=255)


class LabelForm(forms.Form):
    size = forms.ChoiceField(
        label=_("Label size"),
        choices=[(k, s.label) for k, s in SIZES.items()],
        initial=DEFAULT_SIZE,
        required=False,
    )
    sheet = forms.ChoiceField(
        label=_("Layout"),
        choices=[("label", _("One per label (label printer)")), ("a4", _("Many per A4 sheet"))],
        initial="label",
        required=False,
    )


class PurchaseForm(forms.Form):
    collector = forms.ModelChoiceField(queryset=registry.producers().none(), label=_("Buyer / collector"))
    lot = forms.CharField(label=_("Purchase lot"), max_length=64)
    lines = forms.CharField(
        label=_("Certificates collected"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "https://…/v/32070726000001230?s=… 500 kg"}),
        help_text=_(
            "One line per certificate: the scanned QR code (the whole text), quantity, unit. "
            "The certificate number alone is not accepted."
        ),
    )

    def __init__(self, *args, producers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].queryset = (
            producers if producers is not None else registry.producers().none()
        )


class MarketScanForm(forms.Form):
    """Step one of a market check: the certificate's QR (scanned or pasted) or its number, typed."""

    number = forms.CharField(
        label=_("Certificate number or QR content"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_(
            "Scan the QR code with the camera, paste what a scanner read, or type the 17-character number."
        ),
    )


class MarketCheckForm(forms.Form):
    """Step two: the lot, saved with the certificate shown above it (the number travels hidden)."""

    market = forms.CharField(label=_("Market"), max_length=128)
    product_name = forms.CharField(label=_("Product"), max_length=64)
    number = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
    quantity = forms.DecimalField(label=_("Amount"), required=False, min_value=0)
    unit = forms.ChoiceField(label=_("Unit"), choices=[("", "—"), *Unit.choices], required=False)
    seller_name = forms.CharField(label=_("Seller (as stated)"), max_length=128, required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
