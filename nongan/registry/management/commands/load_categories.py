"""`nongan load-categories [FILE.csv]`: load or update the product classification tree."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nongan.registry.services import DEFAULT_CATEGORIES_FILE, categories_load


class Command(BaseCommand):
    help = "Load the product classification tree from a CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_CATEGORIES_FILE))

    def handle(self, *args, file, **options):
        try:
            result = categories_load(path=Path(file))
        except ValidationError as e:
            raise CommandError("\n".join(e.messages)) from None
        self.stdout.write(f"categories: {result['created']} created, {result['updated']} updated")
