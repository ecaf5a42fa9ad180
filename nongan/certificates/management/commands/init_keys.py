"""`nongan init-keys [--key-file PATH]`: make the key-encryption key file at install (once).

The file (32 random bytes, base64url; mode 0600 in a 0700 folder) seals the certificate-signing private keys;
it is never stored in the database. Back it up beside the database dumps, apart from them: without it no
certificate can be issued after a restore. Production settings refuse to start without it (this command is
the one exception, so it can run under them). An existing file is never overwritten.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nongan.certificates import keystore


class Command(BaseCommand):
    help = "Create the key-encryption key file that seals the certificate-signing keys (never overwrites)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--key-file", help="Where to write it. Default: the NONGAN_KEY_FILE setting.")

    def handle(self, *args, key_file=None, **options):
        path = Path(key_file) if key_file else Path(settings.NONGAN_KEY_FILE)
        if path.exists():
            try:
                keystore.kek_read_file(path)
            except keystore.KeyUnavailable as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"密钥加密密钥文件已存在，未改动：{path}")
            return
        try:
            keystore.kek_generate(path)
        except OSError as exc:
            raise CommandError(f"无法创建密钥加密密钥文件 {path}：{exc}") from None
        self.stdout.write(
            f"已创建密钥加密密钥文件 {path}（权限 0600）。请与数据库备份分开保存其副本：丢失后无法再签发合格证。"
        )
