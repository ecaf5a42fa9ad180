"""The certificates app's tab on a producer's page (一户一档): the 承诺达标合格证 it issued. Registered in
``CertificatesConfig.ready()``; read through this app's scoped selectors."""

from django.utils.translation import gettext_lazy as _

from nongan.registry.selectors import ProducerTab

from . import selectors

LIMIT = 50  # the most recent; all are on the certificates page


def _certificates(user, producer):
    return selectors.certificates_for(user).filter(producer=producer)


def certificates_context(user, producer) -> dict:
    return {
        "certificates": _certificates(user, producer).order_by("-issued_at", "-id")[:LIMIT],
        "limit": LIMIT,
    }


def certificates_count(user, producer) -> int:
    return _certificates(user, producer).count()


TABS = (
    ProducerTab(
        key="certificates",
        label=_("Certificates of compliance"),
        position=60,
        template="certificates/_producer_certificates.html",
        context=certificates_context,
        count=certificates_count,
    ),
)
