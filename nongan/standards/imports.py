"""The standards' tables on the one import pipeline (``nongan.core.imports``): one importer per kind of table
(editions, limits, banned and restricted lists, analytes), registered by ``StandardsConfig.ready``.

The check runs the table's import service inside a transaction that is always rolled back (the services check
every row before they write, and their counts — created, updated, skipped — are the preview); the apply runs it
again for real, inside the pipeline's transaction. An upload's options: ``{"edition": code}`` for a limit table
whose rows belong to one edition."""

from __future__ import annotations

from pathlib import Path

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
]
