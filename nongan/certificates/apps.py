from django.utils.translation import gettext_lazy as _

from nongan.core.apps import NavItem, NonganAppConfig


class CertificatesConfig(NonganAppConfig):
    name = "nongan.certificates"
    label = "certificates"
    verbose_name = _("Certificates and traceability")
    nav = (NavItem(60, "certificates", _("Certificates"), "qr-code", "certificates:index"),)

    def ready(self) -> None:
        from nongan.monitoring.events import certified_sample_failed

        from . import numbering  # noqa: F401 - declares the app's number series
        from .services import certificate_promise_contradicted

        # A failed sample that names a certificate contradicts its promise (inside the verdict's transaction).
        certified_sample_failed.connect(certificate_promise_contradicted)

    def urls(self):
        from . import api_urls, public_urls, urls

        return [("certificates/", urls), ("api/v1/", api_urls), ("", public_urls)]

    def api_routes(self):
        from .api import ROUTES

        return ROUTES

    def demo(self, *, stdout, seed, producers):
        from . import demo

        demo.build(stdout=stdout, seed=seed)
