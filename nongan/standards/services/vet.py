"""Veterinary drugs: the list of compounds prohibited in food animals (农业农村部公告第250号), the nitrofuran marker
residues, and the GB 31650 limit table (drug, residue marker, species, tissue, limit in μg/kg)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit

from ..choices import (
    FOOD_ANIMALS,
    SPECIES_TISSUES,
    AnalyteKind,
    LimitBasis,
    Species,
    Tissue,
    Verification,
    species_of,
    tissue_of,
    vet_key,
)
from ..engine import UNITS, normalise_unit
from ..models import Analyte, BannedSubstance, Edition, VetDrugLimit
from ..tables import RowError, Table, TableRejected, parse_decimal
from .common import (
    _analyte_index,
    _find_analyte,
    _get_or_create_analyte,
    _touch,
    normalise_code,
    refused_as_populated,
)
from .editions import partial_mark_is_deliberate

ANNOUNCEMENT_250 = "农业农村部公告第250号"
EFFECTIVE_250 = dt.date(2019, 12, 27)
SOURCE_250 = (
    "农业农村部公告第250号《食品动物中禁止使用的药品及其他化合物清单》，2019-12-27 发布，自发布之日起施行"
    "（发布与施行日期见 http://www.03j9n.cn/law/1/53938.html）；条目按公告所附清单转录，未对照公告原件逐字核对"
)
VET_FAMILY = "GB 31650"
MAX_LIMIT_UG = Decimal(999999)
# "恩诺沙星与环丙沙星之和", "恩诺沙星+环丙沙星", "A、B和C的总和": the names of a residue defined as a sum.
SUM_RE = re.compile(r"^(.+?)(?:的)?(?:总和|之和)(?:[，,(（].*)?$")
SUM_SPLIT = re.compile(r"\s*(?:与|和|及|、|\+|＋|;|；)\s*")
NOTE_RE = re.compile(r"[(（]([^)）]*)[)）]")


def _parts(text: str) -> list[str]:
    return [p for p in SUM_SPLIT.split(text.strip()) if p]


@transaction.atomic
def prohibited_250_load(*, actor=None, path: Path) -> dict[str, int]:
    """Load the list of compounds prohibited in food animals: one analyte (kind prohibited, unless it exists) and
    one ban of scope "food-producing animals" per substance. Idempotent: a ban that exists is skipped."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    index = _analyte_index()
    existing = set(
        BannedSubstance.objects.filter(announcement=ANNOUNCEMENT_250).values_list(
            "analyte__name_zh", flat=True
        )
    )
    created = analytes_created = 0
    for rownum, row in enumerate(rows, start=2):
        name = row["name_zh"].strip()
        analyte = _find_analyte(index, name)
        if analyte is None:
            analyte = Analyte.objects.create(
                name_zh=name,
                name_en=row.get("name_en", "").strip(),
                cas=row.get("cas", "").strip(),
                kind=AnalyteKind.PROHIBITED,
                aliases=row.get("aliases", "").strip(),
            )
            audit.record_create(actor, analyte, reason="standards load")
            index[name] = analyte
            analytes_created += 1
        if analyte.name_zh in existing:
            continue
        ban = BannedSubstance.objects.create(
            analyte=analyte,
            ban_scope=FOOD_ANIMALS,
            announcement=ANNOUNCEMENT_250,
            effective_from=EFFECTIVE_250,
            verification=Verification.UNVERIFIED,
            source=SOURCE_250,
            source_row=f"{Path(path).name}:{rownum}, 第{row['entry'].strip()}项 {row['entry_as_published'].strip()}"[
                :128
            ],
        )
        audit.record_create(actor, ban, reason="standards load")
        existing.add(analyte.name_zh)
        created += 1
    if created or analytes_created:
        _touch()
    return {"created": created, "analytes_created": analytes_created}


