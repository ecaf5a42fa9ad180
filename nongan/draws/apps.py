from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nongan.core.apps import NavItem, NonganAppConfig


class DrawsConfig(NonganAppConfig):
    name = "nongan.draws"
    label = "draws"
    verbose_name = _("Double-random draws")
    nav = (NavItem(50, "draws", pgettext_lazy("navigation", "Draws"), "shuffle", "draws:index", "staff"),)

    def ready(self) -> None:
        from nongan.core.ledger import register_kinds

        from .choices import LEDGER_KINDS

        register_kinds(LEDGER_KINDS)
        from nongan.core import todo as core_todo

        from . import numbering  # noqa: F401 - declares the app's number series
        from .todo import PROVIDERS

        for provider in PROVIDERS:
            core_todo.register(provider)

    def urls(self):
        from . import urls

        return [("draws/", urls)]

    def api_routes(self):
        from .api import ROUTES

        return ROUTES

    def demo(self, *, stdout, seed, producers):
        from . import demo

        demo.build(stdout=stdout, seed=seed)
