"""`nongan reclaim-jobs`: fail the import jobs whose worker stopped (no heartbeat for
``NONGAN_IMPORT_STALE_SECONDS``) or that no worker took up (``NONGAN_IMPORT_QUEUE_SECONDS``), with the reason.
Run it from cron next to ``nongan db_worker``; the worker and the job's page also reclaim."""

from django.core.management.base import BaseCommand

from nongan.core import imports


class Command(BaseCommand):
    help = "Mark import jobs whose worker stopped as failed, with the reason."

    def handle(self, *args, **options):
        n = imports.reclaim()
        self.stdout.write(f"{n} import job(s) reclaimed")