@transaction.atomic
def vet_markers_load(*, actor=None, path: Path) -> dict[str, int]:
    """Load the marker residues (AOZ → 呋喃唑酮 …): an analyte per marker, pointing at its parent drug."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    index = _analyte_index()
    created = updated = 0
    for row in rows:
        parent = _find_analyte(index, row["marker_of"].strip())
        if parent is None:
            raise ValueError(f"marker parent {row['marker_of']} is not loaded")
        name = row["name_zh"].strip()
        marker = _find_analyte(index, name)
        if marker is None:
            marker = Analyte.objects.create(
                name_zh=name,
                name_en=row.get("name_en", "").strip(),
                cas=row.get("cas", "").strip(),
                kind=AnalyteKind.PROHIBITED,
                aliases=row.get("aliases", "").strip(),
                marker_of=parent,
            )
            audit.record_create(actor, marker, reason="standards load")
            index[name] = marker
            created += 1
        elif marker.marker_of_id is None:
            before = audit.snapshot(marker)
            marker.marker_of = parent
            marker.save()
            audit.record_update(actor, marker, before, reason="standards load")
            updated += 1
    if created or updated:
        _touch()
    return {"created": created, "updated": updated}


@transaction.atomic
def vet_editions_mark_partial(*, actor=None) -> int:
    """GB 31650 editions with no limit loaded are partial: a pair they do not hold is "limit not loaded" (unless
    a district administrator has set the edition's mark)."""
    marked = 0
    for edition in Edition.objects.filter(family=VET_FAMILY, partial=False):
        if not edition.vet_limits.exists() and not partial_mark_is_deliberate(edition):
            before = audit.snapshot(edition)
            edition.partial = True
            edition.save(update_fields=["partial"])
            audit.record_update(actor, edition, before, reason="standards load: no GB 31650 table loaded")
            marked += 1
    if marked:
        _touch()
    return marked


def _cells(text: str) -> tuple[list[str], str]:
    """ "牛、羊（泌乳期禁用）" → (["牛", "羊"], "泌乳期禁用")."""
    notes = "；".join(NOTE_RE.findall(text or ""))
    names = [n for n in re.split(r"\s*[、,，/;；]\s*", NOTE_RE.sub("", text or "").strip()) if n]
    return names, notes


@transaction.atomic
def vet_limits_import(
    *, actor, table: Table, edition: Edition | None = None, existing: str = "refuse", source_file: str = ""
) -> dict[str, int]:
    """Import a GB 31650-shaped limit table: drug (药物名称), marker residue (残留标志物), species (动物种类, "牛、羊"
    gives a row each), tissue (靶组织), limit (残留限量, in the unit column or μg/kg), standard. The whole table is
    checked first; any error rejects it whole. A marker written as a sum ("恩诺沙星与环丙沙星之和") makes the residue
    definition a sum of those analytes (created as vet drugs when new). An edition that has limits is never added
    to (refused, or skipped with ``existing="skip"``)."""
    errors: list[RowError] = []
    col = table.column
    editions = {e.code: e for e in Edition.objects.all()}
    analytes = _analyte_index()
    populated = set(VetDrugLimit.objects.values_list("edition__code", flat=True).distinct())
    planned: list[dict] = []
    seen: dict[tuple, int] = {}
    refused: set[str] = set()
    for rownum, row in table.rows:
        code = normalise_code(row.get("standard", ""))
        ed = edition
        if edition is not None:
            if code and code != edition.code:
                errors.append(
                    RowError(
                        rownum,
                        col("standard"),
                        _("This row belongs to %(code)s, not to %(edition)s.")
                        % {"code": code, "edition": edition.code},
                    )
                )
        elif not code:
            errors.append(RowError(rownum, col("standard"), _("Enter the standard (edition) of the limit.")))
        elif code not in editions:
            errors.append(
                RowError(
                    rownum,
                    col("standard"),
                    _("The edition %(code)s is not loaded; add it to the editions first.") % {"code": code},
                )
            )
        else:
            ed = editions[code]
        if ed is not None and ed.family != VET_FAMILY:
            errors.append(
                RowError(
                    rownum,
                    col("standard"),
                    _("%(code)s is not an edition of GB 31650 (veterinary drugs).") % {"code": ed.code},
                )
            )
            ed = None
        name = (row.get("analyte") or "").strip()
        if not name:
            errors.append(RowError(rownum, col("analyte"), _("Enter the pesticide or drug.")))
        marker = (row.get("marker") or "").strip()
        components: list[str] = []
        m = SUM_RE.match(marker)
        if m:
            components = _parts(m.group(1))
        elif "+" in marker or "＋" in marker:
            components = _parts(marker)
        if components and len(components) < 2:
            components = []
        species_names, species_note = _cells(row.get("species", ""))
        species_codes = []
        if not species_names:
            errors.append(RowError(rownum, col("species"), _("Enter the animal species (e.g. 猪).")))
        for sname in species_names:
            code_sp = species_of(sname)
            if code_sp is None:
                errors.append(
                    RowError(
                        rownum,
                        col("species"),
                        _(
                            "“%(name)s” is not an animal species of the standards (猪, 牛, 羊, 家禽, 鸡, 鸭, 兔, 鱼, 虾)."
                        )
                        % {"name": sname},
                    )
                )
            else:
                species_codes.append(code_sp)
        tissue_text = (row.get("tissue") or "").strip()
        basis = ""
        if "以脂肪计" in tissue_text:
            basis = LimitBasis.FAT
        tissue_code = tissue_of(NOTE_RE.sub("", tissue_text))
        if tissue_code is None:
            errors.append(
                RowError(
                    rownum,
                    col("tissue"),
                    _("Enter the tissue (e.g. 肌肉).")
                    if not tissue_text
                    else _(
                        "“%(name)s” is not a tissue of the standards (肌肉, 脂肪, 肝, 肾, 皮+脂, 奶, 蛋, 皮+肉)."
                    )
                    % {"name": tissue_text},
                )
            )
        else:
            for code_sp in species_codes:
                if tissue_code not in SPECIES_TISSUES[code_sp]:
                    errors.append(
                        RowError(
                            rownum,
                            col("tissue"),
                            _("%(species)s have no %(tissue)s: choose one of %(tissues)s.")
                            % {
                                "species": Species(code_sp).label,
                                "tissue": Tissue(tissue_code).label,
                                "tissues": "、".join(str(Tissue(t).label) for t in SPECIES_TISSUES[code_sp]),
                            },
                        )
                    )
        unit_text = (row.get("unit") or "").strip() or "μg/kg"
        unit = UNITS.get(normalise_unit(unit_text))
        if unit is None or (unit[1] and tissue_code not in (None, Tissue.MILK)):
            errors.append(
                RowError(
                    rownum,
                    col("unit"),
                    _("Unknown unit “%(unit)s”; use mg/kg or μg/kg.") % {"unit": unit_text}
                    if unit is None
                    else _(
                        "%(unit)s is accepted for milk only; give the value in %(tissue)s in mg/kg or μg/kg."
                    )
                    % {"unit": unit_text, "tissue": Tissue(tissue_code).label},
                )
            )
        limit_text = (row.get("limit") or "").strip()
        published = parse_decimal(limit_text)
        if published is None:
            errors.append(
                RowError(rownum, col("limit"), _("“%(value)s” is not a number.") % {"value": limit_text})
            )
        elif published < 0 or published > MAX_LIMIT_UG:
            errors.append(
                RowError(
                    rownum, col("limit"), _("A limit lies between 0 and %(max)s.") % {"max": MAX_LIMIT_UG}
                )
            )
            published = None
        elif unit is not None and (published * unit[0]).as_tuple().exponent < -6:
            errors.append(RowError(rownum, col("limit"), _("A limit has at most 6 decimal places in mg/kg.")))
            published = None
        if refused_as_populated(ed, populated, existing, refused, errors, rownum, col("standard")):
            continue
        if ed is None or not name or tissue_code is None or published is None or unit is None:
            continue
        analyte = _find_analyte(analytes, name)
        for code_sp in species_codes:
            key = (ed.code, analyte.name_zh if analyte else name, code_sp, tissue_code)
            if key in seen:
                errors.append(
                    RowError(
                        rownum,
                        col("species"),
                        _("The same limit is already on row %(row)d.") % {"row": seen[key]},
                    )
                )
                continue
            seen[key] = rownum
            planned.append(
                {
                    "edition": ed,
                    "name": name,
                    "name_en": (row.get("analyte_en") or "").strip(),
                    "marker": marker[:255],
                    "components": components,
                    "species": code_sp,
                    "species_text": (row.get("species") or "").strip()[:128],
                    "tissue": tissue_code,
                    "basis": basis,
                    "published": published,
                    "unit": unit_text[:16],
                    "limit": published * unit[0],
                    "row": rownum,
                    "note": "；".join(p for p in (species_note, (row.get("note") or "").strip()) if p)[:500],
                    "source": (row.get("source") or "").strip()[:500],
                }
            )
    if errors:
        raise TableRejected(errors)

    created = analytes_created = 0
    for r in planned:
        analyte, new = _get_or_create_analyte(actor, analytes, r["name"], r["name_en"], AnalyteKind.VET_DRUG)
        analytes_created += new
        names = []
        for component in r["components"]:
            found, new = _get_or_create_analyte(actor, analytes, component, "", AnalyteKind.VET_DRUG)
            analytes_created += new
            names.append(found.name_zh)
        limit = VetDrugLimit.objects.create(
            edition=r["edition"],
            analyte=analyte,
            marker=r["marker"],
            components=";".join(names),
            species=r["species"],
            species_text=r["species_text"],
            tissue=r["tissue"],
            basis=r["basis"],
            limit_mg_kg=r["limit"],
            limit_published=r["published"],
            unit_published=r["unit"],
            source_file=source_file[:128],
            source_row=r["row"],
            source=r["source"],
            note=r["note"],
        )
        audit.record_create(actor, limit, reason="standards import")
        created += 1
    if created or analytes_created:
        _touch()
    return {"created": created, "analytes_created": analytes_created, "skipped_editions": len(refused)}


__all__ = [
    "ANNOUNCEMENT_250",
    "prohibited_250_load",
    "vet_editions_mark_partial",
    "vet_key",
    "vet_limits_import",
    "vet_markers_load",
]
