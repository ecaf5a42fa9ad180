"""The registry filter of a round and the producers it selects (the candidate list before the freeze), with
their strata."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nongan.core.choices import RegionLevel
from nongan.registry import selectors as registry
from nongan.registry.choices import ProducerStatus, ProducerType

from ..choices import Strata
from ..models import DrawRound
from .common import FILTER_KEYS, NO_CATEGORY

if TYPE_CHECKING:
    from nongan.registry.models import Producer


def _choice_list(value, allowed) -> list[str] | None:
    """The sorted distinct values of a list of choices; None when it is not a list of allowed strings."""
    if not value:
        return []
    if not isinstance(value, (list, tuple)) or any(not isinstance(v, str) or v not in allowed for v in value):
        return None
    return sorted(set(value))


def clean_filter_spec(spec: dict, region) -> dict:
    """Validate a registry filter and return it in canonical form (unknown keys and empty values dropped)."""
    from nongan.core.models import Region

    if not isinstance(spec or {}, dict):
        raise ValidationError({"filter_spec": _("The filter is a set of conditions (an object).")})
    spec = dict(spec or {})
    unknown = sorted(str(k) for k in set(spec) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError({"filter_spec": _("Unknown filter: %(keys)s.") % {"keys": ", ".join(unknown)}})
    out: dict = {}
    for key, level in (("township", RegionLevel.TOWNSHIP), ("village", RegionLevel.VILLAGE)):
        code = spec.get(key)
        if code:
            # A NUL cannot even be looked up in PostgreSQL.
            r = None if "\x00" in str(code) else Region.objects.filter(code=code, level=level).first()
            if r is None or not r.path.startswith(region.path):
                raise ValidationError({key: _("This region is not inside the round's jurisdiction.")})
            out[key] = code
    if out.get("township") and out.get("village"):
        village = Region.objects.get(code=out["village"])
        if village.parent.code != out["township"]:
            raise ValidationError({"village": _("This village is not in the chosen township.")})
    types = _choice_list(spec.get("types"), ProducerType.values)
    if types is None:
        raise ValidationError({"types": _("Unknown producer type.")})
    if types:
        out["types"] = types
    tiers = _choice_list(spec.get("tiers"), ("A", "B", "C"))
    if tiers is None:
        raise ValidationError({"tiers": _("Unknown supervision tier.")})
    if tiers:
        out["tiers"] = tiers
    if spec.get("category"):
        if (
            "\x00" in str(spec["category"])
            or not registry.categories().filter(code=spec["category"]).exists()
        ):
            raise ValidationError({"category": _("Unknown product category.")})
        out["category"] = spec["category"]
    if spec.get("is_scale") is not None and spec.get("is_scale") != "":
        out["is_scale"] = bool(spec["is_scale"])
    return out


def candidate_queryset(rnd: DrawRound):
    """Active producers inside the round's jurisdiction that pass its registry filter."""
    from nongan.core.models import Region

    spec = rnd.filter_spec or {}
    qs = registry.producers_in_region(rnd.region).filter(status=ProducerStatus.ACTIVE)
    for key in ("township", "village"):
        if spec.get(key):
            qs = qs.filter(region__path__startswith=Region.objects.get(code=spec[key]).path)
    if spec.get("types"):
        qs = qs.filter(type__in=spec["types"])
    if spec.get("tiers"):
        qs = qs.filter(tier__in=spec["tiers"])
    if spec.get("is_scale") is not None:
        qs = qs.filter(is_scale=spec["is_scale"])
    if spec.get("category"):
        qs = qs & registry.producers_growing(registry.categories().get(code=spec["category"]))
    return qs


def _strata_for(rnd: DrawRound, producers: "list[Producer]") -> dict[int, tuple[str, str]]:
    """{producer id: (stratum key, stratum label)} according to the round's strata."""
    if rnd.strata == Strata.TOWNSHIP:
        out = {}
        for p in producers:
            town = p.region if p.region.level == RegionLevel.TOWNSHIP else p.region.parent
            out[p.pk] = (town.code, town.name)
        return out
    if rnd.strata == Strata.TYPE:
        return {p.pk: (p.type, str(ProducerType(p.type).label)) for p in producers}
    if rnd.strata == Strata.CATEGORY:
        roots = {c.code: c.name for c in registry.categories().filter(depth=0)}
        best: dict[int, tuple] = {}
        lines = registry.product_lines_of([p.pk for p in producers]).values_list(
            "producer_id", "category__path", "annual_output"
        )
        for pid, path, output in lines:
            key = (-(output or 0), path)
            if pid not in best or key < best[pid]:
                best[pid] = key
        out = {}
        for p in producers:
            if p.pk in best:
                root = best[p.pk][1].strip("/").split("/")[0]
                out[p.pk] = (root, roots.get(root, root))
            else:
                out[p.pk] = (NO_CATEGORY, _("No product registered"))
        return out
    return {p.pk: ("", "") for p in producers}
