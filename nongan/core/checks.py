"""System checks of the installation (shown by `nongan check`, `runserver` and `migrate`)."""

from django.conf import settings
from django.core.checks import Warning, register

from nongan.settings import public_url_problem


@register()
def public_url(app_configs, **kwargs):
    """QR codes and public links carry NONGAN_PUBLIC_URL: on the loopback default nobody else can open them."""
    problem = public_url_problem(getattr(settings, "NONGAN_PUBLIC_URL", None))
    if problem is None:
        return []
    return [
        Warning(
            problem,
            hint="Set NONGAN_PUBLIC_URL to the address phones reach this site at (e.g. https://nongan.example.gov.cn, "
            "or http://<this machine's LAN address>:8000 for a trial) before printing labels.",
            id="nongan.W001",
        )
    ]
