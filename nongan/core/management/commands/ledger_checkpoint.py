"""`nongan ledger-checkpoint`: sign the heads of the ledger and the audit log now (run daily from cron; the
district administrator can also make one on /ledger/). ``--export FILE`` writes every checkpoint as JSON."""

import json

from django.core.management.base import BaseCommand

from nongan.core import ledger
from nongan.core.models import LedgerCheckpoint


class Command(BaseCommand):
    help = (
        "Make a signed checkpoint of the ledger's and the audit log's heads (and optionally export them all)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--export", metavar="FILE", help="Write every checkpoint as JSON to FILE ('-': stdout)."
        )
        parser.add_argument("--no-new", action="store_true", help="Only export; make no new checkpoint.")

    def handle(self, *args, **options):
        if not options["no_new"]:
            cp = ledger.checkpoint_create(actor=None)
            self.stdout.write(
                f"checkpoint #{cp.pk}: ledger #{cp.ledger_seq} {cp.ledger_head}, "
                f"audit #{cp.audit_seq} {cp.audit_head}, key {cp.kid}"
            )
        if options["export"]:
            data = json.dumps(
                [ledger.checkpoint_export(cp) for cp in LedgerCheckpoint.objects.order_by("id")],
                ensure_ascii=False,
                indent=1,
            )
            if options["export"] == "-":
                self.stdout.write(data)
            else:
                with open(options["export"], "w", encoding="utf-8") as f:
                    f.write(data + "\n")
