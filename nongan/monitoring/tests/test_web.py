import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from nongan.core.models import ImportJob
from nongan.monitoring import services
from nongan.monitoring.imports import RAPID_SHEET, RESULT_SHEET
from nongan.monitoring.models import LabResult, RapidTest, Sample


def _xlsx(header, rows, name="f.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


def when(hours=1):
    return timezone.localtime(timezone.now() - dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def test_pages_render_for_staff(client, users, plan, make_sample, judge):
    s = make_sample()
    client.force_login(users.admin)
    for name, kw in [
        ("index", {}),
        ("plan_list", {}),
        ("plan_create", {}),
        ("plan_edit", {"year": plan.year}),
        ("task_list", {}),
        ("sample_list", {}),
        ("sample_create", {}),
        ("sample_detail", {"code": s.code}),
        ("rapid_list", {}),
        ("rapid_create", {}),
        ("rapid_import", {}),
        ("results_import", {}),
        ("follow_up_list", {}),
        ("integrity", {}),
    ]:
        r = client.get(reverse(f"monitoring:{name}", kwargs=kw))
        assert r.status_code == 200, name
    r = client.get(reverse("monitoring:index"))
    assert "青口镇" in r.content.decode() and "800" in r.content.decode()


def test_producer_account_cannot_see_staff_pages(client, users, plan):
    client.force_login(users.producer)
    assert client.get(reverse("monitoring:index")).status_code == 403


def test_sample_pdf_in_chinese(client, users, make_sample):
    s = make_sample(party_name="王建国", party_confirmed=True, certificate_number="HG320707")
    client.force_login(users.sampler)
    r = client.get(reverse("monitoring:sample_print", kwargs={"code": s.code}))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    for expected in (
        "农产品质量安全监测抽样单",
        s.code,
        "青口镇绿源蔬菜专业合作社",
        "黄瓜",
        "王建国",
        "HG320707",
        "2.5 kg",
    ):
        assert expected in text
    client.force_login(users.zw)
    assert client.get(reverse("monitoring:sample_print", kwargs={"code": s.code})).status_code == 404


def test_sample_form_and_transition_view(client, users, plan):
    client.force_login(users.sampler)
    data = {
        "producer": users.own_producer.pk,
        "product": users.own_producer.products.first().pk,
        "quantity": "3",
        "quantity_unit": "kg",
        "place": "田头",
        "sampled_at": when(),
        "seal_number": "S1",
    }
    r = client.post(reverse("monitoring:sample_create"), {**data, "quantity": "-3"})
    assert r.status_code == 200 and Sample.objects.count() == 0
    assert "不能为负" in r.content.decode()
    r = client.post(reverse("monitoring:sample_create"), data)
    s = Sample.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/samples/{s.code}/")
    client.force_login(users.analyst)
    client.post(reverse("monitoring:sample_transition", kwargs={"code": s.code}), {"action": "receive"})
    s.refresh_from_db()
    assert s.state == "received"


def _confirm(client, kind):
    """The uploader confirms the last checked job of ``kind`` on the job's page (applied in the request)."""
    job = ImportJob.objects.filter(kind=kind).order_by("-pk").first()
    assert job.status == "checked", (job.status, job.errors)
    r = client.post(reverse("core:import_job", kwargs={"pk": job.pk}), {"action": "confirm"})
    assert r.status_code == 302
    job.refresh_from_db()
    return job


def test_results_import_all_or_nothing(client, users, received, judge):
    client.force_login(users.analyst)
    header = ["样品编号", "检测项目", "检测值", "单位", "检出限"]
    bad = _xlsx(
        header,
        [
            [received.code, "毒死蜱", "0.01", "mg/kg", "0.005"],
            [received.code, "腐霉利", "-1", "mg/kg", ""],
            ["CY000", "毒死蜱", "1", "mg/kg", ""],
        ],
    )
    r = client.post(reverse("monitoring:results_import"), {"file": bad})
    assert r.status_code == 302
    assert LabResult.objects.count() == 0
    job = ImportJob.objects.get(kind="monitoring.results")
    value_label = str(RESULT_SHEET.columns[2].label)
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, value_label), (4, "样品编号")]
    rep = client.get(reverse("core:import_errors", kwargs={"pk": job.pk}))
    ws = load_workbook(io.BytesIO(rep.content)).active
    assert [c.value for c in ws[2]][:2] == [3, value_label]
    good = SimpleUploadedFile(
        "export.csv",
        f"样品编号,检测项目,检测值,单位\n{received.code},毒死蜱,0.01,mg/kg\n{received.code},腐霉利,0.2,mg/kg\n".encode(
            "utf-8-sig"
        ),
    )
    r = client.post(reverse("monitoring:results_import"), {"file": good})
    assert LabResult.objects.count() == 0  # checked, not yet confirmed
    assert _confirm(client, "monitoring.results").status == "done"
    assert sorted(LabResult.objects.values_list("analyte", "verdict")) == [
        ("毒死蜱", "pass"),
        ("腐霉利", "pass"),
    ]


