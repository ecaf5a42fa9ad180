"""The published form of a round (format nongan-draw/2, or /1 for rounds before witness entropy): everything
needed to re-run the draw offline.

No personal data: persons' names are masked at freeze time (core's ``public_producer_name``), inspectors appear
with their account id and name, and an exclusion only as a recusal (kind "recusal", 回避) for rounds frozen since
that rule (``recusals_as_one_kind``; older rounds keep the kinds they were hashed with); reasons stay inside the
bureau.
"""

from django.utils import timezone

from . import algorithm
from .models import DrawRound
from .services import parameters, published_kind

VERIFY_SCRIPT_URL = "/draws/public/draw_verify.py"


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def round_export(rnd: DrawRound, *, reveal: bool = True) -> dict:
    """The round as a JSON-ready dict. ``reveal=False`` (public page before publication) leaves out the seed
    and the selections."""
    show = reveal and bool(rnd.seed)
    candidates = list(
        rnd.candidates.order_by("producer_code").values_list(
            "producer_code", "name", "stratum", "stratum_label"
        )
    )
    pool = list(rnd.pool.order_by("user_id").values_list("user_id", "name"))
    names = dict(pool)
    data = {
        "format": rnd.format,
        "round": {
            "code": rnd.code,
            "title": rnd.title,
            "purpose": rnd.purpose,
            "year": rnd.year,
            "region": {"code": rnd.region.code, "name": rnd.region.name},
            "filter": rnd.filter_spec,
            "status": rnd.status,
            "status_reason": rnd.status_reason,
            "frozen_at": _iso(rnd.frozen_at),
            "committed_at": _iso(rnd.committed_at),
            "drawn_at": _iso(rnd.drawn_at) if show else None,
            "published_at": _iso(rnd.published_at),
        },
        "parameters": parameters(rnd),
        "candidates": [
            {"code": code, "name": name, "stratum": stratum, "stratum_label": label}
            for code, name, stratum, label in candidates
        ],
        "candidate_hash": rnd.candidate_hash,
        "inspectors": [{"id": uid, "name": name} for uid, name in pool],
        "exclusions": sorted(
            (
                {"inspector": uid, "producer": code, "kind": published_kind(rnd, kind)}
                for uid, code, kind in rnd.exclusions.values_list("inspector_id", "producer_code", "kind")
            ),
            key=lambda e: (e["inspector"], e["producer"], e["kind"]),
        ),
        "inspector_hash": rnd.inspector_hash,
        "seed_commitment": rnd.seed_commitment,
        "beacon": {"source": rnd.beacon_source, "value": rnd.beacon_value if show else ""},
        "seed": rnd.seed if show else "",
        "entropy": list(rnd.witness_entropy or []) if show else [],
        "selections": [],
        "selection_hash": rnd.selection_hash if show else "",
        "verify": {
            "script": VERIFY_SCRIPT_URL,
            "command": f"python3 draw_verify.py {rnd.code}.json",
            "nongan": f"nongan draw-verify {rnd.code}.json",
        },
    }
    if show:
        labels = {code: (name, label) for code, name, _s, label in candidates}
        for sel in (
            rnd.selections.select_related("candidate").prefetch_related("assignments").order_by("position")
        ):
            ids = [a.inspector_id for a in sorted(sel.assignments.all(), key=lambda a: a.position)]
            code = sel.candidate.producer_code
            data["selections"].append(
                {
                    "code": code,
                    "name": labels[code][0],
                    "stratum": sel.stratum,
                    "stratum_label": labels[code][1],
                    "rank": sel.rank,
                    "inspectors": ids,
                    "inspector_names": [names.get(i, "") for i in ids],
                }
            )
    return data


def verify_round(rnd: DrawRound) -> tuple[bool, list[str], dict]:
    """Re-run a round from the database, and check its hashes against the ledger entries written at each step."""
    import json

    from nongan.core.models import LedgerEntry

    data = round_export(rnd, reveal=True)
    ok, problems, _selections = algorithm.verify_export(data)
    for entry in LedgerEntry.objects.filter(ref=rnd.code, kind__startswith="draw.").order_by("seq"):
        payload = json.loads(entry.payload)
        for key in ("candidate_hash", "inspector_hash", "seed_commitment", "seed", "selection_hash"):
            if key in payload and payload[key] != data.get(key):
                problems.append(
                    f"ledger entry #{entry.seq} ({entry.kind}) records {key} {payload[key]}, the round holds {data.get(key)}"
                )
    return not problems, problems, data
