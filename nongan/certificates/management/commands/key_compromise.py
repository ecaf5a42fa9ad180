"""`nongan key-compromise <kid> --reason "…" [--since ISO time]`: mark a signing key compromised.

Certificates that the key signed from ``--since`` (default now) on are no longer genuine on the public page, the
API and ``nongan verify-qr --db``; an active key is replaced by a new one at once. Audited and written to the
ledger; /v/keys.json publishes the key's state.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from nongan.certificates import services


class Command(BaseCommand):
    help = "Mark a certificate-signing key compromised (ledgered; an active key is rotated at once)."

    def add_arguments(self, parser):
        parser.add_argument("kid")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--since", help="When the compromise began (ISO 8601; default now).")

    def handle(self, *args, kid, reason, since=None, **options):
        when = None
        if since:
            when = parse_datetime(since)
            if when is None:
                raise CommandError(f"--since：无法识别的时间 {since}（例如 2026-11-30T08:00+08:00）")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        try:
            key = services.signing_key_compromise(actor=None, kid=kid, reason=reason, since=when)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(
            f"签名密钥 {key.kid} 已标记为泄露（自 {timezone.localtime(key.compromised_at):%Y-%m-%d %H:%M}）；"
            "此后由其签名的合格证不再显示为真。"
        )
        self.stdout.write(f"公钥已写入 {services.public_keys_write()}")
