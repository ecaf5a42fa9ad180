"""`nongan verify-ledger`: walk the hash chain; exit 1 if any entry was edited, inserted or deleted."""

from django.core.management.base import BaseCommand, CommandError

from nongan.core import ledger


class Command(BaseCommand):
    help = "Verify the append-only audit ledger (hash chain)."

    def handle(self, *args, **options):
        count, problems = ledger.verify()
        if problems:
            for p in problems:
                self.stderr.write(f"#{p.seq}: {p.message}")
            raise CommandError(f"ledger BROKEN: {len(problems)} problem(s) in {count} entries")
        self.stdout.write(f"ledger OK: {count} entries, chain intact")
