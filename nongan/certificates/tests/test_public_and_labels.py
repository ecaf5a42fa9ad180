"""/v/<code> public verification, scan log, counterfeit signals, keys.json, printed labels."""

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from nongan.certificates import labels, qrsign, services
from nongan.certificates.models import Certificate, Scan
from nongan.registry.models import Producer


def _qr_url(c):
    return f"/v/{c.number}?s={c.token}"


def test_verify_genuine_logs_scan(client, users, batch, issue, ganyu):
    [c] = issue(batch)
    town = ganyu.town["海头镇"]
    r = client.get(_qr_url(c) + f"&town={town.code}&lat=34.8456&lon=119.1234")
    assert r.status_code == 200
    html = r.content.decode()
    assert "承诺达标合格证" in html
    assert "真实有效" in html
    assert "黄瓜" in html
    assert "青口镇" in html
    scan = Scan.objects.get()
    assert (scan.certificate, scan.result, scan.region, str(scan.latitude), str(scan.longitude)) == (
        c,
        "genuine",
        town,
        "34.85",
        "119.12",
    )
    assert len(scan.client) == 16 and "127.0.0.1" not in scan.client  # hashed
    c.refresh_from_db()
    assert c.scan_count == 1
    # The next visitor sees the township's name from the fixed list, never the coordinates.
    html = client.get(_qr_url(c)).content.decode()
    assert "海头镇" in html and "34.85" not in html and "119.12" not in html


def test_free_text_places_are_ignored_and_never_shown(client, users, batch, issue):
    [c] = issue(batch)
    client.get(_qr_url(c) + "&place=<b>假货请拨13800000000</b>&town=上海市")
    client.get(_qr_url(c) + "&town=320707999999")  # a code that is not one of the townships
    assert list(Scan.objects.values_list("region", flat=True)) == [None, None]
    assert "13800000000" not in client.get(_qr_url(c)).content.decode()


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
    assert c.scan_count == 1
    assert c.suspicious is False  # one scan decides nothing: staff review the signals
    assert Scan.objects.get().result == "bad_signature"
    # unknown key id
    other = qrsign.Signer("kfake", qrsign.generate_private_key())
    fake = other.token(qrsign.Payload("kfake", c.number, "黄瓜", "500", "kg", c.origin.code, "20261128", "x"))
    r = client.get(f"/v/{c.number}?s={fake}")
    html = r.content.decode()  # one public message for every key refusal (test_public_refusals)
    assert "签名未通过监管平台核验" in html and "签名密钥未知" not in html
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


def _suspects(user):
    return {s.certificate.number: s for s in services.suspected_certificates(user)}


def test_a_page_view_changes_nothing_but_the_scan_log(client, users, batch, issue):
    """GET /v/<number>?s=%ZZ (a broken token) used to mark the certificate counterfeit for good."""
    [c] = issue(batch)
    before = {f.name: getattr(c, f.name) for f in Certificate._meta.concrete_fields if f.name != "scan_count"}
    for _ in range(3):
        r = client.get(f"/v/{c.number}?s=%ZZ")
        assert r.status_code == 200
        assert "疑似假冒" in r.content.decode()  # this scan's QR does not prove the number …
    c.refresh_from_db()
    after = {f.name: getattr(c, f.name) for f in Certificate._meta.concrete_fields if f.name != "scan_count"}
    assert after == before and c.suspicious is False
    html = client.get(f"/v/{c.number}").content.decode()  # … and the next visitor gets no warning
    assert "监管部门已确认" not in html and 'data-testid="verify-suspicious"' not in html
    assert Scan.objects.filter(certificate=c).count() == 4
    assert c.events.filter(kind__startswith="counterfeit").count() == 0


