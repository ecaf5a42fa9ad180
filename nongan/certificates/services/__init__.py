"""Every write of the certificates app: production records, issue with its gates, revocation, scans,
collections with quantity-conserving lineage, market checks. Atomic, validated, audited.

Public interface (what other apps, the API, the pages, the CLI and the demo call; import it from
``nongan.certificates.services``, never from a submodule):

Production records (``batches``)
    ``batch_create``, ``input_use_add``, ``input_use_update``, ``harvest_record``; ``BATCH_WORKFLOW``;
    reads used by forms and gates: ``origin_villages``, ``origin_allowed``, ``interval_blockers``,
    ``substance_blockers``, ``issue_blockers``, ``harvested_quantity``, ``certified_quantity``,
    ``INPUT_FIELDS``, ``LATE_ENTRY_DAYS``.
Issue (``issue``, ``numbering``)
    ``certificate_issue``, ``certificates_mark_printed``, ``allocate_numbers``;
    ``MAX_BATCH_ISSUE``, ``TESTED_BASES``, ``PROMISE_TEXT``.
Changes to an issued certificate (``flags``)
    ``certificate_revoke``; ``CERTIFICATE_WORKFLOW`` (its ``available(user, certificate)`` drives the
    certificate page's buttons); ``certificate_promise_contradicted`` (the monitoring app's reaction to an
    unqualified sample of a certified lot).
Lookup and verification (``lookup``)
    ``verify(number, token)`` and ``verify_text(text)`` → ``VerifyResult`` (``Verdict``: genuine, revoked,
    unsigned, bad signature, not found, bad number, unreadable; with the certificate and the signature
    check and its payload): the one verdict behind the public page, the API and ``nongan verify-qr --db``;
    ``certificate_by_number`` (a typed number or a scanned QR text, or a ValidationError);
    ``certificate_by_qr`` (a scanned QR text or bare token only: the proof of possession collection needs).
    ``key_refused_message()`` (the one public message for every refusal of the signing key).
Public scans (``scans``)
    ``scan_record``, ``scan_row``, ``scan_place_choices`` and ``scan_place_attach`` (the page's place picker),
    ``expected_scans``, ``suspected_certificates``, ``suspect_generation``,
    ``certificate_suspicion_review``.
Collection and re-issue (``collection``)
    ``purchase_record`` (each certificate by its scanned QR, never its number alone), ``certificate_reissue``.
Market checks (``market``)
    ``market_check_preview`` (``MarketPreview``: the certificate and result shown before saving; a mistyped
    number is refused), ``market_check_record`` (a failed check proposes the seller as a key target); ``KEY_TARGET_WORKFLOW``,
    ``key_target_proposal_accept`` / ``key_target_proposal_reject`` (a supervisor of the producer's jurisdiction).
Signing keys (``keys``)
    ``signing_key_rotate``, ``signing_key_compromise``, ``active_signer`` (``SigningUnavailable`` when the
    key-encryption key is missing or wrong), ``public_keys``, ``public_keys_map``, ``key_records``
    (``KeyRecord``: window and compromise), ``public_keys_write``; ``ROTATION_GRACE``.
Shared (``common``)
    ``may_act_for`` (who may record for a producer), ``convert`` (units), ``public_base_url``,
    ``QUANT``, ``RETENTION_YEARS``.

``_payload`` is re-exported for the tests and benchmarks that build signed tokens; other ``_names`` are
private to this package.
"""

from ..choices import PROMISE_TEXT
from .batches import (
    BATCH_WORKFLOW,
    INPUT_FIELDS,
    LATE_ENTRY_DAYS,
    batch_create,
    certified_quantity,
    harvest_record,
    harvested_quantity,
    input_use_add,
    input_use_update,
    interval_blockers,
    issue_blockers,
    origin_allowed,
    origin_villages,
    substance_blockers,
)
from .collection import certificate_reissue, purchase_record
from .common import QUANT, RETENTION_YEARS, convert, may_act_for, public_base_url
from .flags import CERTIFICATE_WORKFLOW, TRANSITIONS, certificate_promise_contradicted, certificate_revoke
from .issue import (
    MAX_BATCH_ISSUE,
    PAYLOAD_PRODUCT_CHARS,
    TESTED_BASES,
    _payload,
    certificate_issue,
    certificates_mark_printed,
)
from .keys import (
    KEYS_CACHE_SECONDS,
    ROTATION_GRACE,
    KeyRecord,
    SigningUnavailable,
    active_signer,
    key_records,
    public_keys,
    public_keys_map,
    public_keys_write,
    signing_key_compromise,
    signing_key_rotate,
)
from .lookup import (
    Verdict,
    VerifyResult,
    certificate_by_number,
    certificate_by_qr,
    key_refused_message,
    verify,
    verify_text,
)
from .market import (
    DECIDERS,
    KEY_TARGET_WORKFLOW,
    MarketPreview,
    key_target_proposal_accept,
    key_target_proposal_reject,
    market_check_preview,
    market_check_record,
)
from .numbering import allocate_numbers
from .scans import (
    MAX_CLIENTS_PER_DAY,
    MAX_PLACES_PER_DAY,
    SCANS_BASE,
    SCANS_PER_KG,
    SCANS_PER_PIECE,
    Suspect,
    can_review,
    certificate_suspicion_review,
    expected_scans,
    scan_place_attach,
    scan_place_choices,
    scan_places,
    scan_record,
    scan_row,
    suspect_generation,
    suspected_certificates,
)

__all__ = [
    "BATCH_WORKFLOW",
    "CERTIFICATE_WORKFLOW",
    "MAX_CLIENTS_PER_DAY",
    "Suspect",
    "can_review",
    "certificate_suspicion_review",
    "scan_place_attach",
    "scan_place_choices",
    "scan_places",
    "scan_row",
    "suspect_generation",
    "suspected_certificates",
    "INPUT_FIELDS",
    "KEYS_CACHE_SECONDS",
    "KeyRecord",
    "LATE_ENTRY_DAYS",
    "MAX_BATCH_ISSUE",
    "MAX_PLACES_PER_DAY",
    "PAYLOAD_PRODUCT_CHARS",
    "PROMISE_TEXT",
    "QUANT",
    "RETENTION_YEARS",
    "ROTATION_GRACE",
    "SCANS_BASE",
    "SCANS_PER_KG",
    "SCANS_PER_PIECE",
    "SigningUnavailable",
    "TESTED_BASES",
    "TRANSITIONS",
    "Verdict",
    "VerifyResult",
    "_payload",
    "active_signer",
    "allocate_numbers",
    "batch_create",
    "certificate_by_number",
    "certificate_by_qr",
    "key_refused_message",
    "certificate_issue",
    "certificate_promise_contradicted",
    "certificate_reissue",
    "certificate_revoke",
    "certificates_mark_printed",
    "certified_quantity",
    "convert",
    "expected_scans",
    "harvest_record",
    "harvested_quantity",
    "input_use_add",
    "input_use_update",
    "interval_blockers",
    "issue_blockers",
    "key_records",
    "market_check_record",
    "market_check_preview",
    "MarketPreview",
    "KEY_TARGET_WORKFLOW",
    "DECIDERS",
    "key_target_proposal_accept",
    "key_target_proposal_reject",
    "may_act_for",
    "origin_allowed",
    "origin_villages",
    "public_base_url",
    "public_keys",
    "public_keys_map",
    "public_keys_write",
    "purchase_record",
    "scan_record",
    "signing_key_compromise",
    "signing_key_rotate",
    "substance_blockers",
    "verify",
    "verify_text",
]
