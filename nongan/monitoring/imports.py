"""Monitoring's imports on the one pipeline (``nongan.core.imports``): lab results from an instrument export
(.xlsx or .csv) and rapid tests. ``RESULTS`` and ``RAPID`` are registered by ``MonitoringConfig.ready``."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import imports
from nongan.core.excel import Column, Sheet, normalise_heading
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
        aliases.update({normalise_heading(k): v for k, v in self.extra_aliases.items()})
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
        Column("species", gettext_lazy("Animal species"), example="猪"),
        Column("tissue", gettext_lazy("Tissue"), example="肌肉"),
        Column("fat", gettext_lazy("Fat content (%)"), example=""),
        Column("correction_reason", gettext_lazy("Reason for the retest or correction")),
    ],
    instructions=[
        gettext_lazy("One row per analyte. A sample must have been received by the lab."),
        gettext_lazy(
            "Veterinary drugs: animal species (猪, 牛, 羊, 家禽, 鸡, 鸭, 兔, 鱼, 虾) and tissue (肌肉, 脂肪, 肝, 肾, "
            "皮+脂, 奶, 蛋, 皮+肉) where the sample does not record them; fat content (%) where a limit is on a fat basis."
        ),
    ],
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
        "动物种类": "species",
        "动物": "species",
        "靶组织": "tissue",
        "组织": "tissue",
        "脂肪含量": "fat",
        "脂肪含量%": "fat",
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


def _labels(sheet: Sheet) -> dict:
    return {c.key: str(c.label) for c in sheet.columns}


def _staff(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or not user.is_entity_role))


def _field_errors(exc: ValidationError, row: int, labels: dict) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"row": row, "column": labels.get(field, ""), "message": m}
            for field, msgs in exc.message_dict.items()
            for m in msgs
        ]
    return [{"row": row, "column": "", "message": m} for m in exc.messages]


class ResultsImporter(imports.Importer):
    """Lab results from an instrument export (.xlsx or .csv): one row per analyte of a received sample. A row
    for an analyte that already has a current result replaces it (a retest or correction, with its reason):
    the preview shows the value and unit before and after."""

    kind = "monitoring.results"
    label = gettext_lazy("Import lab results")
    upload_url = "monitoring:results_import"
    sheet = RESULT_SHEET
    formats = ("xlsx", "csv")

    def may_import(self, user) -> bool:
        return _staff(user)

    def check(self, job, rows) -> imports.Plan:
        actor = job.created_by
        labels = _labels(RESULT_SHEET)
        labels["fat_content"] = labels["fat"]
        plan = imports.Plan(items={})
        samples = {
            s.code: s
            for s in scoped(
                actor, Sample.objects.filter(code__in={r.get("sample", "") for _i, r in rows})
            ).select_related("product")
        }
        current: dict[str, dict] = {}
        seen = set()
        for excel_row, r in rows:
            code = r.get("sample", "")
            sample = samples.get(code)
            if sample is None:
                plan.errors.append(
                    {
                        "row": excel_row,
                        "column": labels["sample"],
                        "message": _("Sample %(code)s was not found.") % {"code": code},
                    }
                )
                continue
            if code not in current:
                current[code] = {res.analyte: res for res in services.current_results(sample)}
            try:
                services._check_result_guard(actor, sample)
                cleaned = services._clean_result_row(sample, r)
                key = (code, (r.get("analyte") or "").strip())
                if key in seen:
                    raise ValidationError({"analyte": _("This analyte appears twice.")})
                seen.add(key)
                before = current[code].get(cleaned["analyte"])
                if before is not None and not cleaned["correction_reason"]:
                    raise ValidationError(
                        {
                            "analyte": _(
                                "This analyte already has a result; enter a retest or correction with its reason instead."
                            )
                        }
                    )
            except ValidationError as e:
                plan.errors.extend(_field_errors(e, excel_row, labels))
                continue
            plan.items.setdefault(code, (sample, []))[1].append(r)
            if before is None:
                plan.new += 1
            else:
                plan.changed += 1
                plan.diffs.append(
                    {
                        "row": excel_row,
                        "record": f"{code} {cleaned['analyte']}",
                        "fields": [
                            [labels["value"], str(before.value), str(cleaned["value"])],
                            [labels["unit"], before.unit, cleaned["unit"]],
                        ],
                    }
                )
        return plan

    def apply(self, job, plan) -> dict:
        created = sum(
            len(services.results_enter(actor=job.created_by, sample=sample, rows=rs))
            for sample, rs in plan.items.values()
        )
        return {"created": created, "message": _("%(n)d results imported.") % {"n": created}}


class RapidImporter(imports.Importer):
    """Rapid tests from the template (.xlsx or .csv); every row is a new test."""

    kind = "monitoring.rapid"
    label = gettext_lazy("Import rapid tests")
    upload_url = "monitoring:rapid_import"
    sheet = RAPID_SHEET
    formats = ("xlsx", "csv")

    def may_import(self, user) -> bool:
        return _staff(user)

    def check(self, job, rows) -> imports.Plan:
        labels = _labels(RAPID_SHEET)
        items = [r for _i, r in rows]
        try:
            _cleaned, item_errors = services.rapid_validate(actor=job.created_by, items=items)
        except ValidationError as e:
            return imports.Plan(errors=_field_errors(e, 0, labels))
        errors = [
            {"row": excel_row, "column": labels.get(field, field), "message": m}
            for (excel_row, _r), errs in zip(rows, item_errors, strict=True)
            for field, msgs in errs.items()
            for m in msgs
        ]
        return imports.Plan(items=items, errors=errors, new=len(items))

    def apply(self, job, plan) -> dict:
        created = services.rapid_tests_record(actor=job.created_by, items=plan.items, source=RapidSource.XLSX)
        return {"created": len(created), "message": _("%(n)d rapid tests imported.") % {"n": len(created)}}


RESULTS = ResultsImporter()
RAPID = RapidImporter()
