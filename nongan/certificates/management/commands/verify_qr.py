"""`nongan verify-qr '<decoded QR text>' [--keys public-keys.json] [--db]`: check of a certificate QR.

Without ``--db`` it needs no database and no network: the check is the pure
``nongan.certificates.qrsign`` module against the public keys read from a JWK-set file (default: VAR_DIR/keys/public-keys.json, written by
`nongan keys rotate` / `nongan keys export`; or download /v/keys.json from the platform).
The key set's windows count as on the platform: a token dated before its key's window opened, after it
closed, or on or after the day the key was marked compromised is not genuine (to the day: the token carries
its issue date only).
Exit status 0 when genuine, 1 when not, 2 when the key file cannot be read.

With ``--db`` (on a machine of the platform) it asks this installation's database instead: the same
verdict as the public page and the API (``services.verify_text``): the signature against the published
keys and the certificate's status (genuine, revoked, number only, counterfeit suspect, not found …).
A certificate number is accepted too. Exit status 0 when genuine (or, for a bare number, registered and
current), 1 otherwise.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from nongan.certificates import qrsign, services

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
        parser.add_argument(
            "--db",
            action="store_true",
            help="Check against this installation's database (its keys and the certificate's status).",
        )

    def handle(self, *args, text, keys=None, as_json=False, db=False, **options):
        if db:
            return self.handle_db(text, as_json=as_json)
        path = Path(keys) if keys else default_keys_path()
        try:
            published = path.read_text(encoding="utf-8")
            keyset = qrsign.load_keyset(published)
            windows = qrsign.load_key_windows(published)
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取公钥文件 {path}：{exc}", returncode=2) from None
        result = qrsign.verify_text(text, keyset, windows)
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

    def handle_db(self, text, *, as_json):
        check = services.verify_text(text)
        c = check.certificate
        ok = check.verdict in (services.Verdict.GENUINE, services.Verdict.UNSIGNED)
        if as_json:
            self.stdout.write(
                _json_dumps(
                    {
                        "ok": ok,
                        "verdict": check.verdict.value,
                        "number": check.number,
                        "status": c.status if c is not None else None,
                        "suspicious": c.suspicious if c is not None else None,
                        "signature": check.signature.code if check.signature is not None else None,
                        "payload": check.payload.as_dict() if check.signed else None,
                    }
                )
            )
        else:
            self.stdout.write(("✔ " if ok else "✘ ") + str(verdict_text(check)))
            if check.signature_failed:
                self.stdout.write("  " + check.signature.message)
            if c is not None:
                self.stdout.write("承诺达标合格证")
                for label, value in (
                    (LABELS["number"], c.number),
                    (LABELS["product"], c.product_name),
                    (LABELS["quantity"], format(c.quantity.normalize(), "f")),
                    (LABELS["unit"], c.unit),
                    (LABELS["origin"], c.origin.code),
                    (LABELS["issued"], f"{timezone.localtime(c.issued_at):%Y-%m-%d}"),
                    (LABELS["issuer"], c.producer.code),
                ):
                    self.stdout.write(f"  {label}：{value}")
                if c.suspicious:
                    self.stdout.write(
                        "  "
                        + _("The supervision authority has confirmed counterfeit copies of this code:")
                        + c.suspicious_reason
                    )
        if not ok:
            raise SystemExit(1)


def verdict_text(check):
    V = services.Verdict
    if check.verdict == V.GENUINE:
        return _("Genuine and current")
    if check.verdict == V.UNSIGNED:
        return _("Registered and current")
    if check.verdict == V.REVOKED:
        return _("This certificate has been revoked")
    if check.verdict == V.BAD_SIGNATURE or check.signature_failed:
        return _("Possibly counterfeit")
    if check.verdict == V.NOT_FOUND:
        return _("No certificate with the number %(number)s.") % {"number": check.number}
    if check.verdict == V.BAD_NUMBER:
        return _("The certificate number %(number)s is not valid: check the characters you typed.") % {
            "number": check.number
        }
    return _("The QR code cannot be read: it is not a certificate QR of this platform, or it is incomplete.")


def _json_dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
