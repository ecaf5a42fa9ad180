"""`nongan keys rotate | list | export [path] | check`: the district's Ed25519 certificate-signing keys.

``check`` (after a restore, or a move to a new server) opens every sealed private key with this installation's
key-encryption key and says which it cannot open and why; exit status 1 when the active key cannot be opened (no
certificate could be issued).
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from nongan.certificates import keystore, services
from nongan.certificates.models import SigningKey


class Command(BaseCommand):
    help = "Rotate, list or export the certificate-signing keys (old keys stay published)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate", "list", "export", "check"])
        parser.add_argument("path", nargs="?", help="export: where to write the public keys (JWK set JSON).")

    def handle(self, *args, action, path=None, **options):
        if action == "rotate":
            try:
                key = services.signing_key_rotate(actor=None)
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from None
            self.stdout.write(f"新的签名密钥 {key.kid} 已启用；旧密钥已停用但仍公布，旧合格证仍可校验。")
            self.stdout.write(f"公钥已写入 {services.public_keys_write()}")
        elif action == "list":
            for k in SigningKey.objects.order_by("created"):
                if k.compromised_at is not None:
                    state = f"泄露于 {k.compromised_at:%Y-%m-%d %H:%M}"
                elif k.active:
                    state = "启用"
                else:
                    state = f"停用于 {k.valid_until:%Y-%m-%d}"
                self.stdout.write(f"{k.kid}\t{k.valid_from:%Y-%m-%d}\t{state}\t{k.public_key}")
        elif action == "check":
            self.check_keys()
        else:
            written = services.public_keys_write(Path(path) if path else None)
            self.stdout.write(f"公钥已写入 {written}")

    def check_keys(self):
        active_ok = None
        for k in SigningKey.objects.order_by("created"):
            try:
                keystore.decrypt_private(k.private_key_encrypted, k.kid)
            except keystore.KeyUnavailable as exc:
                self.stdout.write(f"✘ {k.kid}（{k.state}）：{exc}")
                ok = False
            else:
                self.stdout.write(f"✔ {k.kid}（{k.state}）：私钥可以解封")
                ok = True
            if k.active:
                active_ok = ok
        if active_ok is False:
            raise CommandError(
                "启用中的签名密钥无法解封：不能签发合格证。请恢复密钥加密密钥文件（NONGAN_KEY_FILE）。"
            )
        if active_ok is None:
            self.stdout.write("尚无启用中的签名密钥：首次签发时会生成。")
