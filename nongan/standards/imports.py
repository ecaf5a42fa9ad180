"""The standards' tables on the one import pipeline (``nongan.core.imports``): one importer per kind of table
(editions, limits, banned and restricted lists, analytes), registered by ``StandardsConfig.ready``.

The check runs the table's import service inside a transaction that is always rolled back (the services check
every row before they write, and their counts — created, updated, skipped — are the preview); the apply runs it
again for real, inside the pipeline's transaction. An upload's options: ``{"edition": code}`` for a limit table
whose rows belong to one edition. The official table (``OfficialTableImporter``) checks without writing and
previews its diff against the edition as loaded; its options add ``"complete"``."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nongan.core import excel, imports

from .choices import ImportKind
from .models import Edition
from .selectors import may_manage
from .services import (
    analytes_import,
    banned_import,
    editions_import,
    mrl_import,
    official_table_apply,
    official_table_check,
    restricted_import,
    vet_limits_import,
)
from .tables import Table, TableRejected, table_headers, table_rows


class _DryRun(Exception):
    def __init__(self, result: dict):
        self.result = result


class TableImporter(imports.Importer):
    """One kind of standards table; ``service(actor, table, options)`` imports it (and raises
    ``TableRejected`` with every row error when any row is wrong)."""

    upload_url = "standards:import"
    formats = ("xlsx", "csv")
    refusal = gettext_lazy("Only a district administrator may import standards.")

    def __init__(self, table_kind: str, service):
        self.table_kind = table_kind
        self.kind = f"standards.{table_kind}"
        self.label = ImportKind(table_kind).label
        self.service = service

    def may_import(self, user) -> bool:
        return may_manage(user)

    def rows(self, raw, errors):
        return table_rows(self.table_kind, raw, errors)

    def _table(self, job, rows) -> Table:
        with job.file.open("rb") as f:
            headers = table_headers(self.table_kind, excel.raw_rows(f, job.file_format))
        return Table(rows=rows, headers=headers)

    def _run(self, job, table) -> dict:
        return self.service(job.created_by, table, job.options or {})

    def check(self, job, rows) -> imports.Plan:
        table = self._table(job, rows)
        try:
            with transaction.atomic():
                raise _DryRun(self._run(job, table))
        except _DryRun as dry:
            result = dry.result
        except TableRejected as exc:
            return imports.Plan(errors=[e.as_dict() for e in exc.row_errors])
        except ValidationError as exc:
            return imports.Plan(errors=[{"row": 0, "column": "", "message": m} for m in exc.messages])
        return imports.Plan(
            items=table,
            new=result.get("created", 0),
            changed=result.get("updated", 0),
            unchanged=result.get("skipped", 0),
        )

    def apply(self, job, plan) -> dict:
        result = self._run(job, plan.items)
        created = result.get("created", 0)
        return {
            "created": created,
            "updated": result.get("updated", 0),
            "message": _("%(n)d rows created.") % {"n": created},
        }


class VetImporter(TableImporter):
    """A GB 31650 limit table: each limit row cites the uploaded file and its row."""

    def _run(self, job, table) -> dict:
        return vet_limits_import(
            actor=job.created_by,
            table=table,
            edition=_edition(job.options or {}),
            source_file=job.original_name or (Path(job.file.name).name if job.file else ""),
        )


class OfficialTableImporter(imports.Importer):
    """An official limit table in the standard's own shape (``services/official.py``); options
    ``{"edition": code, "complete": bool}``. The check is the service's plan (a diff against the edition as
    loaded); the apply writes it."""

    kind = f"standards.{ImportKind.OFFICIAL}"
    label = ImportKind.OFFICIAL.label
    upload_url = "standards:import"
    formats = ("xlsx", "csv")
    refusal = gettext_lazy("Only a district administrator may import standards.")

    def may_import(self, user) -> bool:
        return may_manage(user)

    def rows(self, raw, errors):
        return table_rows(ImportKind.OFFICIAL, raw, errors)

    def check(self, job, rows) -> imports.Plan:
        options = job.options or {}
        plan = official_table_check(
            rows=rows, edition_code=options.get("edition") or "", complete=bool(options.get("complete"))
        )
        if plan.errors:
            return imports.Plan(errors=plan.errors)
        return imports.Plan(
            items=plan,
            new=len(plan.create),
            changed=len(plan.update),
            unchanged=len(plan.unchanged),
            removed=len(plan.remove),
            diffs=plan.diffs,
            notes=plan.notes,
        )

    def apply(self, job, plan) -> dict:
        result = official_table_apply(
            actor=job.created_by, plan=plan.items, source_file=job.original_name, job_id=job.pk
        )
        return {
            "created": result["created"],
            "updated": result["updated"],
            "message": _(
                "%(created)d limits created, %(updated)d changed, %(removed)d removed, %(unchanged)d unchanged."
            )
            % result,
        }


OFFICIAL = OfficialTableImporter()

OFFICIAL_SHEET = excel.Sheet(
    title=gettext_lazy("Official limit table"),
    columns=[
        excel.Column(
            "food",
            gettext_lazy("Food category/name"),
            required=True,
            help=gettext_lazy(
                "As printed: a compound heading (4.125 毒死蜱(chlorpyrifos)), a group heading without a value "
                "(蔬菜), or a food or group with its limit; “瓜类蔬菜(节瓜、苦瓜除外)” keeps its exclusions."
            ),
            width=44,
        ),
        excel.Column(
            "limit",
            gettext_lazy("Maximum residue limit (mg/kg)"),
            required=True,
            help=gettext_lazy("As printed: 0.5, 0.5* (temporary), 2(以脂肪计). Empty on heading rows."),
            width=22,
        ),
        excel.Column(
            "analyte",
            gettext_lazy("Pesticide"),
            help=gettext_lazy("Optional: the compound of the row, instead of heading rows."),
            width=18,
        ),
    ],
    instructions=[
        gettext_lazy(
            "Paste each compound's table from the standard under its heading row; the header row, the lines "
            "4.x.1–4.x.4, 表 N and the footnote (*该限量为临时限量。) may stay. A compound's table is imported "
            "whole: its loaded limits that the file does not hold are removed."
        ),
        gettext_lazy(
            "Every compound must be a registered analyte (import the analytes table first). The whole file is "
            "checked: if any row is wrong nothing is imported. The preview shows the difference from the edition "
            "as loaded before you confirm."
        ),
        gettext_lazy("Delete the example compound (示例农药) and its rows before importing."),
    ],
)
OFFICIAL_EXAMPLE = [
    ["4.1 示例农药(example pesticide)", None, None],
    ["表1", None, None],
    ["蔬菜", None, None],
    ["瓜类蔬菜(节瓜、苦瓜除外)", 0.5, None],
    ["节瓜", "1*", None],
    ["动物源性食品", None, None],
    ["哺乳动物肉类(海洋哺乳动物除外)", "2(以脂肪计)", None],
    ["*该限量为临时限量。", None, None],
]


def official_template_xlsx() -> bytes:
    """The official table's template (``excel.Sheet.template``, with a whole example compound)."""
    wb = openpyxl.load_workbook(io.BytesIO(OFFICIAL_SHEET.template()))
    ws = wb.worksheets[0]
    ws.delete_rows(2)
    for row in OFFICIAL_EXAMPLE:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _edition(options: dict) -> Edition | None:
    code = options.get("edition") or ""
    return Edition.objects.filter(code=code).first() if code else None


TABLES = [
    TableImporter(
        ImportKind.EDITIONS, lambda actor, table, options: editions_import(actor=actor, table=table)
    ),
    TableImporter(
        ImportKind.MRL,
        lambda actor, table, options: mrl_import(actor=actor, table=table, edition=_edition(options)),
    ),
    TableImporter(ImportKind.BANNED, lambda actor, table, options: banned_import(actor=actor, table=table)),
    TableImporter(
        ImportKind.RESTRICTED, lambda actor, table, options: restricted_import(actor=actor, table=table)
    ),
    TableImporter(
        ImportKind.ANALYTES, lambda actor, table, options: analytes_import(actor=actor, table=table)
    ),
    VetImporter(
        ImportKind.VET,
        lambda actor, table, options: vet_limits_import(actor=actor, table=table, edition=_edition(options)),
    ),
    OFFICIAL,
]
