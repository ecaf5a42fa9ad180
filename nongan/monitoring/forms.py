"""Forms of the monitoring pages; they collect input, services validate and write."""

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nongan.core.forms import BootstrapMixin, DateInput, DateTimeInput
from nongan.core.scoping import region_line_q
from nongan.draws import selectors as draw_selectors
from nongan.registry import selectors as registry
from nongan.standards.choices import Species, Tissue

from .choices import RapidMethod, TLine
from .services import SAMPLER_ROLES


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class PlanForm(StyledForm):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("title"), max_length=128, required=False)
    quantitative_target = forms.IntegerField(
        label=_("quantitative samples (total)"), min_value=0, initial=800
    )
    crop = forms.IntegerField(label=_("Crop products"), min_value=0, initial=500)
    livestock = forms.IntegerField(label=_("Livestock products"), min_value=0, initial=150)
    aquatic = forms.IntegerField(label=_("Aquatic products"), min_value=0, initial=150)
    pass_rate_target = forms.DecimalField(
        label=_("pass-rate target (%)"), min_value=0, max_value=100, initial=97
    )
    district_rapid_target = forms.IntegerField(label=_("district rapid tests"), min_value=0, initial=8000)
    township_rapid_target = forms.IntegerField(
        label=_("township rapid tests (all townships)"), min_value=0, initial=7200
    )
    focus_products = forms.ModelMultipleChoiceField(
        label=_("focus products"), queryset=registry.categories(), required=False
    )
    focus_analytes = forms.CharField(
        label=_("focus analytes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    coverage_reason = forms.CharField(
        label=_("Reason for testing focus pairs no limit covers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The plan is published: a change that leaves focus pairs without a limit in force needs a reason; "
            "kept, audited and ledgered."
        ),
    )

    def __init__(self, *args, towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.towns = list(towns)
        for t in self.towns:
            self.fields[f"q_{t.pk}"] = forms.IntegerField(label=t.name, min_value=0, required=False)
            self.fields[f"r_{t.pk}"] = forms.IntegerField(label=t.name, min_value=0, required=False)
        self._style()

    def town_fields(self):
        return [(t, self[f"q_{t.pk}"], self[f"r_{t.pk}"]) for t in self.towns]


class VillageShareForm(StyledForm):
    """A township's share divided among its villages: quantitative samples and rapid tests per village
    (empty = no share)."""

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.villages = list(villages)
        for v in self.villages:
            self.fields[f"q_{v.pk}"] = forms.IntegerField(label=v.name, min_value=0, required=False)
            self.fields[f"r_{v.pk}"] = forms.IntegerField(label=v.name, min_value=0, required=False)
        self._style()

    def village_fields(self):
        return [(v, self[f"q_{v.pk}"], self[f"r_{v.pk}"]) for v in self.villages]


class TaskForm(StyledForm):
    producer = forms.ModelChoiceField(label=_("producer"), queryset=registry.producers().none())
    product = forms.ModelChoiceField(label=_("product"), queryset=registry.category_leaves(), required=False)
    due = forms.DateField(label=_("due"), required=False, widget=DateInput())
    notes = forms.CharField(label=_("notes"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = registry.producers_in_scope(user)
        # Not a drop-down of the district's thousands of producers: the search beside it fills the choices
        # (views.sample_producer_options); the posted producer is checked against the whole scoped queryset.
        self.fields["producer"].widget.choices = [("", "---------")]


class DrawTasksForm(StyledForm):
    """The round is chosen by its code (SJ2026-0003) among the drawn or published rounds the user sees."""

    round = forms.ModelChoiceField(
        label=_("draw round"), queryset=draw_selectors.rounds_with_selection(None), to_field_name="code"
    )
    due = forms.DateField(label=_("due"), required=False, widget=DateInput())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["round"]
        field.queryset = draw_selectors.rounds_with_selection(user)
        field.error_messages["invalid_choice"] = _("No drawn round with this code in your jurisdiction.")


class SampleForm(StyledForm):
    producer = forms.ModelChoiceField(label=_("producer"), queryset=registry.producers().none())
    base = forms.ModelChoiceField(
        label=_("production base"), queryset=registry.bases().none(), required=False
    )
    product = forms.ModelChoiceField(label=_("product"), queryset=registry.category_leaves())
    lot = forms.CharField(label=_("lot"), max_length=64, required=False)
    quantity = forms.CharField(label=_("quantity"), max_length=20)
    quantity_unit = forms.CharField(label=_("unit"), max_length=16, initial="kg")
    place = forms.CharField(label=_("place of sampling"), max_length=255)
    latitude = forms.CharField(label=_("latitude"), required=False)
    longitude = forms.CharField(label=_("longitude"), required=False)
    sampled_at = forms.DateTimeField(label=_("sampling time"), widget=DateTimeInput())
    seal_number = forms.CharField(label=_("seal number"), max_length=64, required=False)
    party_name = forms.CharField(label=_("sampled party's signatory"), max_length=64, required=False)
    party_confirmed = forms.BooleanField(label=_("confirmed by the sampled party"), required=False)
    certificate_number = forms.CharField(
        label=_("certificate number of the lot"), max_length=64, required=False
    )
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    species = forms.ChoiceField(
        label=_("animal species"),
        choices=[("", "---------")]
        + [c for c in Species.choices if c[0] not in (Species.ALL, Species.RUMINANT)],
        required=False,
        help_text=_("Animal products tested for veterinary drugs."),
    )
    tissue = forms.ChoiceField(
        label=_("tissue"), choices=[("", "---------"), *Tissue.choices], required=False
    )
    fat_content = forms.CharField(
        label=_("fat content (%)"),
        max_length=8,
        required=False,
        help_text=_("Where a limit is on a fat basis."),
    )
    photos = forms.FileField(
        label=_("photos"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    co_samplers = forms.ModelMultipleChoiceField(
        label=_("other samplers present"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Everyone who took the sample with you; they are named on the sampling form."),
    )

    def __init__(self, *args, user=None, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.fields["producer"].queryset = producers = registry.producers_in_scope(user)
        self.fields["base"].queryset = bases = registry.bases_in_scope(user)
        # The page offers only the chosen producer, its bases and its products (a district holds thousands
        # of producers and bases): another producer is found by the search next to the field and its bases
        # and products are then fetched (views.sample_producer_options / sample_producer_parts). The
        # querysets above stay whole, so what is posted is still checked here and in the service.
        self.producer = producer = self._chosen(producers)
        self.fields["producer"].widget.attrs.update(
            {
                "hx-get": reverse("monitoring:sample_producer_parts"),
                "hx-trigger": "change",
                "hx-target": "#producer-parts",
                "hx-swap": "outerHTML",
            }
        )
        self.fields["producer"].widget.choices = [("", "---------")] + (
            [(producer.pk, str(producer))] if producer else []
        )
        self.fields["base"].widget.choices = [("", "---------")] + (
            [(b.pk, b.name) for b in bases.filter(producer=producer).only("pk", "name")] if producer else []
        )
        self.allowed_products = registry.products_of(producer, also=[task.product] if task else ())
        self.fields["product"].widget.choices = [("", "---------")] + (
            [(c.pk, c.name) for c in self.allowed_products] if producer else []
        )

        field = self.fields["co_samplers"]
        if user is not None and user.jurisdiction_id:
            field.queryset = (
                get_user_model()
                .objects.filter(is_active=True, role__in=SAMPLER_ROLES)
                .filter(region_line_q("jurisdiction", user.jurisdiction))
                .exclude(pk=user.pk)
                .order_by("role", "username")
            )
        field.widget.attrs["size"] = 3

    def _chosen(self, producers):
        key = self.data.get("producer") if self.is_bound else self.initial.get("producer")
        if registry.is_producer(key):
            key = key.pk
        try:
            return producers.filter(pk=int(key)).first() if key not in (None, "") else None
        except (ValueError, TypeError):
            return None

    def clean(self):
        data = super().clean()
        product, producer = data.get("product"), data.get("producer")
        if product and producer and product not in self.allowed_products:
            self.add_error(
                "product",
                _("“%(product)s” is not among the products of %(producer)s on record.")
                % {"product": product.name, "producer": producer.name},
            )
        return data


class TransitionForm(StyledForm):
    action = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("reason"), max_length=255, required=False)


class ResultRowForm(StyledForm):
    analyte = forms.CharField(label=_("analyte"), max_length=64, required=False)
    value = forms.CharField(label=_("value"), max_length=32, required=False)
    unit = forms.CharField(label=_("unit"), max_length=16, required=False, initial="mg/kg")
    method = forms.CharField(label=_("method"), max_length=128, required=False)
    lod = forms.CharField(label=_("limit of detection"), max_length=32, required=False)
    loq = forms.CharField(label=_("limit of quantification"), max_length=32, required=False)
    instrument = forms.CharField(label=_("instrument"), max_length=128, required=False)


ResultFormSet = forms.formset_factory(ResultRowForm, extra=5, max_num=50)


class CorrectionForm(StyledForm):
    value = forms.CharField(label=_("value"), max_length=32)
    unit = forms.CharField(label=_("unit"), max_length=16)
    reason = forms.CharField(label=_("reason for the retest or correction"), max_length=255)


class UploadForm(StyledForm):
    file = forms.FileField(label=_("file"))


class RapidTestForm(StyledForm):
    station = forms.CharField(
        label=_("station"), required=False, help_text=_("Division code; empty = your own township.")
    )
    producer = forms.CharField(label=_("producer registry number"), required=False)
    product = forms.CharField(label=_("product"))
    lot = forms.CharField(label=_("lot"), required=False)
    method = forms.ChoiceField(label=_("method"), choices=RapidMethod.choices)
    analyte = forms.CharField(label=_("analyte"), required=False)
    inhibition = forms.CharField(label=_("inhibition (%)"), required=False)
    threshold = forms.CharField(label=_("positive threshold (%)"), required=False, initial="50")
    c_line = forms.ChoiceField(
        label=_("C line visible"), required=False, choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))]
    )
    t_line = forms.ChoiceField(label=_("T line"), required=False, choices=[("", "—"), *TLine.choices])
    tested_at = forms.DateTimeField(label=_("test time"), widget=DateTimeInput())
    instrument = forms.CharField(label=_("instrument"), required=False)
    retest_of = forms.IntegerField(label=_("retest of"), required=False, widget=forms.HiddenInput)


class FollowUpForm(StyledForm):
    trace_note = forms.CharField(
        label=_("trace to the producer's records"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    measures = forms.CharField(
        label=_("measures taken"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    case_number = forms.CharField(label=_("enforcement case number"), max_length=64, required=False)
    close = forms.BooleanField(
        label=_("Propose closing"),
        required=False,
        help_text=_(
            "A second person approves the closing (a district administrator where the township has one supervisor)."
        ),
    )


def _samplers_near(user):
    """Active samplers whose area lies on the user's line (above or inside their jurisdiction)."""
    qs = get_user_model().objects.filter(is_active=True, role__in=SAMPLER_ROLES)
    if user is not None and user.jurisdiction_id:
        qs = qs.filter(region_line_q("jurisdiction", user.jurisdiction))
    elif not (user is not None and user.is_superuser):
        qs = qs.none()
    return qs.select_related("jurisdiction").order_by("role", "username")


class AssignForm(StyledForm):
    """The sampler to assign to one task or to the tasks ticked on the list (the service checks each)."""

    sampler = forms.ModelChoiceField(label=_("sampler"), queryset=get_user_model().objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sampler"].queryset = _samplers_near(user)


class PublishPlanForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason for testing focus pairs no limit covers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required when a focus pair has no limit in force over the plan's year; kept and audited."
        ),
    )
