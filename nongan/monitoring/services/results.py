"""Lab results: entered and judged at once, corrected by a superseding row."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.core import audit, ledger

from ..choices import SampleState
from ..models import LabResult, Sample
from . import common
from .common import LAB_ROLES, _require_role, animal_fields, current_results, parse_decimal
from .samples import sample_transition

RESULT_LABELS = {
    "analyte": "Analyte",
    "species": "Animal species",
    "tissue": "Tissue",
    "fat_content": "Fat content",
    "value": "Value",
    "unit": "Unit",
    "lod": "Limit of detection",
    "loq": "Limit of quantification",
}


def _clean_result_row(sample: Sample, row: dict) -> dict:
    """Parse and judge one result row; raises ValidationError({field: message})."""
    errors: dict[str, str] = {}
    analyte = (row.get("analyte") or "").strip()
    unit = (row.get("unit") or "").strip()
    if not analyte:
        errors["analyte"] = _("Give the analyte.")
    if not unit:
        errors["unit"] = _("Give the unit of the value (e.g. mg/kg).")
    cleaned: dict[str, Any] = {"analyte": analyte, "unit": unit}
    for key, label in (
        ("value", _("Value")),
        ("lod", _("Limit of detection")),
        ("loq", _("Limit of quantification")),
    ):
        raw = row.get(key)
        if key != "value" and (raw is None or str(raw).strip() == ""):
            cleaned[key] = None
            continue
        try:
            cleaned[key] = parse_decimal(raw, field_label=label)
        except ValidationError as e:
            errors[key] = e.messages[0]
    for key in ("method", "instrument", "correction_reason"):
        cleaned[key] = (row.get(key) or "").strip()
    # Species, tissue and fat content: the row's (an instrument export may carry them), else the sample's; a row
    # that names others than the sample's is refused.
    animal = animal_fields(
        row.get("species") or sample.species,
        row.get("tissue") or sample.tissue,
        row.get("fat") if row.get("fat") not in (None, "") else sample.fat_content,
        product=sample.product,
        errors=errors,
    )
    for key in ("species", "tissue", "fat_content"):
        stored = getattr(sample, key)
        if stored not in (None, "") and animal[key] not in (None, "") and animal[key] != stored:
            errors[key] = _("This differs from the sample's record (%(value)s).") % {
                "value": getattr(sample, f"get_{key}_display")() if key != "fat_content" else f"{stored}%"
            }
    cleaned.update(animal)
    if errors:
        raise ValidationError(errors)
    judge = common.get_judge()  # looked up at call time: tests replace it on the common module
    try:
        j = judge(
            food=sample.product.name,
            analyte=analyte,
            value=cleaned["value"],
            unit=unit,
            lod=cleaned["lod"],
            loq=cleaned["loq"],
            on_date=timezone.localtime(sample.sampled_at).date(),
            **({"policy": sample.plan.banned_policy} if sample.plan_id else {}),
            **({"fat": animal["fat_content"]} if animal["fat_content"] is not None else {}),
            **({"species": animal["species"], "tissue": animal["tissue"]} if animal["species"] else {}),
        )
    except ValidationError as e:
        if hasattr(e, "error_dict"):
            raise
        raise ValidationError({"analyte": " ".join(e.messages)}) from None
    cleaned.update(
        verdict=j.verdict,
        reason=(j.reason or "")[:255],
        limit_mg_kg=j.limit_mg_kg,
        value_mg_kg=j.value_mg_kg,
        edition=(j.edition or "")[:64],
        rule=(j.rule or "")[:64],
        rule_detail=(j.rule_detail or "")[:255],
        policy=(getattr(j, "policy", "") or "")[:16],
        flags=";".join(getattr(j, "flags", ()) or ())[:64],
        source_row=(getattr(j, "source", "") or "")[:255],
    )
    return cleaned


def _check_result_guard(actor, sample: Sample) -> None:
    _require_role(actor, LAB_ROLES, _("Only lab analysts may enter results."))
    if sample.state == SampleState.CANCELLED:
        raise ValidationError(_("This sample was cancelled; no results can be entered for it."))
    if sample.state != SampleState.RECEIVED:
        raise ValidationError(
            _("Results can be entered only for a sample the lab has received and not yet submitted.")
        )


@transaction.atomic
def results_enter(*, actor, sample: Sample, rows: list[dict], submit: bool = False) -> list[LabResult]:
    """Enter results (one row per analyte), each judged at once; all rows are checked before any is saved.
    A row for an analyte that already has a current result supersedes it (needs a reason)."""
    sample = Sample.objects.select_for_update().get(pk=sample.pk)
    _check_result_guard(actor, sample)
    if not rows:
        raise ValidationError(_("Enter at least one result."))
    errors = []
    cleaned = []
    seen = set()
    current = {r.analyte: r for r in current_results(sample)}
    for row in rows:
        try:
            c = _clean_result_row(sample, row)
            if c["analyte"] in seen:
                raise ValidationError({"analyte": _("This analyte appears twice.")})
            if c["analyte"] in current and not c["correction_reason"]:
                raise ValidationError(
                    {
                        "analyte": _(
                            "This analyte already has a result; enter a retest or correction with its reason instead."
                        )
                    }
                )
            seen.add(c["analyte"])
            cleaned.append(c)
            errors.append({})
        except ValidationError as e:
            errors.append(e.message_dict if hasattr(e, "error_dict") else {"__all__": e.messages})
    if any(errors):
        raise ValidationError({"rows": [_row_error_text(i, e) for i, e in enumerate(errors) if e]})
    created = [_save_result(actor, sample, c, supersedes=current.get(c["analyte"])) for c in cleaned]
    superseded = [current[r.analyte] for r in created if r.supersedes_id]
    _ledger(actor, sample, "monitoring.results_entered", created, superseded)
    if submit:
        sample_transition(actor=actor, sample=sample, action="submit")
    return created


def _row_error_text(index: int, err: dict) -> str:
    parts = []
    for msgs in err.values():
        parts.extend(msgs if isinstance(msgs, list) else [msgs])
    return _("row %(row)d: %(msg)s") % {"row": index + 1, "msg": " ".join(str(p) for p in parts)}


def _save_result(actor, sample, c: dict, supersedes: LabResult | None = None) -> LabResult:
    if supersedes is not None:
        LabResult.objects.filter(pk=supersedes.pk).update(is_current=False)
    r = LabResult.objects.create(sample=sample, analyst=actor, supersedes=supersedes, is_current=True, **c)
    audit.record_create(actor, r, reason=c.get("correction_reason", ""))
    return r


@transaction.atomic
def result_correct(*, actor, result: LabResult, reason: str, **row) -> LabResult:
    """A retest or correction: a new row linked to (and superseding) the old one; the old row is kept."""
    if not (reason or "").strip():
        raise ValidationError({"correction_reason": _("Give the reason for the retest or correction.")})
    sample = Sample.objects.select_for_update().get(pk=result.sample_id)
    _check_result_guard(actor, sample)
    result.refresh_from_db()
    if not result.is_current:
        raise ValidationError(_("This result has already been superseded."))
    data = {
        "analyte": result.analyte,
        "unit": result.unit,
        "method": result.method,
        "instrument": result.instrument,
        "lod": result.lod,
        "loq": result.loq,
    }
    data.update(row)
    data["analyte"] = result.analyte
    data["correction_reason"] = reason.strip()
    c = _clean_result_row(sample, data)
    new = _save_result(actor, sample, c, supersedes=result)
    _ledger(actor, sample, "monitoring.result_corrected", [new], [result])
    return new


def _ledger(actor, sample: Sample, kind: str, rows: list[LabResult], superseded: list[LabResult]) -> None:
    """The results as entered (and the rows they superseded, no longer current) go into the ledger with the
    sample, in the transaction that saved them."""
    ledger.append(
        kind=kind,
        ref=sample.code,
        payload={
            "sample": sample.code,
            "results": [
                {
                    "analyte": r.analyte,
                    "value": str(r.value),
                    "unit": r.unit,
                    "verdict": r.verdict,
                    **(
                        {"supersedes": r.supersedes_id, "reason": r.correction_reason}
                        if r.supersedes_id
                        else {}
                    ),
                }
                for r in rows
            ],
        },
        actor=actor,
        region=sample.producer.region,
        records=[
            Sample.objects.get(pk=sample.pk),
            *LabResult.objects.filter(pk__in=[r.pk for r in rows + superseded]).order_by("pk"),
        ],
    )
