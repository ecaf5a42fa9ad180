"""Form pieces shared by the apps: a region picker grouped by township, Bootstrap styling."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Region
from .scoping import regions_for


class BootstrapMixin:
    """Adds Bootstrap classes to every widget."""

    def _style(self):
        for field in self.fields.values():
            w = field.widget
            if isinstance(w, (forms.CheckboxInput,)):
                w.attrs.setdefault("class", "form-check-input")
            elif isinstance(w, (forms.Select, forms.SelectMultiple)):
                w.attrs.setdefault("class", "form-select")
            else:
                w.attrs.setdefault("class", "form-control")


class RegionChoiceField(forms.ModelChoiceField):
    """Townships and their villages inside the user's jurisdiction, villages grouped under their township."""

    def __init__(self, *args, user=None, levels=("township", "village"), **kwargs):
        qs = regions_for(user).filter(level__in=levels) if user is not None else Region.objects.none()
        super().__init__(qs.order_by("path"), *args, **kwargs)
        self.error_messages["invalid_choice"] = _("Choose a region inside your jurisdiction.")
        groups: dict[str, list] = {}
        order: list[str] = []
        for r in qs.order_by("path").select_related("parent"):
            key = r.name if r.level == "township" else (r.parent.name if r.parent else "")
            if key not in groups:
                groups[key] = []
                order.append(key)
            label = r.name + (_(" (whole township)") if r.level == "township" else "")
            groups[key].append((r.pk, label))
        self.choices = [("", "---------")] + [(k, groups[k]) for k in order]

    def label_from_instance(self, obj):
        return obj.name
