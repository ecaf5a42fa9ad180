"""`nongan verify-ledger`: walk the hash chain, then re-hash the records the ledger covers; exit 1 if any entry was
edited, inserted or deleted, or any covered record was changed or deleted without a ledger entry."""

from django.core.management.base import BaseCommand, CommandError

from nongan.core import ledger


class Command(BaseCommand):
    help = "Verify the append-only audit ledger (hash chain)."

    def handle(self, *args, **options):
        count, problems = ledger.verify()
        records, record_problems = ledger.verify_records()
        for p in problems + record_problems:
            self.stderr.write(f"#{p.seq}: {p.message}")
        if problems or record_problems:
            raise CommandError(
                f"ledger BROKEN: {len(problems)} problem(s) in {count} entries, "
                f"{len(record_problems)} of {records} records changed behind the ledger"
            )
        self.stdout.write(f"ledger OK: {count} entries, chain intact; {records} records match their entries")
