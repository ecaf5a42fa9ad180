"""`nongan verify-ledger`: check every checkpoint's signature, walk the ledger's and the audit log's hash chains
against the heads the checkpoints signed, then re-hash the records the ledger covers; exit 1 on any problem (an
edited, inserted or deleted entry or audit row, a truncated or recomputed chain, a forged checkpoint, a covered record
changed or deleted without a ledger entry). ``--since-checkpoint``: only what came after the last valid checkpoint.

It speaks the installation's language (Chinese by default, like every page); ``--english`` prints the report in
English for scripts and logs that expect it."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from nongan.core import ledger


class Command(BaseCommand):
    help = "Verify the ledger and the audit log (hash chains, signed checkpoints, covered records)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Incremental: check only what was written after the last valid checkpoint.",
        )
        parser.add_argument("--english", action="store_true", help="Print the report in English.")

    def handle(self, *args, **options):
        if options["english"]:
            with translation.override("en"):
                return self._verify(options)
        return self._verify(options)

    def _verify(self, options):
        started = time.monotonic()
        report = ledger.verify_all(incremental=options["since_checkpoint"])
        seconds = time.monotonic() - started
        for p in report.problems:
            self.stderr.write(_("%(place)s: %(problem)s") % {"place": p.place, "problem": p.text})
        scope = (
            _("since checkpoint #%(cp)s (ledger #%(ledger)s, audit #%(audit)s)")
            % {"cp": report.since.pk, "ledger": report.since.ledger_seq, "audit": report.since.audit_seq}
            if report.since
            else _("full")
        )
        counts = {
            "entries": report.entries,
            "records": report.records,
            "audit_rows": report.audit_rows,
            "checkpoints": report.checkpoints,
            "scope": scope,
        }
        if not report.ok:
            changed = sum(
                1 for p in report.problems if p.msgid in (ledger.RECORD_CHANGED, ledger.RECORD_DELETED)
            )
            raise CommandError(
                _(
                    "ledger BROKEN: %(problems)s problem(s) in %(entries)s entries, %(audit_rows)s audit rows "
                    "and %(checkpoints)s checkpoints (%(scope)s); %(changed)s of %(records)s records changed "
                    "behind the ledger"
                )
                % {**counts, "problems": len(report.problems), "changed": changed}
            )
        self.stdout.write(
            _(
                "ledger OK: %(entries)s entries, chain intact; %(records)s records match their entries; "
                "%(audit_rows)s audit rows, chain intact; %(checkpoints)s checkpoints, signatures valid "
                "(%(scope)s, %(seconds)s s)"
            )
            % {**counts, "seconds": f"{seconds:.1f}"}
        )
