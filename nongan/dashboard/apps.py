from django.utils.translation import gettext_lazy as _

from nongan.core.apps import NavItem, NonganAppConfig


class DashboardConfig(NonganAppConfig):
    """The top of the order: the home page and its cross-app summaries, and ``nongan demo``. It reads from
    every app; nothing reads from it."""

    name = "nongan.dashboard"
    label = "dashboard"
    verbose_name = _("Overview")
    nav = (NavItem(0, "home", _("Workbench"), "speedometer2", "home"),)

    def urls(self):
        from . import urls

        return [("", urls)]
