"""The judgement engine: is a measured residue within the standards in force on the sampling date?

``judge(food=…, analyte=…, value=…, unit=…, lod=…, loq=…, on_date=…)`` → ``Judgement``. It is pure (it writes
nothing) and fast: the standards are read once into an in-memory index, which is rebuilt when an import changes
them (in this process at once, in other processes within ``CHECK_SECONDS`` through ``StandardsRevision``).

Rules (docs/standards.md gives them in full):

1. Inputs are checked: unknown food or analyte, a negative or non-numeric value, a missing or unknown unit, a unit
   that does not fit the matrix (mg/L for anything but milk), a bad fat content or policy raise ``ValidationError``
   keyed by field.
2. The most specific limit in force wins, walking up the tree; exclusions belong to the limit row (瓜类蔬菜(节瓜除外)
   does not hold for 节瓜). 再残留限量 (EMRL) rows are judged like limits. An amendment overrides its edition.
3. Quantified above the limit fails whatever the LOD; reported below an LOD/LOQ above the limit is "method not fit"
   (not judgeable); below an LOD ≤ the limit is not detected (pass).
4. A substance banned for the use: judged against the limit, a detection flagged ``banned_detected`` (违禁检出);
   the strict policy fails any detection; with no limit in a complete edition, a detection fails citing the ban.
5. No limit: ``no_limit`` (complete edition), ``limit_not_loaded`` (partial edition), ``no_edition`` (none loaded
   for the date): not judgeable, saying so.

Editions in force on a date, per standard family: the latest full edition whose in-force date has come, plus the
amendments to it whose own in-force dates have come (a later full edition thereby replaces the editions and
amendments it supersedes).

The package: ``judgement`` (the verdict and its constants), ``index`` (the standards read into memory),
``language``, ``cache`` (the index's lifecycle), ``judging`` (``judge``). Callers import ``nongan.standards.engine``.
"""

from .cache import CHECK_SECONDS, editions_in_force, get_index, invalidate, invalidate_on_commit
from .cache import (
    _state as _state,
)
from .cache import (
    _today as _today,
)
from .index import (
    _split as _split,
)
from .index import resolve_analyte
from .judgement import (
    BANNED,
    BANNED_DETECTED,
    BASIS_UNVERIFIED,
    FAIL,
    NOT_JUDGEABLE,
    PASS,
    POLICY_MRL,
    POLICY_STRICT,
    UNITS,
    Judgement,
    fmt,
    fmt_fast,
    normalise_unit,
)
from .judging import judge, parse_date
from .language import (
    _language as _language,
)
from .language import (
    _language_slow as _language_slow,
)

# The index's state, the language reader and the list splitter are used by the standards services and tests.
__all__ = [
    "BANNED",
    "BANNED_DETECTED",
    "BASIS_UNVERIFIED",
    "CHECK_SECONDS",
    "FAIL",
    "Judgement",
    "NOT_JUDGEABLE",
    "PASS",
    "POLICY_MRL",
    "POLICY_STRICT",
    "UNITS",
    "editions_in_force",
    "fmt",
    "fmt_fast",
    "get_index",
    "invalidate",
    "invalidate_on_commit",
    "judge",
    "normalise_unit",
    "parse_date",
    "resolve_analyte",
]
