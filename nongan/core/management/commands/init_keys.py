"""``nongan init-keys``: create the installation's key-encryption key file (NONGAN_KEY_FILE) if missing."""

from django.core.management.base import BaseCommand

from nongan.core import sealing


class Command(BaseCommand):
    help = "Create the key-encryption key file (NONGAN_KEY_FILE, mode 0600) if it does not exist yet."

    def handle(self, *args, **options):
        path = sealing.key_path()
        existed = path.exists()
        sealing.ensure_key_file(path)
        sealing.load_key(path)  # refuses a damaged file
        state = "exists, left unchanged" if existed else "created"
        self.stdout.write(f"{path}: {state}. Back it up with the database (docs/operations.md).")
