"""Template context for the UI shell: the navigation, built from what each installed app offers."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .scoping import can_manage

# (section, label, icon, url name, who sees it)
NAV = [
    ("home", _("Overview"), "speedometer2", "home", "all"),
    ("registry", _("Producers"), "building", "registry:producer_list", "all"),
    ("staff", pgettext_lazy("navigation", "Staff"), "people", "registry:staff_list", "staff"),
    ("standards", pgettext_lazy("navigation", "Standards"), "journal-check", "standards:index", "staff"),
    ("monitoring", _("Monitoring"), "clipboard2-pulse", "monitoring:index", "staff"),
    ("draws", pgettext_lazy("navigation", "Draws"), "shuffle", "draws:index", "staff"),
    ("certificates", _("Certificates"), "qr-code", "certificates:index", "all"),
    ("audit", pgettext_lazy("navigation", "Ledger"), "shield-check", "core:ledger", "admin"),
]


def shell(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for key, label, icon, url_name, who in NAV:
            if who == "admin" and not can_manage(user):
                continue
            if who == "staff" and user.is_entity_role:
                continue
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            items.append({"key": key, "label": label, "icon": icon, "url": url})
    return {"nav_items": items}
