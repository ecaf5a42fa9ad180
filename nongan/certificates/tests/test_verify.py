"""services.verify / verify_text: the one verdict behind the public page, the API, the lookups and
`nongan verify-qr --db`."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from nongan.certificates import qrsign, selectors, services
from nongan.certificates.models import Scan
from nongan.certificates.services import Verdict


def _forged(c, **change):
    """The certificate's token with a changed payload and its original signature."""
    raw = qrsign.b64u_decode(c.token)
    body = qrsign.decode_payload(raw[: -qrsign.SIGNATURE_BYTES])
    altered = qrsign.encode_payload(body.__class__(**{**body.as_dict(), **change}))
    return qrsign.b64u_encode(altered + raw[-qrsign.SIGNATURE_BYTES :])


def _wrong(number):
    return number[:5] + ("1" if number[5] != "1" else "2") + number[6:]


def test_verdicts(users, batch, issue):
    c, d = issue(batch, count=2)
    services.certificate_revoke(actor=None, certificate=d, reason="包装破损")
    unknown = qrsign.make_number("320707", 2026, 99999)
    fake_kid = qrsign.Signer("kfake", qrsign.generate_private_key()).token(
        qrsign.Payload("kfake", c.number, "黄瓜", "500", "kg", c.origin.code, "20261128", "x")
    )
    rows = [
        ((c.number, c.token), Verdict.GENUINE, c, qrsign.OK),
        ((c.number.lower(), None), Verdict.UNSIGNED, c, None),
        ((d.number, d.token), Verdict.REVOKED, d, qrsign.OK),
        ((d.number, ""), Verdict.REVOKED, d, None),
        ((c.number, _forged(c, quantity="9999")), Verdict.BAD_SIGNATURE, c, qrsign.BAD_SIGNATURE),
        ((c.number, fake_kid), Verdict.BAD_SIGNATURE, c, qrsign.UNKNOWN_KID),
        ((c.number, d.token), Verdict.BAD_SIGNATURE, c, qrsign.NUMBER_MISMATCH),
        ((c.number, "%%%"), Verdict.BAD_SIGNATURE, c, qrsign.MALFORMED),
        ((unknown, None), Verdict.NOT_FOUND, None, None),
        ((_wrong(c.number), c.token), Verdict.BAD_NUMBER, None, qrsign.NUMBER_MISMATCH),
        ((None, c.token), Verdict.GENUINE, c, qrsign.OK),
        ((None, "%%%"), Verdict.UNREADABLE, None, qrsign.MALFORMED),
        (("", None), Verdict.UNREADABLE, None, None),
    ]
    for args, verdict, cert, code in rows:
        r = services.verify(*args)
        assert (r.verdict, r.certificate, r.signature.code if r.signature else None) == (
            verdict,
            cert,
            code,
        ), args
        assert r.signed == (code == qrsign.OK)
        assert r.signature_failed == (code not in (None, qrsign.OK))
    genuine = services.verify(c.number, c.token)
    assert (genuine.number, genuine.payload.number, genuine.scan_result) == (c.number, c.number, "genuine")
    assert genuine.counterfeit_suspect is False
    assert services.verify(c.number, fake_kid).counterfeit_suspect is True
    # verify_text: a number, the whole QR text, a bare token, anything else
    qr = qrsign.qr_text("https://nongan.example.cn", c.number, c.token)
    assert services.verify_text(f"  {c.number} ").verdict == Verdict.UNSIGNED
    assert services.verify_text(qr).verdict == Verdict.GENUINE
    assert services.verify_text(c.token).verdict == Verdict.GENUINE
    assert services.verify_text("https://nongan.example.cn/v/x").signature.code == qrsign.MALFORMED
    assert services.verify_text("随便写的").verdict == Verdict.UNREADABLE
    assert Scan.objects.count() == 0  # verifying logs nothing: the page logs its scans


def test_token_kid():
    signer = qrsign.Signer("k260101a", qrsign.generate_private_key())
    token = signer.token(
        qrsign.Payload("k260101a", "32070726000000019", "黄瓜", "1", "kg", "1" * 12, "20260101", "x")
    )
    assert qrsign.token_kid(token) == "k260101a"
    assert [qrsign.token_kid(t) for t in ("", "%%%", "AAAA", token[:10])] == [None] * 4


