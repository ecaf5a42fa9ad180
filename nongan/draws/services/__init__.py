"""Every write of the draws app: rounds and their state machine, and declared conflicts.

The round moves draft → candidates_frozen → seed_committed → drawn → published (or cancelled with a reason).
Each step is one ``Transition`` of ``ROUND_WORKFLOW`` (nongan.core.workflow) with a guard and an effect; the
runner writes the round's event row, an audit record and (for freeze, commit, draw, publish, cancel) a ledger
entry with the hashes. ``ROUND_WORKFLOW.available(user, rnd)`` is what the round's page offers.

Public interface (writes take ``actor``, audited, ledgered where the runner says so): ``round_create``,
``round_freeze``, ``round_commit_seed``, ``round_draw``, ``round_publish``, ``round_cancel`` (each a step of
``ROUND_WORKFLOW``; ``allowed_actions`` drives the buttons), ``conflict_declare``, ``conflict_withdraw``;
helpers for forms and the public page: ``parameters``, ``clean_filter_spec``, ``candidate_queryset``,
``clean_witnesses``, ``earliest_draw``, ``min_delay``, ``public_name``, ``published_kind``, ``ratio_text``,
``seal_seed`` / ``unseal_seed``. Number series: ``nongan.draws.numbering`` (``DRAW_ROUND``).

The package: ``common`` (filter keys, the manager check, published names and kinds, parameters), ``candidates``
(the registry filter and the candidate list), ``rounds`` (creation and the pool), ``seeds`` (sealing, the delay,
witness values), ``workflow`` (``ROUND_WORKFLOW`` and the steps), ``conflicts``. Callers import
``nongan.draws.services``, never a submodule."""

from .. import algorithm
from .candidates import candidate_queryset, clean_filter_spec
from .common import FILTER_KEYS, NO_CATEGORY, RECUSAL, parameters, public_name, published_kind, ratio_text
from .conflicts import conflict_declare, conflict_withdraw
from .rounds import round_create
from .seeds import clean_witnesses, earliest_draw, min_delay, seal_seed, unseal_seed
from .workflow import (
    ROUND_WORKFLOW,
    TRANSITIONS,
    allowed_actions,
    round_cancel,
    round_commit_seed,
    round_draw,
    round_freeze,
    round_publish,
)

__all__ = [
    "FILTER_KEYS",
    "NO_CATEGORY",
    "RECUSAL",
    "ROUND_WORKFLOW",
    "TRANSITIONS",
    "algorithm",
    "allowed_actions",
    "candidate_queryset",
    "clean_filter_spec",
    "clean_witnesses",
    "conflict_declare",
    "conflict_withdraw",
    "earliest_draw",
    "min_delay",
    "parameters",
    "public_name",
    "published_kind",
    "ratio_text",
    "round_cancel",
    "round_commit_seed",
    "round_create",
    "round_draw",
    "round_freeze",
    "round_publish",
    "seal_seed",
    "unseal_seed",
]