def test_signals_are_aggregated_for_staff_who_confirm_or_clear_with_a_reason(client, users, batch, issue):
    from nongan.core.models import AuditLog, LedgerEntry

    [quiet, bad, many, wide] = issue(batch, quantity="10", count=4)  # 10 kg: 20 + 2 scans explain it
    assert services.expected_scans(quiet) == 22
    client.get(_qr_url(quiet))
    client.get(f"/v/{bad.number}?s=AAAA")  # a token that does not prove the number
    for _ in range(23):
        services.scan_record(certificate=many, number=many.number, result="genuine", client="10.1.0.1")
    for i in range(11):  # 11 clients within a day
        services.scan_record(certificate=wide, number=wide.number, result="genuine", client=f"10.2.0.{i}")
    for lat, lon in [("34.8", "119.1"), ("31.2", "121.5"), ("23.1", "113.3"), ("39.9", "116.4")]:
        services.scan_record(
            certificate=wide, number=wide.number, result="genuine", latitude=lat, longitude=lon, client="x"
        )
    found = _suspects(users.qk)
    assert sorted(found) == sorted([bad.number, many.number, wide.number])
    assert found[bad.number].reasons == ["有 1 次扫码的二维码签名与此编号不符。"]
    assert found[many.number].reasons == ["已被扫码 23 次，超出其数量可解释的次数（22）。"]
    assert found[wide.number].reasons == [
        "24 小时内被 12 个不同客户端扫码。",
        "24 小时内在 4 个不同地点被扫码。",
    ]
    # Another township sees none of them; a sampler may not review.
    assert _suspects(users.zw) == {}
    client.force_login(users.sampler)
    assert client.get("/certificates/suspected/").status_code == 403
    # The staff page lists them; confirming needs a reason.
    client.force_login(users.qk)
    page = client.get("/certificates/suspected/").content.decode()
    assert bad.number in page and many.number in page and quiet.number not in page
    url = f"/certificates/c/{bad.number}/suspicion/"
    client.post(url, {"decision": "confirm", "reason": ""})
    bad.refresh_from_db()
    assert bad.suspicious is False
    r = client.post(url, {"decision": "confirm", "reason": "市场查获复印标签"})
    assert r.status_code == 302
    bad.refresh_from_db()
    assert (bad.suspicious, bad.suspicious_reason, bad.suspicion_reviewed_by) == (
        True,
        "市场查获复印标签",
        users.qk,
    )
    assert bad.events.get(kind="counterfeit_confirmed").reason == "市场查获复印标签"
    assert AuditLog.objects.filter(object_id=str(bad.pk), reason="市场查获复印标签").count() == 1
    assert LedgerEntry.objects.filter(kind="certificate.counterfeit_confirmed", ref=bad.number).count() == 1
    client.logout()
    html = client.get(f"/v/{bad.number}").content.decode()
    assert "监管部门已确认此码存在假冒复制：" in html and "市场查获复印标签" in html
    # Clearing: the warning goes, and the signals so far no longer list the certificate.
    client.force_login(users.qk)
    client.post(f"/certificates/c/{many.number}/suspicion/", {"decision": "clear", "reason": "展会试吃扫码"})
    many.refresh_from_db()
    assert (many.suspicious, many.events.get(kind="counterfeit_cleared").reason) == (False, "展会试吃扫码")
    assert many.number not in _suspects(users.qk)
    # zw cannot review a 青口镇 certificate.
    client.force_login(users.zw)
    assert (
        client.post(
            f"/certificates/c/{wide.number}/suspicion/", {"decision": "confirm", "reason": "x"}
        ).status_code
        == 404
    )
    wide.refresh_from_db()
    assert wide.suspicious is False


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
    [result] = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
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
    [result] = zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)
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
    r = client.post(f"/certificates/c/{c.number}/", {"reason": "重复开具", "confirmed": "1"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.status == "revoked"
    assert Producer.objects.get(pk=users.own_producer.pk).key_target is False
    json.dumps(services.public_keys())


def test_the_logo_on_public_pages_leads_to_the_public_lookup_not_the_login(client, users):
    body = client.get("/draws/public/").content.decode()
    assert 'class="navbar-brand fw-bold" href="/v/"' in body
    client.force_login(users.qk)
    assert 'class="navbar-brand fw-bold" href="/"' in client.get("/draws/public/").content.decode()


def test_a_label_field_too_long_for_two_lines_says_it_goes_on():
    from nongan.certificates.labels import at_most_two_lines

    assert at_most_two_lines(["产地：青口镇柳河社区、", "柘汪镇和平社区、"]) == [
        "产地：青口镇柳河社区、",
        "柘汪镇和平社区、",
    ]
    assert at_most_two_lines(["产地：青口镇柳河社区、", "柘汪镇和平社区、柘汪", "镇蔡口村"]) == [
        "产地：青口镇柳河社区、",
        "柘汪镇和平社区等",
    ]
    assert at_most_two_lines(["产地：青口镇柳河社区、", "柘汪镇和平社区、", "镇蔡口村"]) == [
        "产地：青口镇柳河社区、",
        "柘汪镇和平社区等",
    ]


def test_place_picker_offers_the_fixed_list_and_location_without_inline_script(
    client, users, batch, issue, ganyu
):
    [c] = issue(batch)
    html = client.get(_qr_url(c)).content.decode()
    form = html[html.index("data-scan-place") : html.index("</form>", html.index("data-scan-place"))]
    for town in ("海头镇", "青口镇", "柘汪镇"):  # the installation's townships, by name, as a select
        assert f'value="{ganyu.town[town].code}">{town}</option>' in form
    assert '<select class="form-select form-select-sm w-auto" id="scan-town" name="town">' in form
    assert 'name="placed" value="1"' in form and f'name="s" value="{c.token}"' in form
    assert "data-scan-locate hidden" in form and "使用当前位置" in form  # shown by the script where it works
    assert "<textarea" not in form and 'type="text"' not in form  # never free text
    scripts = [chunk.split(">", 1)[0] for chunk in html.split("<script")[1:]]
    assert scripts == [' src="/static/nongan/verify.js"']  # no inline script (strict CSP)
    js = (Path(__file__).resolve().parents[2] / "static" / "nongan" / "verify.js").read_text(encoding="utf-8")
    assert "navigator.geolocation.getCurrentPosition" in js and "toFixed(2)" in js
    assert "script-src 'self'" in client.get(_qr_url(c))["Content-Security-Policy"]


def test_a_picked_place_goes_on_the_scan_just_made_not_on_a_new_one(client, users, batch, issue, ganyu):
    [c] = issue(batch)
    town = ganyu.town["海头镇"]
    client.get(_qr_url(c))
    assert list(Scan.objects.values_list("region", "latitude")) == [(None, None)]
    r = client.get(_qr_url(c) + f"&placed=1&town={town.code}")
    assert r.status_code == 200 and "已记录您的查验地点" in r.content.decode()
    assert list(Scan.objects.values_list("region", "latitude")) == [(town.pk, None)]  # the same scan
    c.refresh_from_db()
    assert c.scan_count == 1
    # Another phone's location (rounded, staff only) on its own earlier scan.
    client.get(_qr_url(c), REMOTE_ADDR="10.0.0.8")
    client.get(_qr_url(c) + "&placed=1&lat=34.84567&lon=119.12345&town=", REMOTE_ADDR="10.0.0.8")
    located = Scan.objects.exclude(latitude=None).get()
    assert (str(located.latitude), str(located.longitude), located.region) == ("34.85", "119.12", None)
    assert Scan.objects.count() == 2
    # The picker's parameters on a link hide no scan: without an earlier scan of that client the view counts.
    client.get(_qr_url(c) + f"&placed=1&town={town.code}", REMOTE_ADDR="10.0.0.9")
    assert Scan.objects.count() == 3 and Scan.objects.filter(region=town).count() == 2
    # Free text is no place: nothing attached, nothing shown.
    client.get(_qr_url(c), REMOTE_ADDR="10.0.0.10")
    client.get(_qr_url(c) + "&placed=1&town=假货请拨13800000000", REMOTE_ADDR="10.0.0.10")
    assert Scan.objects.count() == 4 and Scan.objects.filter(region=None, latitude=None).count() == 1
    assert "13800000000" not in client.get(_qr_url(c)).content.decode()


def test_the_workbench_counts_signals_from_the_cache_and_a_review_refreshes_it(
    client, users, batch, issue, django_capture_on_commit_callbacks
):
    """The to-do's counterfeit-signal count aggregates 30 days of scans once per jurisdiction and period, not on
    every load of the workbench; a review shows at once."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from nongan.certificates import todo as certificate_todo

    cache.clear()
    [bad, many, later] = issue(batch, quantity="10", count=3)
    client.get(f"/v/{bad.number}?s=AAAA")  # a token that does not prove the number
    for _ in range(23):
        services.scan_record(certificate=many, number=many.number, result="genuine", client="10.1.0.1")
    client.force_login(users.qk)

    def item():
        html = client.get("/").content.decode()
        found = re.search(r'data-todo="certificates.suspected".*?data-count>(\d+)<', html, flags=re.S)
        return int(found.group(1)) if found else 0

    assert item() == 2
    with CaptureQueriesContext(connection) as queries:  # the second load reads the count from the cache
        assert item() == 2
    assert not [q for q in queries if "certificates_scan" in q["sql"]]
    assert certificate_todo.suspected_count(users.zw) == 0  # another township: its own count
    # A confirmed certificate leaves the count at once (the review starts a new generation of counts) …
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/certificates/c/{bad.number}/suspicion/", {"decision": "confirm", "reason": "外包装造假"}
        )
    assert r.status_code == 302
    assert item() == 1
    # … while a new signal waits for the period (the list it links to is live)
    for _ in range(23):
        services.scan_record(certificate=later, number=later.number, result="genuine", client="10.1.0.1")
    assert item() == 1 and sorted(_suspects(users.qk)) == sorted([bad.number, many.number, later.number])
    cache.clear()
