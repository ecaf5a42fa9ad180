"""Template helpers: query-string editing, Bootstrap field rendering, masking, Chinese dates, stored actors
as readers name them."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from nongan.core import idempotency, ledger, validators

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    query = context["request"].GET.copy()
    for k, v in kwargs.items():
        query[k] = v
    return query.urlencode()


@register.simple_tag
def idempotency_field():
    """A hidden form token, new at each rendering: a second send of the same form gets the first result
    (the view is decorated with ``nongan.core.idempotency.idempotent_view``)."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', idempotency.FORM_FIELD, idempotency.new_key()
    )


@register.inclusion_tag("includes/field.html")
def field(bound_field, col="col-12"):
    return {"field": bound_field, "col": col}


@register.filter
def mask_id(value):
    return validators.mask_id_number(value or "")


@register.filter
def mask_phone(value):
    return validators.mask_phone(value or "")


@register.filter
def cndate(value):
    """2026年11月28日"""
    if not value:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def badge_tier(tier):
    colours = {"A": "success", "B": "warning", "C": "danger"}
    return format_html('<span class="badge text-bg-{}">{}</span>', colours.get(tier, "secondary"), tier)


@register.filter
def actor(actor_repr):
    """A stored actor name (ledger, audit, draw events) as shown: the system actor in the page's language."""
    return ledger.actor_label(actor_repr or "")


@register.simple_tag(takes_context=True)
def export_button(context, url_name, *args, label=None):
    """The "导出 Excel" link of a list page: its export URL with the page's current filters (not its page number)."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    url = reverse(url_name, args=args)
    if query:
        url += "?" + query.urlencode()
    return format_html(
        '<a class="btn btn-sm btn-outline-secondary d-print-none" data-testid="export" href="{}">'
        '<i class="bi bi-file-earmark-excel"></i> {}</a>',
        url,
        label or _("Export to Excel"),
    )
