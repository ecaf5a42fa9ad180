"""Forms of the draws app. They only shape input; the services validate and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nongan.core.models import Region
from nongan.core.scoping import regions_for
from nongan.registry import selectors as registry
from nongan.registry.choices import ProducerType, Tier

from .choices import ConflictKind, Purpose, Strata
from .selectors import eligible_inspectors

SCALE_CHOICES = [("", _("Any")), ("1", _("Scale producers only")), ("0", _("Non-scale producers only"))]


def _style(form: forms.Form) -> None:
    for f in form.fields.values():
        w = f.widget
        if isinstance(w, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
            w.attrs.setdefault("class", "form-check-input")
            continue
        if isinstance(w, forms.CheckboxInput):
            w.attrs.setdefault("class", "form-check-input")
        elif isinstance(w, (forms.Select, forms.SelectMultiple)):
            w.attrs.setdefault("class", "form-select")
        else:
            w.attrs.setdefault("class", "form-control")


def inspector_label(obj) -> str:
    place = obj.jurisdiction.name if obj.jurisdiction_id else ""
    return f"{obj.full_name or obj.username}（{obj.get_role_display()} · {place}）"


class InspectorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return inspector_label(obj)


class InspectorField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return inspector_label(obj)


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=128)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    region = forms.ModelChoiceField(label=_("Jurisdiction covered"), queryset=Region.objects.none())
    township = forms.ModelChoiceField(
        label=_("Township"), queryset=Region.objects.none(), required=False, to_field_name="code"
    )
    village = forms.ModelChoiceField(
        label=_("Village"), queryset=Region.objects.none(), required=False, to_field_name="code"
    )
    types = forms.MultipleChoiceField(
        label=_("Producer types"),
        choices=ProducerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tiers = forms.MultipleChoiceField(
        label=_("Supervision tiers"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.ModelChoiceField(
        label=_("Product category"),
        queryset=registry.categories().filter(depth__lte=1).order_by("path"),
        required=False,
        to_field_name="code",
    )
    is_scale = forms.ChoiceField(label=_("Scale producers"), choices=SCALE_CHOICES, required=False)
    count = forms.IntegerField(label=_("Number of objects"), required=False, min_value=1)
    ratio = forms.DecimalField(
        label=_("Ratio"),
        required=False,
        max_digits=5,
        decimal_places=4,
        help_text=_("Between 0 and 1, e.g. 0.05 for 5%. Give a number or a ratio."),
    )
    strata = forms.ChoiceField(label=_("Strata"), choices=Strata.choices)
    inspectors_per_object = forms.IntegerField(
        label=_("Inspectors per object"), initial=2, min_value=2, max_value=10
    )
    inspectors = InspectorChoiceField(
        label=_("Inspector pool"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A sampling round draws samplers and enforcement officers only."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = regions_for(user)
        self.fields["region"].queryset = regions.filter(level__in=("district", "township")).order_by("path")
        self.fields["township"].queryset = regions.filter(level="township").order_by("path")
        self.fields["village"].queryset = regions.filter(level="village").order_by("path")
        self.fields["inspectors"].queryset = (
            eligible_inspectors(user.jurisdiction)
            if user.jurisdiction_id
            else eligible_inspectors(Region(path="/-/"))
        )
        self.fields["year"].initial = timezone.localdate().year
        if user.jurisdiction_id:
            self.fields["region"].initial = user.jurisdiction_id
        _style(self)

    def filter_spec(self) -> dict:
        d = self.cleaned_data
        spec = {
            "township": d["township"].code if d.get("township") else None,
            "village": d["village"].code if d.get("village") else None,
            "types": d.get("types") or [],
            "tiers": d.get("tiers") or [],
            "category": d["category"].code if d.get("category") else None,
            "is_scale": {"1": True, "0": False}.get(d.get("is_scale") or ""),
        }
        return {k: v for k, v in spec.items() if v not in (None, [], "")}


class CommitForm(forms.Form):
    """The seed is always generated by the server and sealed; the administrator may name a public value."""

    beacon_source = forms.CharField(
        label=_("Public random value to combine (optional)"),
        required=False,
        max_length=255,
        help_text=_(
            "Name a value nobody knows yet, e.g. “福彩3D 2026年12月1日开奖号码”; it is entered at the draw."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


WITNESS_ROWS = 3


class DrawForm(forms.Form):
    """The draw: the inspectors present each enter a value of their own choosing (at least two), the public
    random value when one was named, and the seed only for a round whose seed was entered by hand."""

    seed = forms.CharField(label=_("Seed"), required=False, max_length=128)
    beacon_value = forms.CharField(label=_("Public random value"), required=False, max_length=128)

    def __init__(self, *args, rnd=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rnd is None or rnd.seed_source != "entered":
            del self.fields["seed"]
        if rnd is not None and not rnd.beacon_source:
            del self.fields["beacon_value"]
        elif rnd is not None:
            self.fields["beacon_value"].help_text = rnd.beacon_source
        pool = [(m.user_id, m.name) for m in rnd.pool.order_by("user_id")] if rnd is not None else []
        for n in range(1, WITNESS_ROWS + 1):
            self.fields[f"witness_{n}"] = forms.TypedChoiceField(
                label=_("Inspector present %(n)d") % {"n": n},
                choices=[("", "—")] + pool,
                coerce=int,
                required=False,
                empty_value=None,
            )
            self.fields[f"value_{n}"] = forms.CharField(
                label=_("Their value %(n)d") % {"n": n},
                required=False,
                max_length=64,
                help_text=_("Typed by the inspector: any 4 to 64 characters nobody could know in advance.")
                if n == 1
                else "",
            )
        _style(self)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        kw = {k: d[k] for k in ("seed", "beacon_value") if k in d}
        kw["witnesses"] = [
            (d.get(f"witness_{n}"), d.get(f"value_{n}") or "") for n in range(1, WITNESS_ROWS + 1)
        ]
        return kw


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ConflictForm(forms.Form):
    inspector = InspectorField(label=_("Inspector"), queryset=None, required=False)
    producer_code = forms.CharField(label=_("Registry number of the producer"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=ConflictKind.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, user, manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if manager and user.jurisdiction_id:
            f = self.fields["inspector"]
            f.queryset = eligible_inspectors(user.jurisdiction)
            f.required = True
        else:
            del self.fields["inspector"]
        _style(self)
