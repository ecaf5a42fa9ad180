"""The dashboard's figures, each read from the app that owns it (through that app's selectors).

Public interface: ``registry_summary(user)`` and ``capability_summaries(user)``; nothing below the dashboard
imports them.
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from nongan.certificates import selectors as certificates
from nongan.monitoring import selectors as monitoring
from nongan.registry import selectors as registry
from nongan.registry.choices import ProducerType


def registry_summary(user) -> dict:
    """Producers in scope: the four counts, and the chart of producers by township and type."""
    rows = registry.counts_by_township(user)
    towns: list[str] = []
    for r in rows:
        if r["township"] not in towns:
            towns.append(r["township"])
    types = [t for t in ProducerType.values if any(r["type"] == t for r in rows)]
    labels = dict(ProducerType.choices)
    series = []
    for t in types:
        by_town = {r["township"]: r["n"] for r in rows if r["type"] == t}
        series.append(
            {
                "name": str(labels[t]),
                "type": "bar",
                "stack": "all",
                "data": [by_town.get(x, 0) for x in towns],
            }
        )
    producers = registry.producers_in_scope(user)
    stats = {
        "total": producers.count(),
        "scale": producers.filter(is_scale=True).count(),
        "key_targets": producers.filter(key_target=True).count(),
        "expiring": registry.certifications_expiring(user, days=90).count(),
    }
    type_totals = [{"label": str(labels[t]), "n": sum(r["n"] for r in rows if r["type"] == t)} for t in types]
    town_totals = [{"name": x, "n": sum(r["n"] for r in rows if r["township"] == x)} for x in towns]
    return {
        "stats": stats,
        "chart": {"towns": towns, "series": series},
        "type_totals": type_totals,
        "town_totals": town_totals,
    }


def capability_summaries(user) -> dict:
    """This year's monitoring and certificate figures."""
    year = timezone.localdate().year
    out: dict = {"year": year}
    progress = monitoring.current_progress(user)
    if progress is not None:
        out["progress"] = progress
    # The coverage page's headline (scale producers that issued a certificate this year), in three counts.
    start = timezone.make_aware(datetime(year, 1, 1))
    scale = (
        certificates.producers_for(user).filter(is_scale=True).exclude(type__in=["buyer", "wholesale_market"])
    )
    this_year = certificates.certificates_for(user).filter(
        issued_at__gte=start, issued_at__lt=start.replace(year=year + 1)
    )
    total = scale.count()
    issued = scale.filter(pk__in=this_year.values("producer_id")).count()
    flagged = certificates.certificates_for(user).filter(Q(suspicious=True) | ~Q(contradicted_by="")).count()
    out["coverage"] = {
        "total": total,
        "issued": issued,
        "share": round(100 * issued / total, 1) if total else 0.0,
        "flagged": flagged,
    }
    return out
