"""Monitoring's tabs on a producer's page (一户一档): its samples with their results, and — for the bureau's
staff — the follow-ups of its unqualified samples. Registered in ``MonitoringConfig.ready()``; every read goes
through this app's scoped selectors (a producer account sees only its published samples)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from nongan.registry.selectors import ProducerTab

from . import selectors

LIMIT = 50  # the most recent rows shown; the full lists are on the monitoring pages


def _samples(user, producer):
    return selectors.samples_for(user).filter(producer=producer)


def samples_context(user, producer) -> dict:
    results = selectors.results_for(user).filter(is_current=True).order_by("analyte", "id")
    rows = (
        _samples(user, producer)
        .prefetch_related(Prefetch("results", queryset=results, to_attr="current_results"))
        .order_by("-sampled_at", "-id")[:LIMIT]
    )
    return {"samples": rows, "limit": LIMIT}


def samples_count(user, producer) -> int:
    return _samples(user, producer).count()


def _follow_ups(user, producer):
    return selectors.follow_ups_for(user).filter(sample__producer=producer)


def follow_ups_context(user, producer) -> dict:
    return {"follow_ups": _follow_ups(user, producer).order_by("-noticed_at", "-id")[:LIMIT], "limit": LIMIT}


def follow_ups_count(user, producer) -> int:
    return _follow_ups(user, producer).count()


def staff(user) -> bool:
    """Follow-ups (the notice to the township, the case number) are the bureau's, as on their own pages."""
    return user.is_superuser or not user.is_entity_role


TABS = (
    ProducerTab(
        key="samples",
        label=_("Samples and results"),
        position=50,
        template="monitoring/_producer_samples.html",
        context=samples_context,
        count=samples_count,
    ),
    ProducerTab(
        key="follow-ups",
        label=_("Follow-ups"),
        position=70,
        template="monitoring/_producer_follow_ups.html",
        context=follow_ups_context,
        visible=staff,
        count=follow_ups_count,
    ),
)
