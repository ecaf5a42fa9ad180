"""`nongan verify-ledger`: check every checkpoint's signature, walk the ledger's and the audit log's hash chains
against the heads the checkpoints signed, then re-hash the records the ledger covers; exit 1 on any problem (an
edited, inserted or deleted entry or audit row, a truncated or recomputed chain, a forged checkpoint, a covered record
changed or deleted without a ledger entry). ``--since-checkpoint``: only what came after the last valid checkpoint."""

import time

from django.core.management.base import BaseCommand, CommandError

from nongan.core import ledger


class Command(BaseCommand):
    help = "Verify the ledger and the audit log (hash chains, signed checkpoints, covered records)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Incremental: check only what was written after the last valid checkpoint.",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        report = ledger.verify_all(incremental=options["since_checkpoint"])
        seconds = time.monotonic() - started
        for p in report.problems:
            self.stderr.write(f"{p.chain} #{p.seq}: {p.message}")
        scope = (
            f"since checkpoint #{report.since.pk} (ledger #{report.since.ledger_seq}, audit #{report.since.audit_seq})"
            if report.since
            else "full"
        )
        if not report.ok:
            records_changed = sum(
                1 for p in report.problems if p.msgid in (ledger.RECORD_CHANGED, ledger.RECORD_DELETED)
            )
            raise CommandError(
                f"ledger BROKEN: {len(report.problems)} problem(s) in {report.entries} entries, "
                f"{report.audit_rows} audit rows and {report.checkpoints} checkpoints ({scope}); "
                f"{records_changed} of {report.records} records changed behind the ledger"
            )
        self.stdout.write(
            f"ledger OK: {report.entries} entries, chain intact; {report.records} records match their entries; "
            f"{report.audit_rows} audit rows, chain intact; {report.checkpoints} checkpoints, signatures valid "
            f"({scope}, {seconds:.1f} s)"
        )
