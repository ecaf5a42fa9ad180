"""`nongan load-regions [FILE.csv]`: load or update the region tree (default: the Ganyu demo file)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nongan.core.services import DEFAULT_REGIONS_FILE, regions_load


class Command(BaseCommand):
    help = "Load the region tree from a CSV (code, name, level, parent_code, is_demo)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_REGIONS_FILE))

    def handle(self, *args, file, **options):
        try:
            result = regions_load(path=Path(file))
        except ValidationError as e:
            raise CommandError("\n".join(e.messages)) from None
        self.stdout.write(f"regions: {result['created']} created, {result['updated']} updated")
