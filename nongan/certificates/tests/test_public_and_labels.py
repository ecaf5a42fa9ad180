"""/v/<code> public verification, scan log, counterfeit signals, keys.json, printed labels."""

import io
import json
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from nongan.certificates import labels, qrsign, services
from nongan.certificates.models import Certificate, Scan
from nongan.registry.models import Producer


def _qr_url(c):
    return f"/v/{c.number}?s={c.token}"


def test_verify_genuine_logs_scan(client, users, batch, issue):
    [c] = issue(batch)
    r = client.get(_qr_url(c) + "&place=连云港市海州区")
    assert r.status_code == 200
    html = r.content.decode()
    assert "承诺达标合格证" in html
    assert "真实有效" in html
    assert "黄瓜" in html
    assert "青口镇" in html
    scan = Scan.objects.get()
    assert (scan.certificate, scan.result, scan.place, scan.flagged) == (
        c,
        "genuine",
        "连云港市海州区",
        False,
    )
    c.refresh_from_db()
    assert c.scan_count == 1


def test_verify_tampered_unknown_kid_and_typo(client, users, batch, issue):
    [c] = issue(batch)
    raw = qrsign.b64u_decode(c.token)
    forged = qrsign.encode_payload(
        qrsign.decode_payload(raw[:-64]).__class__(
            **{**qrsign.decode_payload(raw[:-64]).as_dict(), "quantity": "9999"}
        )
    )
    r = client.get(f"/v/{c.number}?s={qrsign.b64u_encode(forged + raw[-64:])}")
    assert r.status_code == 200
    html = r.content.decode()
    assert "签名无效：二维码内容被篡改或签名伪造" in html
    assert "疑似假冒" in html
    c.refresh_from_db()
    assert c.scan_count == 0
    assert c.suspicious is True
    assert Scan.objects.get().result == "bad_signature"
    # unknown key id
    other = qrsign.Signer("kfake", qrsign.generate_private_key())
    fake = other.token(qrsign.Payload("kfake", c.number, "黄瓜", "500", "kg", c.origin.code, "20261128", "x"))
    r = client.get(f"/v/{c.number}?s={fake}")
    assert "签名密钥未知" in r.content.decode()
    # a number typed wrong: clear answer, nothing logged
    before = Scan.objects.count()
    wrong = c.number[:5] + ("1" if c.number[5] != "1" else "2") + c.number[6:]
    r = client.get(f"/v/{wrong}")
    assert r.status_code == 400
    assert f"合格证编号 {wrong} 有误" in r.content.decode()
    r = client.get(f"/v/{qrsign.make_number('320707', 2026, 99999)}")
    assert r.status_code == 404
    assert "没有编号为" in r.content.decode()
    assert Scan.objects.count() == before


def test_verify_revoked_and_masking(client, users, make_producer, ganyu, today, issue):
    household = make_producer(name="张三丰", type="household", legal_rep="张三丰", phone="13912345678")
    import datetime as dt

    b = services.batch_create(
        actor=None, producer=household, product=ganyu.category("黄瓜"), started=today - dt.timedelta(days=30)
    )
    [c] = issue(b, actor=None)
    services.certificate_revoke(actor=None, certificate=c, reason="包装破损")
    html = client.get(_qr_url(c)).content.decode()
    assert "该合格证已撤销" in html
    assert "包装破损" in html
    assert "张三丰" not in html
    assert "张**" in html
    assert "139****5678" in html
    assert Scan.objects.get().result == "revoked"


def test_lookup_redirects(client, users, batch, issue):
    [c] = issue(batch)
    r = client.get("/v/", {"number": c.number[:4] + "-" + c.number[4:].lower()})
    assert r.status_code == 302
    assert r["Location"] == f"/v/{c.number}"
    assert client.get("/v/").status_code == 200


def test_counterfeit_signals(client, users, batch, issue):
    [c] = issue(batch, quantity="10")  # 10 kg: 20 + 2 scans explain it
    limit = services.expected_scans(c)
    assert limit == 22
    for _ in range(limit):
        client.get(_qr_url(c))
    c.refresh_from_db()
    assert c.suspicious is False
    client.get(_qr_url(c))
    c.refresh_from_db()
    assert c.suspicious is True
    assert "超出其数量可解释的次数" in c.suspicious_reason
    [d] = issue(batch, quantity="500")
    client.get(_qr_url(d) + "&lat=34.84&lon=119.12")
    client.get(_qr_url(d) + "&lat=23.13&lon=113.26")  # Guangzhou a minute later
    d.refresh_from_db()
    assert d.suspicious is True
    assert "公里处被扫码" in d.suspicious_reason
    assert Scan.objects.filter(certificate=d, flagged=True).count() == 1
    [e] = issue(batch, quantity="500")
    for town in ["南京市", "上海市", "杭州市", "合肥市", "济南市"]:
        client.get(_qr_url(e) + f"&place={town}")
    e.refresh_from_db()
    assert e.suspicious is False
    client.get(_qr_url(e) + "&place=广州市")
    e.refresh_from_db()
    assert e.suspicious is True
    assert e.suspicious_reason == "24 小时内在 6 个不同地点被扫码。"


def test_keys_json(client, users, batch, issue):
    [c] = issue(batch)
    r = client.get("/v/keys.json")
    assert r.status_code == 200
    keys = qrsign.load_keyset(r.content)
    assert qrsign.verify_token(c.token, keys).ok


