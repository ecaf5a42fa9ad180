"""File imports: lab results from an instrument export (.xlsx or .csv) and rapid tests (.xlsx).

The whole file is read and checked first; only a file without a single bad row is applied, in one
transaction. Each upload leaves an ``ImportJob`` whose errors [{row, column, message}] download as .xlsx."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core.choices import ImportStatus
from nongan.core.excel import Column, Sheet, _norm, check_upload, open_rows
from nongan.core.models import ImportJob
from nongan.core.scoping import scoped

from . import services
from .choices import RapidSource
from .models import Sample


@dataclass
class AliasSheet(Sheet):
    """A sheet that also accepts the header spellings instrument software uses."""

    extra_aliases: dict = field(default_factory=dict)

    def header_aliases(self) -> dict[str, str]:
        aliases = super().header_aliases()
        aliases.update({_norm(k): v for k, v in self.extra_aliases.items()})
        return aliases


RESULT_SHEET = AliasSheet(
    title=gettext_lazy("Lab results"),
    columns=[
        Column("sample", gettext_lazy("Sample number"), required=True, example="CY202600001"),
        Column("analyte", gettext_lazy("Analyte"), required=True, example="毒死蜱"),
        Column("value", gettext_lazy("Measured value"), required=True, example="0.012"),
        Column("unit", gettext_lazy("Unit"), required=True, example="mg/kg"),
        Column("method", gettext_lazy("Method"), example="GB 23200.113-2018"),
        Column("lod", gettext_lazy("Limit of detection"), example="0.005"),
        Column("loq", gettext_lazy("Limit of quantification"), example="0.01"),
        Column("instrument", gettext_lazy("Instrument"), example="GC-MS/MS"),
        Column("correction_reason", gettext_lazy("Reason for the retest or correction")),
    ],
    instructions=[gettext_lazy("One row per analyte. A sample must have been received by the lab.")],
    extra_aliases={
        "抽样单编号": "sample",
        "样品编码": "sample",
        "样品号": "sample",
        "项目": "analyte",
        "农药名称": "analyte",
        "化合物": "analyte",
        "检测值": "value",
        "检测结果": "value",
        "结果": "value",
        "含量": "value",
        "测定值": "value",
        "LOD": "lod",
        "LOQ": "loq",
    },
)

RAPID_SHEET = Sheet(
    title=gettext_lazy("Rapid tests"),
    columns=[
        Column("station", gettext_lazy("Station (division code)"), example="320707100000"),
        Column("producer", gettext_lazy("Producer registry number")),
        Column("product", gettext_lazy("Product"), required=True, example="黄瓜"),
        Column("lot", gettext_lazy("Lot")),
        Column(
            "method",
            gettext_lazy("Method"),
            required=True,
            example="酶抑制法",
            help=gettext_lazy("酶抑制法 (enzyme inhibition) or 胶体金 (colloidal gold)"),
        ),
        Column("analyte", gettext_lazy("Analyte"), example="有机磷和氨基甲酸酯类"),
        Column("inhibition", gettext_lazy("Inhibition (%)"), example="12.5"),
        Column("threshold", gettext_lazy("Positive threshold (%)"), example="50"),
        Column("c_line", gettext_lazy("C line visible"), help=gettext_lazy("是 / 否")),
        Column("t_line", gettext_lazy("T line"), help=gettext_lazy("无 / 浅于C线 / 深于或等于C线")),
        Column("tested_at", gettext_lazy("Test time"), required=True, example="2026-05-01 09:30"),
        Column("instrument", gettext_lazy("Instrument")),
    ],
)


def _read_rows(upload, sheet: Sheet) -> list[tuple[int, dict]]:
    name = (getattr(upload, "name", "") or "").lower()
    if name.endswith(".csv"):
        raw = upload.read()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("This CSV file is neither UTF-8 nor GBK text."))
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            raise ValidationError(_("The workbook is empty."))
        aliases = sheet.header_aliases()
        keys = [aliases.get(_norm(h)) for h in header]
        missing = [str(c.label) for c in sheet.columns if c.required and c.key not in keys]
        if missing:
            raise ValidationError(
                _(
                    "The header row lacks these required columns: %(cols)s. Download the template and use its header row."
                )
                % {"cols": "、".join(missing)}
            )
        return [
            (i, {k: (v or "").strip() for k, v in zip(keys, values, strict=False) if k})
            for i, values in enumerate(reader, start=2)
            if any((v or "").strip() for v in values)
        ]
    check_upload(upload)
    _estimate, rows = open_rows(upload, sheet)
    return list(rows)


def _labels(sheet: Sheet) -> dict:
    return {c.key: str(c.label) for c in sheet.columns}


RESULTS_KIND = "monitoring.results"
RAPID_KIND = "monitoring.rapid"


def start(*, actor, kind: str, upload) -> ImportJob:
    """Keep the uploaded file in an import job; ``run`` (inline or as a background task) does the work."""
    upload.seek(0)
    return ImportJob.objects.create(
        kind=kind,
        created_by=actor,
        file=upload,
        original_name=getattr(upload, "name", "upload")[:255],
        status=ImportStatus.PENDING,
    )


def estimate_rows(job: ImportJob) -> int:
    """Rows in the job's file, counted cheaply, to choose between inline and background import."""
    with job.file.open("rb") as f:
        if job.file.name.lower().endswith(".csv"):
            return max(0, f.read().count(b"\n") - 1)
        try:
            from openpyxl import load_workbook

            wb = load_workbook(f, read_only=True)
            return max(0, (wb.worksheets[0].max_row or 1) - 1)
        except Exception:  # unreadable: run() reports it
            return 0