def test_rapid_import_all_or_nothing(client, users):
    client.force_login(users.qk)
    header = [str(c.label) for c in RAPID_SHEET.columns]
    row = ["320707100000", "", "黄瓜", "L1", "酶抑制法", "", "20", "", "", "", when(), ""]
    bad_row = ["320707100000", "", "黄瓜", "L1", "酶抑制法", "", "abc", "", "", "", when(), ""]
    r = client.post(reverse("monitoring:rapid_import"), {"file": _xlsx(header, [row, bad_row])})
    assert r.status_code == 302 and RapidTest.objects.count() == 0
    job = ImportJob.objects.get(kind="monitoring.rapid")
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "抑制率（%）")]
    client.post(reverse("monitoring:rapid_import"), {"file": _xlsx(header, [row, row])})
    _confirm(client, "monitoring.rapid")
    assert RapidTest.objects.filter(source="xlsx").count() == 2


def test_rapid_api_batch(client, users):
    client.force_login(users.qk)
    url = "/api/v1/monitoring/rapid-tests/"
    good = {
        "product": "黄瓜",
        "method": "enzyme",
        "inhibition": "61",
        "tested_at": timezone.now().isoformat(),
    }
    r = client.post(
        url,
        [good, {**good, "inhibition": "-5"}, {**good, "product": "火星菜"}],
        content_type="application/json",
    )
    assert r.status_code == 400
    body = r.json()
    assert body[0] == {} and "inhibition" in body[1] and "product" in body[2]
    assert RapidTest.objects.count() == 0
    r = client.post(
        url,
        [good, {**good, "method": "gold", "c_line": True, "t_line": "absent"}],
        content_type="application/json",
    )
    assert r.status_code == 201
    assert [x["outcome"] for x in r.json()] == ["positive", "positive"]
    r = client.post(url, {**good, "station": "320707101000"}, content_type="application/json")
    assert r.status_code == 400 and "station" in r.json()
    assert client.get(url).json()["count"] == 2
    client.force_login(users.zw)
    assert client.get(url).json()["count"] == 0


