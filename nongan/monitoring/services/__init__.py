"""Every write of the monitoring app: atomic, validated, audited; every state change goes through one
of the app's workflows on the core runner (``SAMPLE_WORKFLOW``, ``TASK_WORKFLOW``, ``FOLLOW_UP_WORKFLOW``,
``HOLD_WORKFLOW``), which writes the event row.

The package is split by concern; import from ``nongan.monitoring.services`` (this module), never from
a submodule, so that the submodules can move without breaking callers:

* ``plans`` — yearly plans and quotas;  ``tasks`` — sampling tasks (by hand, from a draw, cancelled);
* ``samples`` — registration, the sampled party's confirmation and the sample state table;
* ``photos`` — sample photos;  ``results`` — lab results, judged at once;
* ``followups`` — the handling of unqualified samples;  ``rapid`` — rapid tests and sale holds;
* ``common`` — role sets, limits, role checks, number parsing, the event row, result roll-up.

Public interface (what other apps may call; each write takes ``actor`` and raises ``ValidationError``):

* writes: ``plan_save``, ``plan_publish`` (refused with focus pairs uncovered unless a reason is given), ``village_shares_save`` (a township's share divided among its villages), ``task_create``, ``tasks_from_draw``, ``task_cancel``, ``task_assign``, ``task_unassign``, ``sample_register``,
  ``sample_confirm_party``, ``sample_transition``, ``sample_photo_add``, ``results_enter``,
  ``result_correct``, ``follow_up_update``, ``follow_up_propose_close`` / ``follow_up_close`` / ``follow_up_reject_close`` (four eyes), ``rapid_tests_record``,
  ``sale_hold_release``;
* pure helpers: ``plan_for``, ``may_share``, ``split_evenly``, ``sector_of``, ``township_of``, ``roll_up``,
  ``available_transitions`` (drives the sample buttons), ``photo_check``, ``rapid_outcome``,
  ``false_positive_risk``, and the tables ``TRANSITIONS``, ``ACTION_LABELS``, ``STATE_LABELS``;
* the workflows ``SAMPLE_WORKFLOW``, ``TASK_WORKFLOW``, ``FOLLOW_UP_WORKFLOW``, ``HOLD_WORKFLOW``
  (``available(user, obj)`` drives the buttons).

The other names below (role sets, field lists, parsing tables and the ``_private`` names) are re-exported
for monitoring's own views, API, importers, demo and tests. The submodules import their siblings, never
this package. What the services take from lower apps at call time (``get_judge``, ``_selections_for_round``)
lives in ``common``; tests replace it there (``monkeypatch.setattr(services.common, "get_judge", …)``).

Events (``nongan.monitoring.events``, delivered inside the sender's transaction): ``certified_sample_failed``
(sent by ``follow_up_open``; the certificates app marks the certificate's promise contradicted).
"""

from .common import (
    ADMINS,
    CLOCK_SKEW,
    DEFAULT_ENZYME_THRESHOLD,
    EARLIEST,
    FOLLOW_UP_ROLES,
    LAB_ROLES,
    RAPID_ROLES,
    SAMPLER_ROLES,
    current_results,
    parse_decimal,
    roll_up,
    sector_of,
    township_of,
)
from .common import _has_role as _has_role
from .followups import (
    FOLLOW_UP_WORKFLOW,
    follow_up_close,
    follow_up_open,
    follow_up_propose_close,
    follow_up_reject_close,
    follow_up_update,
)
from .photos import PHOTO_FORMATS, PHOTO_MAX_BYTES, photo_check, sample_photo_add
from .plans import (
    PLAN_FIELDS,
    PLAN_WORKFLOW,
    may_publish,
    may_share,
    plan_for,
    plan_publish,
    plan_ref,
    plan_save,
    split_evenly,
    village_shares_save,
)
from .rapid import (
    BOOL_FALSE,
    BOOL_TRUE,
    HOLD_WORKFLOW,
    METHOD_NAMES,
    TLINE_NAMES,
    false_positive_risk,
    rapid_clean,
    rapid_outcome,
    rapid_tests_record,
    rapid_validate,
    sale_hold_release,
)
from .results import RESULT_LABELS, result_correct, results_enter
from .results import _check_result_guard as _check_result_guard
from .results import _clean_result_row as _clean_result_row
from .samples import (
    ACTION_LABELS,
    SAMPLE_FIELDS,
    SAMPLE_WORKFLOW,
    STATE_LABELS,
    TRANSITIONS,
    Transition,
    available_transitions,
    sample_confirm_party,
    sample_register,
    sample_transition,
)
from .tasks import TASK_WORKFLOW, task_assign, task_cancel, task_create, task_unassign, tasks_from_draw

__all__ = [
    "ACTION_LABELS",
    "ADMINS",
    "BOOL_FALSE",
    "BOOL_TRUE",
    "CLOCK_SKEW",
    "DEFAULT_ENZYME_THRESHOLD",
    "EARLIEST",
    "FOLLOW_UP_ROLES",
    "FOLLOW_UP_WORKFLOW",
    "HOLD_WORKFLOW",
    "LAB_ROLES",
    "METHOD_NAMES",
    "PHOTO_FORMATS",
    "PHOTO_MAX_BYTES",
    "PLAN_FIELDS",
    "RAPID_ROLES",
    "RESULT_LABELS",
    "SAMPLER_ROLES",
    "SAMPLE_FIELDS",
    "SAMPLE_WORKFLOW",
    "STATE_LABELS",
    "TASK_WORKFLOW",
    "TLINE_NAMES",
    "TRANSITIONS",
    "Transition",
    "available_transitions",
    "current_results",
    "false_positive_risk",
    "follow_up_close",
    "follow_up_open",
    "follow_up_propose_close",
    "follow_up_reject_close",
    "follow_up_update",
    "parse_decimal",
    "may_share",
    "photo_check",
    "may_publish",
    "plan_for",
    "plan_publish",
    "plan_ref",
    "plan_save",
    "PLAN_WORKFLOW",
    "rapid_clean",
    "rapid_outcome",
    "rapid_tests_record",
    "rapid_validate",
    "result_correct",
    "results_enter",
    "roll_up",
    "sale_hold_release",
    "sample_confirm_party",
    "sample_photo_add",
    "sample_register",
    "sample_transition",
    "sector_of",
    "split_evenly",
    "task_assign",
    "task_unassign",
    "task_cancel",
    "task_create",
    "tasks_from_draw",
    "village_shares_save",
    "township_of",
]
