from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nongan.core.apps import NavItem, NonganAppConfig


class StandardsConfig(NonganAppConfig):
    name = "nongan.standards"
    label = "standards"
    verbose_name = _("Residue standards")
    nav = (
        NavItem(
            30,
            "standards",
            pgettext_lazy("navigation", "Standards"),
            "journal-check",
            "standards:index",
            "staff",
        ),
    )

    def ready(self):
        from nongan.core import imports as core_imports
        from nongan.core.ledger import register_kinds

        from .choices import LEDGER_KINDS

        register_kinds(LEDGER_KINDS)

        from .imports import TABLES

        for importer in TABLES:
            core_imports.register(importer)

    def urls(self):
        from . import api_urls, urls

        return [("standards/", urls), ("api/v1/", api_urls)]

    def api_routes(self):
        from .api import ROUTES

        return ROUTES

    def demo(self, *, stdout, seed, producers):
        from . import demo

        demo.build(stdout=stdout, seed=seed)