def run(job: ImportJob) -> ImportJob:
    """Validate the whole file of a job, then apply it atomically (or record the errors)."""
    job.status = ImportStatus.VALIDATING
    job.save(update_fields=["status"])
    sheet, apply = (RESULT_SHEET, _apply_results) if job.kind == RESULTS_KIND else (RAPID_SHEET, _apply_rapid)
    try:
        with job.file.open("rb") as f:
            rows = _read_rows(f, sheet)
    except ValidationError as e:
        return _finish(
            job, [{"row": 1, "column": "", "message": m} for m in e.messages], message=e.messages[0]
        )
    job.total_rows = len(rows)
    job.save(update_fields=["total_rows"])
    if not rows:
        return _finish(job, [{"row": 1, "column": "", "message": _("The file has no data rows.")}])
    return apply(job, job.created_by, rows)


def _finish(job: ImportJob, errors: list[dict], created: int = 0, message: str = "") -> ImportJob:
    job.errors = errors
    job.created_count = created
    job.processed_rows = job.total_rows
    job.status = ImportStatus.FAILED if errors else ImportStatus.DONE
    job.message = message[:500]
    job.finished = timezone.now()
    job.save()
    return job


def results_import(*, actor, upload) -> ImportJob:
    """Import lab results inline; nothing is saved unless every row is right."""
    return run(start(actor=actor, kind=RESULTS_KIND, upload=upload))


def rapid_import(*, actor, upload) -> ImportJob:
    """Import rapid tests inline from the .xlsx template; nothing is saved unless every row is right."""
    return run(start(actor=actor, kind=RAPID_KIND, upload=upload))


def _apply_results(job: ImportJob, actor, rows) -> ImportJob:
    labels = _labels(RESULT_SHEET)
    errors: list[dict] = []
    by_sample: dict[str, list] = {}
    samples = {
        s.code: s
        for s in scoped(
            actor, Sample.objects.filter(code__in={r.get("sample", "") for _i, r in rows})
        ).select_related("product")
    }
    seen = set()
    for excel_row, r in rows:
        code = r.get("sample", "")
        sample = samples.get(code)
        if sample is None:
            errors.append(
                {
                    "row": excel_row,
                    "column": labels["sample"],
                    "message": _("Sample %(code)s was not found.") % {"code": code},
                }
            )
            continue
        try:
            services._check_result_guard(actor, sample)
            services._clean_result_row(sample, r)
            key = (code, (r.get("analyte") or "").strip())
            if key in seen:
                raise ValidationError({"analyte": _("This analyte appears twice.")})
            seen.add(key)
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                for field, msgs in e.message_dict.items():
                    for m in msgs:
                        errors.append({"row": excel_row, "column": labels.get(field, ""), "message": m})
            else:
                errors.extend({"row": excel_row, "column": "", "message": m} for m in e.messages)
            continue
        by_sample.setdefault(code, []).append(r)
    if errors:
        return _finish(job, errors, message=_("%(n)d problems; nothing was imported.") % {"n": len(errors)})
    try:
        with transaction.atomic():
            created = sum(
                len(services.results_enter(actor=actor, sample=samples[c], rows=rs))
                for c, rs in by_sample.items()
            )
    except ValidationError as e:
        return _finish(
            job, [{"row": 0, "column": "", "message": m} for m in e.messages], message=e.messages[0]
        )
    return _finish(job, [], created=created, message=_("%(n)d results imported.") % {"n": created})


def _apply_rapid(job: ImportJob, actor, rows) -> ImportJob:
    labels = _labels(RAPID_SHEET)
    try:
        _cleaned, item_errors = services.rapid_validate(actor=actor, items=[r for _i, r in rows])
    except ValidationError as e:
        return _finish(
            job, [{"row": 1, "column": "", "message": m} for m in e.messages], message=e.messages[0]
        )
    errors = [
        {"row": excel_row, "column": labels.get(field, field), "message": m}
        for (excel_row, _r), errs in zip(rows, item_errors, strict=True)
        for field, msgs in errs.items()
        for m in msgs
    ]
    if errors:
        return _finish(job, errors, message=_("%(n)d problems; nothing was imported.") % {"n": len(errors)})
    created = services.rapid_tests_record(actor=actor, items=[r for _i, r in rows], source=RapidSource.XLSX)
    return _finish(
        job, [], created=len(created), message=_("%(n)d rapid tests imported.") % {"n": len(created)}
    )