def test_certificate_by_number_refusals_are_unchanged(users, batch, issue):
    [c] = issue(batch)
    qr = qrsign.qr_text("https://nongan.example.cn", c.number, c.token)
    assert services.certificate_by_number(qr) == c
    assert services.certificate_by_number(c.number.lower()) == c
    cases = [
        ("https://nongan.example.cn/v/?s=" + c.token, "二维码内容无法识别"),
        (qrsign.qr_text("https://nongan.example.cn", c.number, _forged(c, quantity="1")), "签名无效"),
        (qrsign.qr_text("https://nongan.example.cn", _wrong(c.number), c.token), "签名无效"),
        (_wrong(c.number), f"合格证编号 {_wrong(c.number)} 有误"),
        (qrsign.make_number("320707", 2026, 99999), "没有编号为"),
    ]
    for text, message in cases:
        with pytest.raises(ValidationError) as exc:
            services.certificate_by_number(text)
        assert message in exc.value.messages[0], text


def test_page_and_api_answer_from_the_same_verdict(client, users, batch, issue):
    [c] = issue(batch)
    # a mistyped number in the address wins over its token on the page; the API reports the token
    wrong = _wrong(c.number)
    r = client.get(f"/v/{wrong}?s={c.token}")
    assert r.status_code == 400
    assert f"合格证编号 {wrong} 有误" in r.content.decode()
    qr = qrsign.qr_text("https://nongan.example.cn", wrong, c.token)
    r = client.post("/api/v1/certificates-verify/", {"text": qr}, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (400, qrsign.NUMBER_MISMATCH)
    r = client.post("/api/v1/certificates-verify/", {"text": c.token}, content_type="application/json")
    assert (r.status_code, r.json()["genuine"], r.json()["number"]) == (200, True, c.number)
    assert Scan.objects.count() == 0


@pytest.mark.django_db
def test_verify_qr_command_with_the_database(users, batch, issue, capsys):
    c, d = issue(batch, count=2)
    services.certificate_revoke(actor=None, certificate=d, reason="包装破损")
    qr = qrsign.qr_text("https://nongan.example.cn", c.number, c.token)
    call_command("verify_qr", qr, "--db")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "✔ 真实有效"
    assert f"合格证编号：{c.number}" in out
    assert "产品名称：黄瓜" in out
    call_command("verify_qr", c.number, "--db", "--json")
    data = json.loads(capsys.readouterr().out)
    assert (data["ok"], data["verdict"], data["status"], data["signature"], data["payload"]) == (
        True,
        "unsigned",
        "valid",
        None,
        None,
    )
    for text, first in (
        (qrsign.qr_text("https://nongan.example.cn", d.number, d.token), "✘ 该合格证已撤销"),
        (qrsign.qr_text("https://nongan.example.cn", c.number, _forged(c, quantity="1")), "✘ 疑似假冒"),
        (qrsign.make_number("320707", 2026, 99999), "✘ 没有编号为"),
    ):
        with pytest.raises(SystemExit) as exc:
            call_command("verify_qr", text, "--db")
        assert exc.value.code == 1
        assert capsys.readouterr().out.startswith(first), text


def test_the_public_page_escapes_what_people_typed(client, users, batch, issue):
    """The page is built without the template engine (public_page): every text a person typed is escaped."""
    from nongan.certificates import labels

    [c] = issue(batch)
    services.certificate_revoke(actor=users.producer, certificate=c, reason='<b onclick="x()">错填</b>&')
    page = client.get("/" + labels.qr_text_of(c).split("/", 3)[3]).content.decode()
    assert "&lt;b onclick=&quot;x()&quot;&gt;错填&lt;/b&gt;&amp;" in page
    assert "<b onclick" not in page
    assert '<div class="alert alert-warning" data-testid="verify-status">' in page
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")


def test_the_page_writes_text_and_times_as_django_would():
    """``public_page`` escapes and prints issue times itself: the same text as Django's ``escape`` and dateformat."""
    import datetime as dt

    from django.utils import dateformat
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    from nongan.certificates import public_page

    for text in ("青口镇", "a&b", "<i>", '"x"', "it's", "", "100", "&amp;"):
        assert public_page._e(text) == escape(text)
    assert public_page._e(mark_safe("<b>")) == "<b>" and public_page._e(12.5) == "12.5"
    for d in (
        dt.datetime(2026, 3, 5, 8, 7),
        dt.datetime(2026, 12, 31, 23, 59),
        dt.datetime(2027, 1, 1, 0, 0),
    ):
        assert public_page._issued(d) == dateformat.format(d, "Y年n月j日 H:i")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of a PostgreSQL session")
def test_the_public_page_query_is_prepared_once_per_connection(client, users, batch, issue, settings):
    """On PostgreSQL the page's query is planned once per connection (PREPARE), then only executed; with
    NONGAN_PG_PREPARE off (a pooler sharing sessions) it is sent plainly and the page reads the same."""
    from nongan.certificates import labels

    certs = issue(batch, count=2)
    paths = ["/" + labels.qr_text_of(c).split("/", 3)[3] for c in certs]

    def prepared() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'nongan_public_page'")
            return cur.fetchone()[0]

    pages = [client.get(p).content.decode() for p in paths]
    assert prepared() == 1 and all("真实有效" in p for p in pages)
    assert [certs[0].number in pages[0], certs[1].number in pages[1]] == [True, True]
    settings.NONGAN_PG_PREPARE = False
    with connection.cursor() as cur:
        cur.execute("DEALLOCATE ALL")
    selectors._PREPARED.clear()
    plain = client.get(paths[0]).content.decode()
    assert prepared() == 0 and "真实有效" in plain and certs[0].number in plain
    settings.NONGAN_PG_PREPARE = True
    assert client.get(paths[1]).status_code == 200 and prepared() == 1  # prepared again on its first use


def test_the_page_reads_the_same_certificate_the_orm_loads(users, batch, issue, django_assert_num_queries):
    """The page's instances are built from its row by hand (no ``__init__``): the same values and deferred columns
    as ``from_db`` gives, related rows without a query, and the state guard of a workflow model intact."""
    from nongan.core.states import StateWriteError

    [c] = issue(batch)
    orm = type(c).objects.select_related("producer", "origin__parent__parent").get(pk=c.pk)
    with django_assert_num_queries(1):
        page = selectors.public_page_certificate(c.number)
        assert (page.producer.name, page.producer.type, page.producer.legal_rep) == (
            orm.producer.name,
            orm.producer.type,
            orm.producer.legal_rep,
        )
        chain = [page.origin.name, page.origin.parent.name, page.origin.parent.parent.name]
        assert chain == [orm.origin.name, orm.origin.parent.name, orm.origin.parent.parent.name]
    fields = [f.attname for f in type(c)._meta.concrete_fields]
    loaded = [f for f in fields if f not in page.get_deferred_fields()]
    assert sorted(page.get_deferred_fields()) == sorted(set(fields) - set(loaded))
    assert {f: getattr(page, f) for f in loaded} == {f: getattr(orm, f) for f in loaded}
    assert page.pk == c.pk and page._state.adding is False and page._state.db == "default"
    assert page.print_count == orm.print_count  # a deferred column, read on first use
    page.status = "revoked"
    with pytest.raises(StateWriteError):
        page.save()


def test_the_public_page_lists_the_last_scans_in_local_time_newest_first(client, users, batch, issue, ganyu):
    """The page's scan history (read with the certificate in one query on PostgreSQL, by its own query
    elsewhere): local time (Asia/Shanghai, so 16:30 UTC is 00:30 the next day), the township or nothing, the
    newest ten, newest first — the same from both reads."""
    import datetime as dt

    (c,) = issue(batch)
    utc = dt.UTC
    qingkou = ganyu.town["青口镇"]
    Scan.objects.bulk_create(
        [
            Scan(
                certificate=c,
                number=c.number,
                result="genuine",
                time=dt.datetime(2026, 3, 1, 16, 30, tzinfo=utc),
            ),
            Scan(
                certificate=c,
                number=c.number,
                result="genuine",
                region=qingkou,
                time=dt.datetime(2026, 3, 2, 1, 5, 59, tzinfo=utc),
            ),
        ]
        + [
            Scan(
                certificate=c,
                number=c.number,
                result="genuine",
                time=dt.datetime(2026, 1, 1, 0, i, tzinfo=utc),
            )
            for i in range(10)
        ]
    )
    expected = [("2026-03-02 09:05", "青口镇"), ("2026-03-02 00:30", "")] + [
        (f"2026-01-01 08:{i:02d}", "") for i in range(9, 1, -1)
    ]
    page = selectors.public_page_certificate(c.number)
    assert selectors.public_recent_scans(page) == expected
    assert selectors.public_recent_scans(type(c).objects.get(pk=c.pk)) == expected  # the separate query
    body = client.get(f"/v/{c.number}").content.decode()  # the page prints them as read (and logs this view)
    assert "<li>2026-03-02 09:05 · 青口镇</li><li>2026-03-02 00:30</li><li>2026-01-01 08:09</li>" in body
