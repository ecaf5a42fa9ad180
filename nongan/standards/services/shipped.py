"""The shipped reference data (nongan/standards/data/): scope mappings, editions, limits, banned and restricted
lists."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from nongan.core import audit
from nongan.registry import selectors as registry
from nongan.registry.services import categories_load

from .. import engine
from ..choices import ImportKind
from ..models import Edition, MaxResidueLimit, ScopeMapping
from ..tables import RowError, TableRejected, read_path
from .analytes import analytes_import
from .common import OFFICIAL_SOURCE, _food_index, _touch, normalise_code
from .editions import editions_import, partial_mark_is_deliberate
from .excerpt import excerpt_load
from .limits import mrl_import
from .lists import banned_import, restricted_import
from .lists2026 import lists_2026_load
from .vet import prohibited_250_load, vet_editions_mark_partial, vet_markers_load

DATA_DIR = Path(__file__).parent.parent / "data"
SHIPPED = {
    "tree": DATA_DIR / "annex_a_foods.csv",
    "analytes": DATA_DIR / "analytes.csv",
    "excerpt": DATA_DIR / "gb2763_2026_excerpt.csv",
    "lists_2026": DATA_DIR / "banned_restricted_2026.csv",
    "scope": DATA_DIR / "scope_mappings.csv",
    ImportKind.EDITIONS: DATA_DIR / "standard_editions.csv",
    ImportKind.MRL: DATA_DIR / "mrl_sample.csv",
    ImportKind.BANNED: DATA_DIR / "banned_pesticides.csv",
    ImportKind.RESTRICTED: DATA_DIR / "restricted_scope_pesticides.csv",
    "prohibited_250": DATA_DIR / "prohibited_250.csv",
    "vet_markers": DATA_DIR / "vet_markers.csv",
}


@transaction.atomic
def scope_mappings_load(*, actor=None, path: Path = SHIPPED["scope"]) -> dict[str, int]:
    """Load the mapping of scope names to tree nodes (name, categories separated by ;, note). A name that exists
    keeps its mapping."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    foods = _food_index()
    errors = []
    for i, row in enumerate(rows, start=2):
        for name in engine._split(row.get("categories")):
            if name not in foods:
                errors.append(
                    RowError(
                        i,
                        "categories",
                        _("“%(name)s” is not a food or food group of the product classification.")
                        % {"name": name},
                    )
                )
    if errors:
        raise TableRejected(errors)
    created = 0
    existing = set(ScopeMapping.objects.values_list("name", flat=True))
    for row in rows:
        name = row["name"].strip()
        if name in existing:
            continue
        mapping = ScopeMapping.objects.create(name=name, note=(row.get("note") or "").strip()[:500])
        mapping.categories.set([foods[n] for n in engine._split(row.get("categories"))])
        audit.record_create(actor, mapping, reason="standards load")
        created += 1
    if created:
        _touch()
    return {"created": created}


def sample_editions_mark_partial(*, actor=None, path: Path = SHIPPED[ImportKind.MRL]) -> list[str]:
    """Mark partial the editions the sample file (mrl_sample.csv) holds rows of: they are loaded from a few sample
    rows, so a pair they do not hold is "limit not loaded", never "no limit". Idempotent (an edition already partial
    is left alone), and an edition that an official table import has filled (a limit whose source says so) or
    whose mark an administrator has set is never marked again. Returns the codes marked now."""
    codes = {normalise_code(row.get("standard", "")) for _n, row in read_path("mrl", path).rows}
    marked = []
    for edition in Edition.objects.filter(code__in=codes, partial=False).order_by("code"):
        if partial_mark_is_deliberate(edition):
            continue
        if MaxResidueLimit.objects.filter(edition=edition, source__startswith=OFFICIAL_SOURCE).exists():
            continue
        before = audit.snapshot(edition)
        edition.partial = True
        edition.save(update_fields=["partial"])
        audit.record_update(
            actor,
            edition,
            before,
            reason=f"standards load: only the sample rows of {Path(path).name} are loaded, not the official table",
        )
        marked.append(edition.code)
    if marked:
        _touch()
    return marked


# ---------------------------------------------------------------- the shipped data
def standards_load(*, actor=None, data_dir: Path | None = None) -> dict[str, dict[str, int]]:
    """Load the shipped reference data (nongan/standards/data/): the product tree's annex A foods, scope mappings,
    analytes (other names, CAS), editions, limits (the sample rows and the GB 2763-2026 excerpt), banned and
    restricted lists (the older ones merged with the 2026 one). Idempotent: a second run creates nothing."""
    return standards_load_report(actor=actor, data_dir=data_dir)["counts"]


@transaction.atomic
def standards_load_report(*, actor=None, data_dir: Path | None = None) -> dict:
    """``standards_load`` with what was not loaded: {"counts": {part: {…}}, "report": [lines]}."""
    paths = dict(SHIPPED)
    if data_dir is not None:
        paths = {k: Path(data_dir) / Path(p).name for k, p in SHIPPED.items()}
    if not registry.categories().exists():
        categories_load()
    tree = categories_load(path=paths["tree"])
    if tree["created"] or tree["updated"]:
        _touch()
    counts = {
        "tree": tree,
        "scope_mappings": scope_mappings_load(actor=actor, path=paths["scope"]),
        "analytes": analytes_import(actor=actor, table=read_path("analytes", paths["analytes"])),
        "editions": editions_import(actor=actor, table=read_path("editions", paths[ImportKind.EDITIONS])),
        "limits": mrl_import(actor=actor, table=read_path("mrl", paths[ImportKind.MRL]), existing="skip"),
    }
    counts["limits"]["marked_partial"] = len(
        sample_editions_mark_partial(actor=actor, path=paths[ImportKind.MRL])
    )
    excerpt = excerpt_load(actor=actor, path=paths["excerpt"])
    counts["excerpt"] = excerpt.counts()
    counts["banned"] = banned_import(actor=actor, table=read_path("banned", paths[ImportKind.BANNED]))
    counts["restricted"] = restricted_import(
        actor=actor, table=read_path("restricted", paths[ImportKind.RESTRICTED])
    )
    lists = lists_2026_load(actor=actor, path=paths["lists_2026"])
    counts["lists_2026"] = lists.counts()
    counts["prohibited_250"] = prohibited_250_load(actor=actor, path=paths["prohibited_250"])
    counts["vet_markers"] = vet_markers_load(actor=actor, path=paths["vet_markers"])
    counts["vet_partial"] = {"marked": vet_editions_mark_partial(actor=actor)}
    return {"counts": counts, "report": excerpt.lines() + lists.lines()}
