"""`nongan purge-idempotency-keys`: delete the idempotency keys (and their stored responses) older than
NONGAN_IDEMPOTENCY_HOURS. Run it daily from cron or a timer beside the worker."""

from django.core.management.base import BaseCommand

from nongan.core import idempotency


class Command(BaseCommand):
    help = "Delete idempotency keys older than NONGAN_IDEMPOTENCY_HOURS (default 24)."

    def handle(self, *args, **options):
        deleted = idempotency.purge()
        self.stdout.write(f"{deleted} idempotency keys older than {idempotency.keep_hours()} hours deleted")