def test_sample_and_result_api(client, users, plan, judge):
    client.force_login(users.sampler)
    r = client.post(
        "/api/v1/monitoring/samples/",
        {
            "producer": users.own_producer.code,
            "product": "黄瓜",
            "quantity": "2",
            "quantity_unit": "kg",
            "place": "大棚",
            "sampled_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    client.force_login(users.analyst)
    r = client.post(
        f"/api/v1/monitoring/samples/{code}/transition/",
        {"action": "receive"},
        content_type="application/json",
    )
    assert r.json()["state"] == "received"
    r = client.post(
        "/api/v1/monitoring/results/",
        {"sample": code, "analyte": "毒死蜱", "value": "-1", "unit": "mg/kg"},
        content_type="application/json",
    )
    assert r.status_code == 400 and LabResult.objects.count() == 0
    r = client.post(
        "/api/v1/monitoring/results/",
        {"sample": code, "analyte": "毒死蜱", "value": "0.5", "unit": "mg/kg"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["verdict"] == "fail" and r.json()["limit_mg_kg"] == "0.020000"
    r = client.post(
        f"/api/v1/monitoring/samples/{code}/transition/",
        {"action": "submit"},
        content_type="application/json",
    )
    r = client.post(
        f"/api/v1/monitoring/samples/{code}/transition/",
        {"action": "verify"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert Sample.objects.get(code=code).state == "results_submitted"
    r = client.get(f"/api/v1/monitoring/plans/{plan.pk}/progress/")
    assert r.status_code == 200 and r.json()["total"]["done"] == 1
    client.force_login(users.producer)
    assert client.get("/api/v1/monitoring/plans/").json()["count"] == 0


def test_public_page_masks_households(client, users, make_producer, make_sample, judge):
    hh = make_producer(name="张三丰", type="household", is_scale=False)
    grower = make_producer(name="郭杰（紫菜养殖大户）", type="scale_grower")
    for producer in (hh, grower, users.own_producer):
        s = make_sample(producer=producer)
        services.sample_transition(actor=users.analyst, sample=s, action="receive")
        services.results_enter(
            actor=users.analyst,
            sample=s,
            rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}],
            submit=True,
        )
        services.sample_transition(actor=users.analyst2, sample=s, action="verify")
        services.sample_transition(actor=users.admin, sample=s, action="publish")
    unpublished = make_sample()
    r = client.get(reverse("monitoring:public"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "张**" in html and "张三丰" not in html
    assert "郭*（紫菜养殖大户）" in html and "郭杰" not in html
    assert "青口镇绿源蔬菜专业合作社" in html and unpublished.code not in html
    assert "13812345678" not in html


@pytest.mark.parametrize(
    "who,detail,api_count,rapid_count",
    [
        ("admin", 200, 1, 2),
        ("qk", 200, 1, 1),
        ("zw", 404, 0, 1),
        ("village", 200, 1, 0),
        ("producer", 404, 0, 0),  # its own sample, not yet published: not shown to the producer
        ("sampler", 200, 1, 2),
        ("market", 200, 1, 2),
    ],
)
def test_scoping_matrix(client, users, make_sample, who, detail, api_count, rapid_count):
    s = make_sample()
    services.rapid_tests_record(
        actor=users.qk,
        items=[
            {
                "product": "黄瓜",
                "method": "enzyme",
                "inhibition": "5",
                "tested_at": timezone.now().isoformat(),
            }
        ],
    )
    services.rapid_tests_record(
        actor=users.zw,
        items=[
            {
                "product": "黄瓜",
                "method": "enzyme",
                "inhibition": "5",
                "tested_at": timezone.now().isoformat(),
            }
        ],
    )
    client.force_login(getattr(users, who))
    assert client.get(reverse("monitoring:sample_detail", kwargs={"code": s.code})).status_code == detail
    assert client.get(reverse("monitoring:sample_print", kwargs={"code": s.code})).status_code == detail
    assert client.get("/api/v1/monitoring/samples/").json()["count"] == api_count
    assert client.get("/api/v1/monitoring/rapid-tests/").json()["count"] == rapid_count


def test_anonymous_gets_login_or_401(client, users, make_sample):
    s = make_sample()
    r = client.get(reverse("monitoring:sample_detail", kwargs={"code": s.code}))
    assert r.status_code == 302 and "/login/" in r["Location"]
    assert client.get("/api/v1/monitoring/samples/").status_code in (401, 403)
    assert client.get(reverse("monitoring:public")).status_code == 200


def test_plan_form_validates_whole_split(client, users, ganyu):
    from nongan.core.services import townships
    from nongan.monitoring.models import MonitoringPlan, PlanQuota

    towns = list(townships(ganyu.district))
    data = {
        "year": 2026,
        "title": "",
        "quantitative_target": 800,
        "crop": 500,
        "livestock": 150,
        "aquatic": 150,
        "pass_rate_target": "97",
        "district_rapid_target": 8000,
        "township_rapid_target": 7200,
        "focus_analytes": "毒死蜱；克百威",
    }
    for t, n in services.split_evenly(800, towns).items():
        data[f"q_{t.pk}"] = n
    for t, n in services.split_evenly(7000, towns).items():
        data[f"r_{t.pk}"] = n
    client.force_login(users.qk)
    assert client.post(reverse("monitoring:plan_create"), data).status_code == 403
    client.force_login(users.admin)
    r = client.post(reverse("monitoring:plan_create"), data)
    assert r.status_code == 200 and "7000" in r.content.decode() and "7200" in r.content.decode()
    assert MonitoringPlan.objects.count() == 0 and PlanQuota.objects.count() == 0
    for t, n in services.split_evenly(7200, towns).items():
        data[f"r_{t.pk}"] = n
    r = client.post(reverse("monitoring:plan_create"), data)
    plan = MonitoringPlan.objects.get()
    assert r.status_code == 302 and plan.title == "赣榆区2026年农产品质量安全监测计划"
    assert plan.analyte_list == ["毒死蜱", "克百威"]
    assert plan.quotas.count() == 3 + 15 + 15


def test_party_confirmation_view(client, users, make_sample):
    s = make_sample()
    assert not s.party_confirmed
    client.force_login(users.sampler)
    url = reverse("monitoring:sample_confirm", kwargs={"code": s.code})
    client.post(url, {"party_name": " "})
    s.refresh_from_db()
    assert not s.party_confirmed
    client.post(url, {"party_name": "王建国"})
    s.refresh_from_db()
    assert s.party_confirmed and s.party_name == "王建国" and s.party_confirmed_at is not None
    client.force_login(users.analyst)
    assert client.post(url, {"party_name": "李四"}).status_code == 403


def test_results_import_gbk_csv_and_cancelled_sample(client, users, received, make_sample, judge):
    cancelled = make_sample()
    services.sample_transition(actor=users.sampler, sample=cancelled, action="cancel", reason="作废")
    client.force_login(users.analyst)
    text = f"抽样单编号,农药名称,检测结果,单位\n{received.code},毒死蜱,0.01,mg/kg\n{cancelled.code},毒死蜱,0.01,mg/kg\n"
    r = client.post(
        reverse("monitoring:results_import"), {"file": SimpleUploadedFile("仪器导出.csv", text.encode("gbk"))}
    )
    assert r.status_code == 302 and LabResult.objects.count() == 0
    job = ImportJob.objects.get(kind="monitoring.results")
    assert [(e["row"], e["message"]) for e in job.errors] == [(3, "该样品已取消，不能录入检测结果。")]
    text = f"抽样单编号,农药名称,检测结果,单位\n{received.code},毒死蜱,0.01,mg/kg\n"
    client.post(
        reverse("monitoring:results_import"), {"file": SimpleUploadedFile("仪器导出.csv", text.encode("gbk"))}
    )
    _confirm(client, "monitoring.results")
    assert LabResult.objects.get().analyst == users.analyst


def test_my_tasks_filter(client, users, make_producer):
    p = make_producer(name="甲合作社")
    services.task_create(actor=users.admin, producer=p, samplers=[users.sampler])
    services.task_create(actor=users.admin, producer=p, samplers=[users.enforcement])
    client.force_login(users.sampler)
    r = client.get(reverse("monitoring:task_list") + "?mine=1&status=open")
    assert len(r.context["page_obj"].object_list) == 1
    assert len(client.get(reverse("monitoring:task_list")).context["page_obj"].object_list) == 2


def test_large_rapid_upload_runs_as_background_task(
    client, users, settings, django_capture_on_commit_callbacks
):
    settings.NONGAN_IMPORT_SYNC_ROWS = 2
    client.force_login(users.qk)
    header = [str(c.label) for c in RAPID_SHEET.columns]
    row = ["320707100000", "", "黄瓜", "L1", "酶抑制法", "", "20", "", "", "", when(), ""]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("monitoring:rapid_import"), {"file": _xlsx(header, [row, row, row])})
    job = ImportJob.objects.get(kind="monitoring.rapid")
    assert r.status_code == 302 and r["Location"] == reverse("core:import_job", kwargs={"pk": job.pk})
    job.refresh_from_db()
    assert (job.status, job.total_rows) == ("checked", 3)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:import_job", kwargs={"pk": job.pk}), {"action": "confirm"})
    job.refresh_from_db()
    assert (job.status, job.created_count, job.total_rows) == ("done", 3, 3)
    assert RapidTest.objects.count() == 3


def test_rapid_api_form_post_and_junk(client, users):
    client.force_login(users.qk)
    url = "/api/v1/monitoring/rapid-tests/"
    r = client.post(url, {"product": "黄瓜", "method": "enzyme", "inhibition": "55", "tested_at": when()})
    assert (
        r.status_code == 201 and r.json()["outcome"] == "positive" and r.json()["station"] == "320707100000"
    )
    r = client.post(url, [1, "x"], content_type="application/json")
    assert r.status_code == 400 and "product" in r.json()[0]
    r = client.post(url, [], content_type="application/json")
    assert r.status_code == 400
    assert RapidTest.objects.count() == 1


def test_results_import_preview_shows_what_a_correction_replaces(client, users, received, judge):
    services.results_enter(
        actor=users.analyst, sample=received, rows=[{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg"}]
    )
    client.force_login(users.analyst)
    text = (
        "样品编号,检测项目,检测值,单位,复检或更正原因\n"
        f"{received.code},毒死蜱,0.03,mg/kg,复检\n{received.code},腐霉利,0.2,mg/kg,\n"
    )
    r = client.post(
        reverse("monitoring:results_import"), {"file": SimpleUploadedFile("r.csv", text.encode())}
    )
    job = ImportJob.objects.get(kind="monitoring.results")
    assert r["Location"] == reverse("core:import_job", kwargs={"pk": job.pk})
    assert (job.status, job.summary["new"], job.summary["changed"], job.summary["unchanged"]) == (
        "checked",
        1,
        1,
        0,
    )
    assert job.summary["diffs"] == [
        {
            "row": 2,
            "record": f"{received.code} 毒死蜱",
            "fields": [["检测值", "0.010000", "0.03"], ["单位", "mg/kg", "mg/kg"]],
        }
    ]
    page = client.get(r["Location"]).content.decode()
    assert 'data-testid="import-diff"' in page and "0.010000" in page
    assert LabResult.objects.count() == 1  # nothing before the confirmation
    assert _confirm(client, "monitoring.results").status == "done"
    assert sorted(LabResult.objects.values_list("analyte", "value")) == [
        ("毒死蜱", Decimal("0.010000")),
        ("毒死蜱", Decimal("0.030000")),
        ("腐霉利", Decimal("0.200000")),
    ]
