"""Core data: the region tree, users with roles and jurisdictions, the audit log, the hash-chained
ledger, import jobs, the counters of record numbers and the state changes of records without an event
table of their own."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ADMIN_ROLES, ENTITY_ROLES, AuditAction, ImportStatus, RegionLevel, Role
from .states import WorkflowModel


class Region(models.Model):
    """An administrative division: province → city → district → township → village.

    ``path`` holds the codes from the root down to this region ("/320000000000/…/"), so a
    jurisdiction subtree is one indexed prefix match.
    """

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    pinyin = models.CharField(_("pinyin"), max_length=128, blank=True)
    initials = models.CharField(_("pinyin initials"), max_length=32, blank=True, db_index=True)
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Name or code invented for the demo district.")
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_township(self) -> bool:
        return self.level == RegionLevel.TOWNSHIP

    def ancestors(self) -> list["Region"]:
        codes = [c for c in self.path.strip("/").split("/") if c]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def contains(self, other: "Region | None") -> bool:
        return other is not None and other.path.startswith(self.path)

    def full_name(self, below: "Region | None" = None) -> str:
        """Names from below ``below`` (exclusive) down to this region, e.g. 青口镇 · 朱堵村."""
        parts = [
            r.name
            for r in self.ancestors()
            if below is None or (r.path.startswith(below.path) and r != below)
        ]
        return "".join(parts) if parts else self.name


class AccountLink:
    """How an account reaches the producer (or dealer) it belongs to. Core holds no relation to a higher app;
    the registry registers its link in ``RegistryConfig.ready()`` (``register_account_link``)."""

    def producer_id(self, user) -> int | None:
        return None

    def producer(self, user):
        return None

    def set_producer(self, *, actor, user, producer) -> None:
        raise RuntimeError("no app keeps the account ↔ producer link (is the registry installed?)")


_account_link = AccountLink()


def register_account_link(link: AccountLink) -> None:
    global _account_link
    _account_link = link


def account_link() -> AccountLink:
    return _account_link


class User(AbstractUser):
    """A platform account: a role plus a jurisdiction (region subtree) or an owned producer."""

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.TOWNSHIP_SUPERVISOR)
    jurisdiction = models.ForeignKey(
        Region,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)

    AUDIT_EXCLUDE = ("password", "last_login")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def producer_id(self) -> int | None:
        """The producer (or dealer) this account belongs to, kept by the registry (``registry.ProducerAccount``)
        and read through the hook it registers (``register_account_link``); loaded once per user object."""
        return _account_link.producer_id(self)

    @property
    def producer(self):
        return _account_link.producer(self)

    @property
    def is_admin_role(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def is_entity_role(self) -> bool:
        return self.role in ENTITY_ROLES


class AuditLog(models.Model):
    """One create, update or delete of domain data: who, when, and each field before → after.

    Rows are hash-chained like the ledger (``seq``, ``prev_hash``, ``hash``; ``nongan.core.audit`` writes them,
    ``nongan.core.ledger.verify_audit`` walks them), so a row edited or deleted in the database is found."""

    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_repr = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, help_text=_("{field: [before, after]}"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    request_id = models.CharField(_("request id"), max_length=36, blank=True)
    seq = models.BigIntegerField(_("sequence"), unique=True, null=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-time"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class WorkflowEvent(models.Model):
    """A state change of a record whose app keeps no event table of its own (production batches, sale
    holds, producers, import jobs …): written by ``nongan.core.workflow.Workflow.run``. Read through the
    record it belongs to (``events_for``), which is itself reached through the scoping choke point."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workflow_events",
    )
    actor_repr = models.CharField(_("actor name"), max_length=150, blank=True)
    time = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["time", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "time"], name="workflow_event_object_idx")
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class LedgerEntry(models.Model):
    """An append-only, hash-chained record of a result, certificate or draw.

    ``hash`` = SHA-256 over the previous entry's hash and this entry's canonical content, so an
    edited, inserted or deleted entry breaks the chain (`nongan verify-ledger`).
    """

    SCOPE_PATH = "scope_path"  # who may list an entry follows the jurisdiction (see core.scoping)

    seq = models.BigIntegerField(_("sequence"), unique=True)
    time = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    ref = models.CharField(_("reference"), max_length=128, db_index=True)
    actor_repr = models.CharField(_("actor"), max_length=150, blank=True)
    scope_path = models.CharField(
        _("region path"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("Path of the region the entry belongs to; who may list it follows the jurisdiction."),
    )
    payload = models.TextField(_("payload (canonical JSON)"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.ref}"


class LedgerCheckpoint(models.Model):
    """A signed statement of the heads of the ledger and of the audit log at one moment (``nongan.core.ledger``).

    Published at ``/ledger/checkpoints/`` and exportable: a copy kept outside the database lets anyone find
    a truncated or recomputed chain later. ``signature`` is Ed25519 over ``statement`` (canonical JSON of
    the other fields), by the installation's checkpoint key (derived from the key-encryption key)."""

    time = models.DateTimeField(_("time"))
    ledger_seq = models.BigIntegerField(_("ledger sequence"))
    ledger_head = models.CharField(_("ledger head hash"), max_length=64)
    audit_seq = models.BigIntegerField(_("audit sequence"))
    audit_head = models.CharField(_("audit head hash"), max_length=64)
    kid = models.CharField(_("key id"), max_length=32)
    public_key = models.CharField(_("public key"), max_length=64)
    statement = models.TextField(_("signed statement"))
    signature = models.CharField(_("signature"), max_length=128)
    made_by = models.CharField(_("made by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} @{self.ledger_seq}"


def _import_file_name(job, filename: str) -> str:
    """A random name, never the user's: ``imports/2026/05/<32 hex>.xlsx`` (the form of ``core.files.random_name``;
    under ``MEDIA_ROOT``, which no URL serves)."""
    import secrets

    from django.utils import timezone

    ext = "csv" if job.file_format == "csv" else "xlsx"
    return f"imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class ImportJob(WorkflowModel):
    """An uploaded spreadsheet going through the one import pipeline (``nongan.core.imports``): checked,
    previewed, confirmed by its uploader, applied in one transaction. Its state moves only by
    ``nongan.core.imports.JOB_WORKFLOW``. Seen by its uploader and the administrators of the uploader's
    jurisdiction (``SCOPE_OWNER``)."""

    STATE_FIELD = "status"
    SCOPE_OWNER = "created_by"
    AUDIT_EXCLUDE = ("errors", "summary", "heartbeat", "processed_rows", "total_rows")

    kind = models.CharField(_("kind"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    created = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=_import_file_name, max_length=255)
    file_format = models.CharField(_("file format"), max_length=8, blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True, db_index=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    heartbeat = models.DateTimeField(
        _("last sign of life"),
        null=True,
        blank=True,
        help_text=_("Written while a stage runs; a running job without one for too long is failed."),
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, help_text=_("[{row, column, message}]"))
    summary = models.JSONField(
        _("preview"), default=dict, blank=True, help_text=_("{new, changed, unchanged, diffs}")
    )
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.CHECKED, ImportStatus.CONFIRMED, ImportStatus.APPLYING):
            return 100 if self.status != ImportStatus.APPLYING else 99
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (
            ImportStatus.DONE,
            ImportStatus.FAILED,
            ImportStatus.INVALID,
            ImportStatus.DISCARDED,
        )

    @property
    def is_running(self) -> bool:
        """Waiting for or inside a stage (the page polls)."""
        return self.status in (
            ImportStatus.PENDING,
            ImportStatus.VALIDATING,
            ImportStatus.CONFIRMED,
            ImportStatus.APPLYING,
        )


class NumberCounter(models.Model):
    """The last number handed out in one series and scope key, e.g. ("sample", "2026") or
    ("certificate", "320707:2026"). Locked while numbers are allocated (``nongan.core.numbering``)."""

    series = models.CharField(_("number series"), max_length=32)
    key = models.CharField(_("scope key"), max_length=64, blank=True)
    last = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        ordering = ["series", "key"]
        constraints = [models.UniqueConstraint(fields=["series", "key"], name="core_numbercounter_unique")]

    def __str__(self) -> str:
        return f"{self.series} {self.key}: {self.last}"


class ApiToken(models.Model):
    """An API token (``Authorization: Token <key>``). Only the SHA-256 of the key is stored: the key is shown
    once, when it is created. A token ends at ``expires``, when revoked (by its owner or an administrator of
    the owner's jurisdiction), and, if bound to a login session, when that session ends."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64, blank=True)
    prefix = models.CharField(_("beginning of the key"), max_length=16, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    session_key = models.CharField(
        _("login session"),
        max_length=40,
        blank=True,
        editable=False,
        help_text=_("When set, the token works only while this login session lasts."),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=120, blank=True)

    AUDIT_EXCLUDE = ("key_hash", "session_key", "last_used")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}".strip()

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires > timezone.now()


class PasswordResetLink(models.Model):
    """A one-time link an administrator makes for an account of their jurisdiction: it expires, works once,
    and only the SHA-256 of its secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="password_reset_links",
    )
    token_hash = models.CharField(_("secret hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    AUDIT_EXCLUDE = ("token_hash",)

    class Meta:
        verbose_name = _("password reset link")
        verbose_name_plural = _("password reset links")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} {self.created:%Y-%m-%d %H:%M}" if self.created else str(self.user)


class IdempotencyKey(models.Model):
    """A write request sent with an ``Idempotency-Key`` header (API) or a form token (pages) and the response
    it got, so that a retry with the same key returns that response instead of doing the work again
    (``nongan.core.idempotency``). Stored in the transaction of the work; kept ``NONGAN_IDEMPOTENCY_HOURS``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="idempotency_keys",
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=8)
    path = models.CharField(_("path"), max_length=255)
    body_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.BinaryField(_("response body"), default=b"")
    response_type = models.CharField(_("response content type"), max_length=128, blank=True)
    response_location = models.CharField(_("redirected to"), max_length=1000, blank=True)
    created = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotencykey_unique")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
