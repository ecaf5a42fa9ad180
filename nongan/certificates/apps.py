from django.utils.translation import gettext_lazy as _

from nongan.core.apps import NavItem, NonganAppConfig


class CertificatesConfig(NonganAppConfig):
    name = "nongan.certificates"
    label = "certificates"
    verbose_name = _("Certificates and traceability")
    nav = (NavItem(60, "certificates", _("Certificates"), "qr-code", "certificates:index"),)

    def ready(self) -> None:
        from nongan.core.ledger import register_kinds

        from .choices import LEDGER_KINDS

        register_kinds(LEDGER_KINDS)
        from django.db.models.signals import post_migrate

        from nongan.core import todo as core_todo
        from nongan.monitoring.events import certified_sample_failed
        from nongan.registry.selectors import register_producer_tab

        from . import numbering  # noqa: F401 - declares the app's number series
        from .producer_tabs import TABS
        from .services import certificate_promise_contradicted
        from .todo import PROVIDERS

        # A failed sample that names a certificate contradicts its promise (inside the verdict's transaction).
        certified_sample_failed.connect(certificate_promise_contradicted)
        for tab in TABS:  # its tab on the producer's page (一户一档)
            register_producer_tab(tab)
        for provider in PROVIDERS:
            core_todo.register(provider)
        post_migrate.connect(_make_dev_key_file, sender=self, dispatch_uid="certificates_dev_key_file")

    def urls(self):
        from . import api_urls, public_urls, urls

        return [("certificates/", urls), ("api/v1/", api_urls), ("v/", public_urls)]

    def api_routes(self):
        from .api import ROUTES

        return ROUTES

    def demo(self, *, stdout, seed, producers):
        from . import demo

        demo.build(stdout=stdout, seed=seed)


def _make_dev_key_file(sender, **kwargs):
    """Development: the first `migrate` makes the key-encryption key file (NONGAN_KEY_AUTOCREATE; off in
    production, where `nongan init-keys` makes it at install)."""
    from django.conf import settings

    from . import keystore

    if settings.NONGAN_KEY_AUTOCREATE and not settings.NONGAN_KEY_PASSPHRASE:
        keystore.settings_kek(create=True)
