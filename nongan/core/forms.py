"""Form pieces shared by the apps: a region picker grouped by township, Bootstrap styling, and the one way a
service's ``ValidationError`` reaches the page (``errors_to_form``)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
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


def errors_to_form(exc: ValidationError, form=None, request=None) -> None:
    """Show a service's ``ValidationError`` on the page.

    Each message of a field the form has goes onto that field. Whatever is left (a field the form does not
    show, or an error without fields) goes to the page's messages when ``request`` is given, otherwise onto
    the form as a non-field error. Without a form everything goes to the messages.
    """
    leftovers: list[str] = []
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field in form.fields:
                for error in errors:
                    form.add_error(field, error)
            else:
                leftovers.extend(m for error in errors for m in error.messages)
    else:
        leftovers = list(exc.messages)
    if not leftovers:
        return
    if request is not None:
        for m in leftovers:
            messages.error(request, m)
    elif form is not None:
        form.add_error(None, leftovers)
    else:
        raise ValueError("errors_to_form needs a form or a request")
