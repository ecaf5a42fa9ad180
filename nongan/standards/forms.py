"""Forms of the standards pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nongan.core.forms import DateInput

from .choices import AnalyteKind, ImportKind, Species, Tissue
from .models import Analyte, Edition


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"), choices=ImportKind.choices, initial=ImportKind.MRL)
    edition = forms.ModelChoiceField(
        label=_("Edition"),
        queryset=Edition.objects.all(),
        required=False,
        to_field_name="code",
        help_text=_(
            "For a limit table: the edition its rows belong to. Leave empty when the file has a standard "
            "column. An edition that already has limits is never added to."
        ),
    )
    complete = forms.BooleanField(
        label=_("The file is the complete table of the edition"),
        required=False,
        help_text=_(
            "Official table only. Ticked: every loaded limit of the edition that the file does not hold is removed "
            "and the edition is no longer marked as loaded in part. Not ticked: only the compounds in the file are "
            "replaced, and the edition is marked as loaded in part."
        ),
    )
    file = forms.FileField(label=_("File (.csv or .xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if f.size > settings.NONGAN_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.")
                % {"mb": settings.NONGAN_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return f


class JudgeForm(forms.Form):
    food = forms.CharField(label=_("Food"), max_length=64)
    analyte = forms.CharField(label=_("Pesticide / drug"), max_length=128)
    value = forms.CharField(label=_("Measured value"), max_length=32)
    unit = forms.ChoiceField(
        label=_("Unit"), choices=[("mg/kg", "mg/kg"), ("μg/kg", "μg/kg"), ("mg/L", "mg/L")]
    )
    lod = forms.CharField(label=_("Limit of detection"), max_length=32, required=False)
    date = forms.DateField(label=_("Sampling date"), required=False, widget=DateInput())
    # Veterinary drugs (GB 31650, 公告第250号): species and tissue make it a veterinary judgement.
    species = forms.ChoiceField(
        label=_("Animal species"),
        required=False,
        choices=[("", "—"), *[(c, label) for c, label in Species.choices if c != Species.ALL]],
    )
    tissue = forms.ChoiceField(label=_("Tissue"), required=False, choices=[("", "—"), *Tissue.choices])
    fat = forms.CharField(label=_("Fat content (%)"), max_length=16, required=False)
    decision_limit = forms.CharField(label=_("Decision limit (CCα)"), max_length=32, required=False)


class AnalyteForm(forms.Form):
    """Edit an analyte. The Chinese name is read-only once limits or lists refer to the analyte."""

    name_zh = forms.CharField(label=_("Chinese name"), max_length=64)
    name_en = forms.CharField(label=_("English name"), max_length=128, required=False)
    cas = forms.CharField(
        label=_("CAS number"),
        max_length=32,
        required=False,
        help_text=_("e.g. 52-68-6; the check digit is verified."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=AnalyteKind.choices)
    aliases = forms.CharField(
        label=_("Other names"), max_length=255, required=False, help_text=_("Separated by ;")
    )

    def __init__(self, *args, analyte: Analyte, locked: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name_zh": analyte.name_zh,
                "name_en": analyte.name_en,
                "cas": analyte.cas,
                "kind": analyte.kind,
                "aliases": analyte.aliases,
            },
        )
        super().__init__(*args, **kwargs)
        if locked:
            f = self.fields["name_zh"]
            f.disabled = True  # a bound form takes the stored value, whatever is posted
            f.help_text = _("Limits or lists refer to this analyte: its Chinese name is fixed.")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class EditionPartialForm(forms.Form):
    """Mark an edition loaded in part (a pair it does not hold is "limit not loaded") or complete ("no limit")."""

    partial = forms.TypedChoiceField(
        label=_("Loaded in part"),
        choices=[("1", _("Loaded in part")), ("0", _("Complete"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)
