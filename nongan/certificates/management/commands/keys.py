"""`nongan keys rotate | list | export [path]`: the district's Ed25519 certificate-signing keys."""

from pathlib import Path

from django.core.management.base import BaseCommand

from nongan.certificates import services
from nongan.certificates.models import SigningKey


class Command(BaseCommand):
    help = "Rotate, list or export the certificate-signing keys (old keys stay published)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate", "list", "export"])
        parser.add_argument("path", nargs="?", help="export: where to write the public keys (JWK set JSON).")

    def handle(self, *args, action, path=None, **options):
        if action == "rotate":
            key = services.signing_key_rotate(actor=None)
            self.stdout.write(f"新的签名密钥 {key.kid} 已启用；旧密钥已停用但仍公布，旧合格证仍可校验。")
            self.stdout.write(f"公钥已写入 {services.public_keys_write()}")
        elif action == "list":
            for k in SigningKey.objects.order_by("created"):
                state = "启用" if k.active else f"停用于 {k.retired:%Y-%m-%d}"
                self.stdout.write(f"{k.kid}\t{k.created:%Y-%m-%d}\t{state}\t{k.public_key}")
        else:
            written = services.public_keys_write(Path(path) if path else None)
            self.stdout.write(f"公钥已写入 {written}")
