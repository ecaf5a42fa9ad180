"""Every refusal of the signing key (unknown key, signed outside its window, after its compromise, not the token
issued) shows the public one generic Chinese message, on the page and in the public API; the precise reason is
kept on the scan and shown to staff."""

import datetime as dt

import pytest
from django.utils import timezone

from nongan.certificates import keystore, qrsign, services
from nongan.certificates.choices import SignatureCheck
from nongan.certificates.models import Certificate, Scan, SigningKey

GENERIC = "签名未通过监管平台核验：该二维码不能证明此合格证由平台签发，可能是伪造的合格证，请勿相信。"
# What staff see for each reason, and what the public must never see.
PRECISE = {
    SignatureCheck.UNKNOWN_KID: "所用签名密钥从未公布",
    SignatureCheck.NOT_ISSUED: "签名有效，但不是平台为该合格证签发的二维码内容",
    SignatureCheck.KEY_WINDOW: "签发时间不在签名密钥的有效期内",
    SignatureCheck.KEY_COMPROMISED: "签发于签名密钥被标记泄露之后",
}
INTERNAL = [
    *PRECISE.values(),
    *(qrsign.MESSAGES_ZH[code] for code in PRECISE),
    "unknown_kid",
    "key_window",
    "key_compromised",
    "not_issued",
    "备份盘遗失",  # the compromise's reason
    "有效期",
    "泄露",
    "密钥未知",
]


@pytest.fixture(autouse=True)
def _own_key_file(settings, tmp_path):
    settings.NONGAN_KEY_FILE = tmp_path / "keys" / "nongan.kek"
    settings.NONGAN_KEY_PASSPHRASE = None
    settings.NONGAN_KEY_AUTOCREATE = True
    settings.NONGAN_VERIFY_RATE = "100/60"
    settings.NONGAN_VERIFY_API_RATE = "100/60"
    services.keys.forget_key_records()
    yield
    services.keys.forget_key_records()


def _signer(key: SigningKey) -> qrsign.Signer:
    return qrsign.Signer(key.kid, keystore.decrypt_private(key.private_key_encrypted, key.kid))


def _public_answers(client, c: Certificate, token: str) -> tuple[str, dict]:
    r = client.get(f"/v/{c.number}?s={token}")
    assert r.status_code == 200
    html = r.content.decode()
    api = client.post("/api/v1/certificates-verify/", {"text": f"http://x/v/{c.number}?s={token}"})
    assert api.status_code == 400
    return html, api.json()


def test_every_key_refusal_is_one_generic_public_message_and_staff_see_the_reason(
    client, users, batch, issue
):
    unknown, forged, early, late = issue(batch, count=4)
    key = SigningKey.objects.get(kid=unknown.kid)
    tokens = {}
    # A key that was never published.
    other = qrsign.Signer("kfake", qrsign.generate_private_key())
    tokens[SignatureCheck.UNKNOWN_KID] = (
        unknown,
        other.token(services._payload(other, unknown)),
    )
    # The real key, but content the platform never issued for this number.
    payload = services._payload(_signer(key), forged)
    tokens[SignatureCheck.NOT_ISSUED] = (
        forged,
        _signer(key).token(qrsign.Payload(**{**payload.as_dict(), "quantity": "9999"})),
    )
    # Signed (the platform's record) before the key's window opened.
    Certificate.objects.filter(pk=early.pk).update(signed_at=key.valid_from - dt.timedelta(seconds=1))
    tokens[SignatureCheck.KEY_WINDOW] = (early, early.token)
    # Signed after the key was marked compromised (the others were signed before it).
    Certificate.objects.filter(pk=late.pk).update(signed_at=timezone.now() + dt.timedelta(minutes=1))
    services.signing_key_compromise(actor=users.admin, kid=key.kid, reason="备份盘遗失")
    tokens[SignatureCheck.KEY_COMPROMISED] = (late, late.token)

    for code, (c, token) in tokens.items():
        assert services.verify(c.number, token).signature.code == code  # the platform knows why …
        html, api = _public_answers(client, c, token)
        assert GENERIC in html and "疑似假冒" in html  # … the public is told one thing
        assert api == {"genuine": False, "code": "key_refused", "message": GENERIC}
        for text in INTERNAL:
            assert text not in html, (code, text)
            assert text not in api["message"], (code, text)
        scan = Scan.objects.get(certificate=c)
        assert (scan.result, scan.signature) == ("bad_signature", code)

    # Staff of the jurisdiction see the precise reason of each scan on the certificate's page.
    client.force_login(users.admin)
    for code, (c, _token) in tokens.items():
        html = client.get(f"/certificates/c/{c.number}/").content.decode()
        assert PRECISE[code] in html, code
        assert "data-scan-signature" in html


def test_content_refusals_keep_their_own_public_message(client, users, batch, issue):
    """An altered QR is not a key refusal: the page says the content was altered, as before."""
    [c] = issue(batch)
    raw = qrsign.b64u_decode(c.token)
    payload = qrsign.decode_payload(raw[:-64])
    altered = qrsign.encode_payload(qrsign.Payload(**{**payload.as_dict(), "quantity": "9999"}))
    html = client.get(f"/v/{c.number}?s={qrsign.b64u_encode(altered + raw[-64:])}").content.decode()
    assert "签名无效：二维码内容被篡改或签名伪造" in html and GENERIC not in html
    assert Scan.objects.get().signature == SignatureCheck.BAD_SIGNATURE
    # A genuine scan carries no signature reason.
    client.get(f"/v/{c.number}?s={c.token}")
    assert Scan.objects.filter(result="genuine").get().signature == ""
