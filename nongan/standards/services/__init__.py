"""Writes of the standards: editions, limits, banned and restricted lists, scope mappings, analytes.

Every import reads the whole table, checks every row, and only then writes, in one transaction. Nothing is
typed over: an edition that exists is never changed; a table for an edition that already has limits is refused
(or, for the shipped data loaded again, skipped); list rows that exist are skipped when identical and refused
when they differ. Each created row gets an audit record; each write bumps the revision token so every process
rebuilds its judgement index.

Public interface of the standards app (what other apps may call):

- judgement: ``judge(...)`` and its result ``Judgement`` (from ``engine``; monitoring judges results with it);
- the shipped reference data: ``standards_load(actor=None, data_dir=None)`` (demo, ``load_standards``, tests);
- analytes: ``analyte_create``, ``analyte_update``, ``analytes_import``, ``cas_is_valid``;
- editions: ``edition_create``, ``edition_mark_partial``, ``editions_import``, ``family_of``, ``normalise_code``;
- limits: ``mrl_import``; the official table in the standard's shape: ``official_table_check`` /
  ``official_table_apply``; veterinary drugs: ``vet_limits_import``, ``prohibited_250_load``,
  ``vet_markers_load``; lists: ``banned_import``, ``restricted_import``; ``scope_mappings_load``;

Reads go through ``nongan.standards.selectors``. The submodules, by concern: ``common`` (standard numbers, the
food and analyte indexes, the revision touch), ``analytes``, ``editions``, ``limits``, ``lists`` (banned and
restricted), ``official`` (an official table in the standard's own shape), ``shipped`` (the data shipped in ``nongan/standards/data/``). Uploads go through the
import pipeline: ``nongan.standards.imports``.
"""

from ..engine import Judgement, judge
from .analytes import CAS_RE, analyte_create, analyte_update, analytes_import, cas_is_valid
from .common import FAMILY_RE, family_of, normalise_code
from .editions import EDITION_RE, edition_create, edition_mark_partial, editions_import
from .limits import EXCLUDES_RE, MAX_LIMIT, NOT_DETECTABLE, mrl_import
from .lists import banned_import, restricted_import
from .official import OfficialPlan, official_table_apply, official_table_check
from .shipped import DATA_DIR, SHIPPED, scope_mappings_load, standards_load
from .vet import (
    ANNOUNCEMENT_250,
    prohibited_250_load,
    vet_editions_mark_partial,
    vet_limits_import,
    vet_markers_load,
)

__all__ = [
    "ANNOUNCEMENT_250",
    "prohibited_250_load",
    "vet_editions_mark_partial",
    "vet_limits_import",
    "vet_markers_load",
    "CAS_RE",
    "DATA_DIR",
    "EDITION_RE",
    "EXCLUDES_RE",
    "FAMILY_RE",
    "MAX_LIMIT",
    "NOT_DETECTABLE",
    "OfficialPlan",
    "SHIPPED",
    "Judgement",
    "analyte_create",
    "analyte_update",
    "analytes_import",
    "banned_import",
    "cas_is_valid",
    "edition_create",
    "edition_mark_partial",
    "editions_import",
    "family_of",
    "judge",
    "mrl_import",
    "normalise_code",
    "official_table_apply",
    "official_table_check",
    "restricted_import",
    "scope_mappings_load",
    "standards_load",
]
