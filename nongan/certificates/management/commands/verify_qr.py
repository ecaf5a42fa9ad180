"""`nongan verify-qr '<decoded QR text>' [--keys public-keys.json]`: offline check of a certificate QR.

Needs no database and no network: it imports only the pure ``nongan.certificates.qrsign`` module and
reads the public keys from a JWK-set file (default: VAR_DIR/keys/public-keys.json, written by
`nongan keys rotate` / `nongan keys export`; or download /v/keys.json from the platform).
Exit status 0 when genuine, 1 when not, 2 when the key file cannot be read.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nongan.certificates import qrsign

LABELS = {
    "kid": "密钥编号",
    "number": "合格证编号",
    "product": "产品名称",
    "quantity": "数量",
    "unit": "单位",
    "origin": "产地代码",
    "issued": "开具日期",
    "issuer": "开具主体登记编号",
}


def default_keys_path() -> Path:
    return Path(settings.VAR_DIR) / "keys" / "public-keys.json"


class Command(BaseCommand):
    help = "Verify the signature of a 承诺达标合格证 QR code offline (no database, no network)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("text", help="The decoded QR text (the whole URL) or the token after s=.")
        parser.add_argument(
            "--keys", help="Public keys (JWK set JSON). Default: VAR_DIR/keys/public-keys.json."
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, text, keys=None, as_json=False, **options):
        path = Path(keys) if keys else default_keys_path()
        try:
            keyset = qrsign.load_keyset(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取公钥文件 {path}：{exc}", returncode=2) from None
        result = qrsign.verify_text(text, keyset)
        if as_json:
            self.stdout.write(
                _json_dumps(
                    {
                        "ok": result.ok,
                        "code": result.code,
                        "message": result.message,
                        "payload": result.payload.as_dict() if result.payload else None,
                    }
                )
            )
        else:
            self.stdout.write(("✔ " if result.ok else "✘ ") + result.message)
            if result.payload is not None and result.ok:
                self.stdout.write("承诺达标合格证")
                for key, label in LABELS.items():
                    self.stdout.write(f"  {label}：{getattr(result.payload, key)}")
        if not result.ok:
            raise SystemExit(1)


def _json_dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
