"""Template context for the UI shell: the navigation, built from what each installed app offers (its
``AppConfig.nav``, see ``nongan.core.apps``)."""

from django.urls import NoReverseMatch, reverse

from .apps import nav_items
from .scoping import can_manage


def shell(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for item in nav_items():
            if item.who == "admin" and not can_manage(user):
                continue
            if item.who == "staff" and user.is_entity_role:
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            items.append({"key": item.key, "label": item.label, "icon": item.icon, "url": url})
    return {"nav_items": items}