def test_pdf_labels_chinese_and_sizes(users, batch, issue):
    certs = issue(batch, quantity="50", count=3)
    for key, (w, h) in {"60x40": (60, 40), "70x50": (70, 50), "100x70": (100, 70)}.items():
        pdf = labels.labels_pdf(certs, key)
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 3
        box = reader.pages[0].mediabox
        assert round(float(box.width) / 72 * 25.4) == w
        assert round(float(box.height) / 72 * 25.4) == h
        text = reader.pages[0].extract_text()
        assert "承诺达标合格证" in text
        assert "黄瓜" in text
        assert certs[0].number in text
    sheet = PdfReader(io.BytesIO(labels.labels_pdf(certs, "60x40", "a4")))
    assert len(sheet.pages) == 1
    assert all(c.number in sheet.pages[0].extract_text() for c in certs)


def test_printed_qr_decodes(users, batch, issue):
    [c] = issue(batch)
    # the QR at print resolution: 60×40 mm label, 203 dpi thermal printer → QR of about 27 mm
    # dense enough for a 27 mm QR on a 60×40 mm label: version 11 (61 modules) at error level M or better
    qr = labels.qr_code(c)
    assert qr.version <= 11
    assert qr.error in ("M", "Q", "H")
    img = Image.open(io.BytesIO(labels.qr_png(c, scale=3)))
    [result] = zxingcpp.read_barcodes(img)
    assert result.text == labels.qr_text_of(c)
    assert qrsign.verify_text(result.text, services.public_keys_map()).ok


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed")
def test_pdf_label_rasterised_decodes(users, batch, issue, tmp_path):
    [c] = issue(batch)
    (tmp_path / "l.pdf").write_bytes(labels.labels_pdf([c], "60x40"))
    subprocess.run(
        ["pdftoppm", "-r", "203", "-png", str(tmp_path / "l.pdf"), str(tmp_path / "p")], check=True
    )
    [png] = list(tmp_path.glob("p*.png"))
    [result] = zxingcpp.read_barcodes(Image.open(png))
    assert result.text == labels.qr_text_of(c)


def test_label_pages_and_print_count(client, users, batch, issue):
    certs = issue(batch, quantity="50", count=2)
    client.force_login(users.producer)
    r = client.get("/certificates/labels/", {"batch": batch.code, "size": "70x50"})
    assert r.status_code == 200
    assert r.content.decode().count("承诺达标合格证") >= 2
    r = client.get("/certificates/labels.pdf", {"n": certs[0].number})
    assert r["Content-Type"] == "application/pdf"
    # looking changes nothing: a print is counted by the print button's POST (or a PDF asked for by POST)
    assert [c.print_count for c in Certificate.objects.order_by("number")] == [0, 0]
    r = client.post(
        "/certificates/labels/printed/", {"batch": batch.code, "size": "70x50"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert r.json() == {"printed": 2}
    r = client.post("/certificates/labels.pdf", {"n": certs[0].number})
    assert r["Content-Type"] == "application/pdf"
    assert [c.print_count for c in Certificate.objects.order_by("number")] == [2, 1]
    r = client.post("/certificates/labels/printed/", {"n": certs[1].number, "size": "60x40", "sheet": "a4"})
    assert r.status_code == 302
    assert r["Location"] == f"/certificates/labels/?n={certs[1].number}&size=60x40&sheet=a4"
    assert client.get("/certificates/labels/printed/").status_code == 405
    # another township's supervisor cannot print them, nor count a print
    client.force_login(users.zw)
    assert client.get("/certificates/labels.pdf", {"n": certs[0].number}).status_code == 404
    assert client.post("/certificates/labels/printed/", {"n": certs[0].number}).status_code == 404
    assert [c.print_count for c in Certificate.objects.order_by("number")] == [2, 2]


def test_pages_render_and_scope(client, users, batch, issue, make_producer, ganyu, today):
    [c] = issue(batch)
    other = make_producer(name="柘汪镇合作社", town="柘汪镇")
    import datetime as dt

    ob = services.batch_create(
        actor=None, producer=other, product=ganyu.category("黄瓜"), started=today - dt.timedelta(days=30)
    )
    [oc] = issue(ob, actor=None)
    client.force_login(users.qk)
    for url in [
        "/certificates/",
        "/certificates/batches/",
        f"/certificates/batches/{batch.code}/",
        f"/certificates/c/{c.number}/",
        f"/certificates/c/{c.number}/qr.svg",
        "/certificates/collections/",
        "/certificates/market-checks/",
        "/certificates/coverage/",
        "/certificates/reissue/",
        "/certificates/collect/",
        "/certificates/batches/new/",
        f"/certificates/trace/?number={c.number}",
    ]:
        assert client.get(url).status_code == 200, url
    index = client.get("/certificates/").content.decode()
    assert c.number in index and oc.number not in index
    assert client.get(f"/certificates/c/{oc.number}/").status_code == 404
    assert client.get(f"/certificates/batches/{ob.code}/").status_code == 404
    client.force_login(users.producer)
    assert client.get(f"/certificates/c/{oc.number}/").status_code == 404
    assert client.get(f"/certificates/c/{c.number}/").status_code == 200


def test_issue_through_the_page(client, users, batch):
    client.force_login(users.producer)
    r = client.post(
        f"/certificates/batches/{batch.code}/",
        {
            "action": "issue",
            "is-quantity": "100",
            "is-unit": "kg",
            "is-count": "1",
            "is-basis": "control",
        },
    )
    assert r.status_code == 302
    c = Certificate.objects.get()
    assert r["Location"] == f"/certificates/c/{c.number}/"
    r = client.post(f"/certificates/c/{c.number}/", {"reason": "重复开具"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.status == "revoked"
    assert Producer.objects.get(pk=users.own_producer.pk).key_target is False
    json.dumps(services.public_keys())
