"""Form pieces shared by the apps: a region picker grouped by township, Bootstrap styling, and the one way a
service's ``ValidationError`` reaches the page (``errors_to_form``)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import audit, versions
from .models import Region
from .scoping import regions_for


class DateInput(forms.DateInput):
    """``<input type=date>``. Its value must be ISO (2026-12-01) whatever the language: a browser discards any
    other format (the Chinese input format 2026/12/01 would leave the field empty)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """``<input type=datetime-local>`` with the only value format browsers accept (2026-12-01T08:30)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


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
    """Townships and their villages inside the user's jurisdiction, villages grouped under their township; on
    the page the township is chosen first, then the village (``data-region-picker`` in nongan.js)."""

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
        # nongan.js turns a list of several townships into two selects: the township, then its villages.
        self.widget.attrs.update(
            {"data-region-picker": _("Township"), "data-region-placeholder": _("Choose the township first")}
        )

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


# ------------------------------------------------------------------------------------------ versions
class VersionedFormMixin:
    """An edit form of a versioned record (``nongan.core.versions``) carries the version it was opened at in a
    hidden ``version`` field (rendered by ``includes/form_errors.html``); the view passes
    ``form.cleaned_data["version"]`` to the service as ``expected_version``. A form posted without it (a page
    from before versions) is checked only by the save's own compare-and-set."""

    stale: list[dict] | None = None
    stale_message = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and hasattr(instance, "version"):
            self.fields["version"] = version_field(instance)


def with_version(form, obj):
    """Give a plain (not model) edit form of the versioned ``obj`` its hidden ``version`` field; returns the
    form. Nothing for a record not saved yet."""
    if obj is not None and obj.pk:
        form.fields["version"] = version_field(obj)
    return form


def version_field(obj) -> forms.IntegerField:
    """The hidden field that carries ``obj``'s version in a form."""
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, initial=obj.version)


def _shown(value):
    if isinstance(value, (models.QuerySet, list, tuple, set)) and not isinstance(value, str):
        return sorted(str(v) for v in value)
    return audit._plain(value)


def stale_rows(form, exc: versions.StaleVersion, current: dict | None = None) -> list[dict]:
    """What to show a user whose save was refused as stale: per field of the form, the value when they opened
    it, the value they sent and the value now, for each field someone else changed since (``changed``) or
    that they changed themselves. ``current`` is the record's values now (default: its audit snapshot)."""
    changed = exc.changes()
    if current is None:
        current = audit.snapshot(type(exc.obj)._base_manager.get(pk=exc.obj.pk))
    cleaned = getattr(form, "cleaned_data", {}) or {}
    rows = []
    for name, field in form.fields.items():
        if name == "version" or (name not in changed and name not in current):
            continue
        now = changed[name]["now"] if name in changed else current.get(name)
        was = changed[name]["was"] if name in changed else now
        yours = _shown(cleaned.get(name)) if name in cleaned else was
        if name in changed or yours != was:
            rows.append(
                {
                    "field": field.label or name,
                    "was": _text(was),
                    "yours": _text(yours),
                    "now": _text(now),
                    "changed": name in changed,
                }
            )
    return rows


def _text(value):
    return "、".join(value) if isinstance(value, list) else value


def refuse_stale(form, exc: versions.StaleVersion, fresh_form) -> object:
    """The form to show again after a stale save: ``fresh_form`` (the record as it is now, with its current
    version) carrying the refusal and :func:`stale_rows` of ``form`` (what the user sent)."""
    fresh_form.stale = stale_rows(form, exc)
    fresh_form.stale_message = exc.messages[0]
    return fresh_form
