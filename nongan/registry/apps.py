from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nongan.core.apps import NavItem, NonganAppConfig


class RegistryConfig(NonganAppConfig):
    name = "nongan.registry"
    label = "registry"
    verbose_name = _("Producer registry")
    nav = (
        NavItem(10, "registry", _("Producers"), "building", "registry:producer_list"),
        NavItem(20, "staff", pgettext_lazy("navigation", "Staff"), "people", "registry:staff_list", "staff"),
    )

    def ready(self):
        from nongan.core.ledger import register_kinds

        from .choices import LEDGER_KINDS

        register_kinds(LEDGER_KINDS)
        from nongan.core import imports as core_imports
        from nongan.core import todo as core_todo
        from nongan.core.models import register_account_link

        from . import numbering  # noqa: F401 - declares the app's number series
        from .accounts import ProducerAccountLink
        from .imports import PRODUCERS
        from .todo import PROVIDERS

        register_account_link(ProducerAccountLink())
        core_imports.register(PRODUCERS)
        for provider in PROVIDERS:
            core_todo.register(provider)

    def urls(self):
        from . import urls

        return [("registry/", urls)]

    def api_routes(self):
        from .api import ROUTES

        return ROUTES

    def demo(self, *, stdout, seed, producers):
        from . import demo
        from .services import categories_load

        categories_load()
        demo.build(stdout=stdout, seed=seed, count=producers)
        demo.accounts()
