from django.utils.translation import gettext_lazy as _

from nongan.core.apps import NavItem, NonganAppConfig


class MonitoringConfig(NonganAppConfig):
    name = "nongan.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")
    nav = (NavItem(40, "monitoring", _("Monitoring"), "clipboard2-pulse", "monitoring:index", "staff"),)

    def ready(self) -> None:
        from nongan.core.ledger import register_kinds

        from .choices import LEDGER_KINDS

        register_kinds(LEDGER_KINDS)
        from nongan.core import imports as core_imports
        from nongan.core import todo as core_todo
        from nongan.registry.selectors import register_producer_tab

        from . import (
            numbering,  # noqa: F401 - declares the app's number series
            todo,
        )
        from .imports import RAPID, RESULTS
        from .producer_tabs import TABS

        core_imports.register(RESULTS)
        core_imports.register(RAPID)
        for tab in TABS:  # its tabs on the producer's page (一户一档)
            register_producer_tab(tab)
        for provider in todo.PROVIDERS:
            core_todo.register(provider)

    def urls(self):
        from . import urls

        return [("monitoring/", urls)]

    def api_routes(self):
        from .api import ROUTES

        return ROUTES

    def demo(self, *, stdout, seed, producers):
        from . import demo

        demo.build(stdout=stdout, seed=seed, producers=producers)
