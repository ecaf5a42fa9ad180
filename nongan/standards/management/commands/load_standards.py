"""`nongan load-standards`: load the shipped residue standards (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from nongan.standards.services.shipped import standards_load_report
from nongan.standards.tables import TableRejected


class Command(BaseCommand):
    help = (
        "Load the shipped editions, residue limits, banned and restricted lists (a second run adds nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", type=Path, help="A folder with files of the same names to load instead."
        )

    def handle(self, *args, **options):
        try:
            loaded = standards_load_report(data_dir=options.get("data_dir"))
        except TableRejected as exc:
            raise CommandError("\n".join(exc.messages)) from None
        result = loaded["counts"]
        # What was not loaded as written (misfiled tables, merged cells, dates given as text …): reported, never guessed.
        for line in loaded["report"]:
            self.stdout.write(line)
        for part, counts in result.items():
            self.stdout.write(f"{part}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        created = sum(c.get("created", 0) for c in result.values())
        self.stdout.write(self.style.SUCCESS(_("%(n)d rows created.") % {"n": created}))
