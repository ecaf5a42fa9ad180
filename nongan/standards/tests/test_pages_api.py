"""Pages, API and commands of the standards."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from nongan.core.models import ImportJob
from nongan.standards.models import Edition, MaxResidueLimit

PAGES = ["standards:index", "standards:limits", "standards:banned", "standards:restricted", "standards:judge"]


@pytest.fixture
def api(users):
    def client_for(user):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return client_for


def test_pages_render_for_staff(client, standards, users):
    client.force_login(users.qk)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    page = client.get(reverse("standards:index")).content.decode()
    assert 'data-testid="current-GB 2763-2026"' in page
    assert 'data-testid="current-GB 2763-2021"' not in page
    assert "现行" in page and "已被代替" in page


def test_anonymous_is_sent_to_login(client, standards):
    response = client.get(reverse("standards:limits"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_limit_browse_filters(client, standards, users):
    client.force_login(users.qk)
    page = client.get(reverse("standards:limits"), {"food": "黄瓜", "analyte": "噻虫嗪"})
    rows = list(page.context["page_obj"])
    assert [(m.food.name, m.limit_mg_kg) for m in rows] == [("瓜类蔬菜", Decimal("0.5"))]
    page = client.get(reverse("standards:limits"), {"edition": "GB 2763.1-2022"})
    assert [(m.analyte.name_zh, m.food.name) for m in page.context["page_obj"]] == [("腐霉利", "韭菜")]
    page = client.get(reverse("standards:limits"), {"food": "韭菜", "analyte": "腐霉利"})
    assert page.context["total"] == 2  # GB 2763-2021 and GB 2763.1-2022
    page = client.get(reverse("standards:limits"), {"food": "韭菜", "analyte": "parathion"})
    assert [(m.food.name, m.clause) for m in page.context["page_obj"]] == [("鳞茎类蔬菜", "4.126")]


def test_judge_page(client, standards, users):
    client.force_login(users.analyst)
    page = client.get(
        reverse("standards:judge"),
        {"food": "韭菜", "analyte": "腐霉利", "value": "0.8", "unit": "mg/kg", "date": "2023-01-01"},
    )
    assert page.context["judgement"].verdict == "fail"
    assert "不合格" in page.content.decode()
    page = client.get(
        reverse("standards:judge"), {"food": "火星菜", "analyte": "腐霉利", "value": "0.8", "unit": "mg/kg"}
    )
    assert page.context["judgement"] is None
    assert page.context["form"].errors["food"] == ["“火星菜”不在农产品分类中。"]


def test_import_page_is_for_administrators(client, standards, users):
    for user in (users.qk, users.analyst, users.producer):
        client.force_login(user)
        assert client.get(reverse("standards:import")).status_code == 403
        assert client.post(reverse("standards:import"), {"kind": "mrl"}).status_code == 403
    assert ImportJob.objects.count() == 0


def test_import_page_upload_errors_and_download(client, standards, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users.admin)
    assert client.get(reverse("standards:import")).status_code == 200
    f = SimpleUploadedFile("bad.csv", "农药,食品,限量,标准\n噻虫嗪,火星菜,1,GB 2763-2030\n".encode())
    response = client.post(reverse("standards:import"), {"kind": "mrl", "file": f})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:import_job", args=[job.pk])
    assert client.get(reverse("standards:import_result", args=[job.pk]))["Location"] == response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "“火星菜”不是农产品分类中的食品或类别。" in page
    download = client.get(reverse("standards:import_errors", args=[job.pk]), follow=True)
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxml")
    client.force_login(users.qk)
    assert client.get(reverse("standards:import_errors", args=[job.pk])).status_code == 403

    client.force_login(users.admin)
    f = SimpleUploadedFile("ok.csv", b"standard,kind,in_force\nGB 2763-2030,full edition,2030-03-01\n")
    client.post(reverse("standards:import"), {"kind": "editions", "file": f})
    f = SimpleUploadedFile("ok.csv", "农药,食品,限量\n噻虫嗪,黄瓜,0.2\n".encode())
    client.post(
        reverse("core:import_job", args=[ImportJob.objects.order_by("-pk").first().pk]), {"action": "confirm"}
    )
    response = client.post(reverse("standards:import"), {"kind": "mrl", "edition": "GB 2763-2030", "file": f})
    job = ImportJob.objects.order_by("-pk").first()
    assert (job.status, job.summary["new"]) == ("checked", 1)
    client.post(response["Location"], {"action": "confirm"})
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 1)
    assert MaxResidueLimit.objects.filter(edition__code="GB 2763-2030").count() == 1


def test_api_editions_and_limits(api, standards, users):
    response = api(users.qk).get("/api/v1/standards/editions/")
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["results"]}
    assert rows["GB 2763-2026"]["is_current"] is True and rows["GB 2763-2021"]["is_current"] is False
    assert rows["GB 2763.1-2022"]["amends"] == "GB 2763-2021" and rows["GB 2763-2026"]["limit_count"] == 3310
    response = api(users.qk).get(
        "/api/v1/standards/limits/", {"food": "黄瓜", "analyte": "噻虫嗪", "edition": "GB 2763-2026"}
    )
    assert [(r["food"], r["limit_mg_kg"]) for r in response.json()["results"]] == [("瓜类蔬菜", "0.500000")]
    assert api(users.qk).get("/api/v1/standards/editions/GB 2763-2026/").json()["family"] == "GB 2763"
    assert api(None).get("/api/v1/standards/limits/").status_code in (401, 403)


def test_api_judge(api, standards, users):
    c = api(users.analyst)
    response = c.post(
        "/api/v1/standards/judge/",
        {
            "food": "韭菜",
            "analyte": "腐霉利",
            "value": 0.8,
            "unit": "mg/kg",
            "lod": "0.01",
            "date": "2023-06-01",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "verdict": "pass",
        "reason": "0.8 mg/kg 未超过韭菜的限量 5 mg/kg（GB 2763-2021/GB 2763.1-2022）。",
        "limit_mg_kg": "5",
        "value_mg_kg": "0.8",
        "edition": "GB 2763-2021/GB 2763.1-2022",
        "rule": "mrl_food",
        "rule_detail": "韭菜 5 mg/kg (GB 2763-2021/GB 2763.1-2022)",
        "policy": "mrl",
        "flags": [],
        "source": "",
    }
    strict = c.post(
        "/api/v1/standards/judge/",
        {
            "food": "黄瓜",
            "analyte": "2921-88-2",
            "value": "0.01",
            "unit": "mg/kg",
            "date": "2026-06-10",
            "policy": "strict",
        },
        format="json",
    ).json()
    assert (strict["verdict"], strict["rule"], strict["policy"], strict["flags"], strict["source"]) == (
        "fail",
        "restricted_scope",
        "strict",
        ["banned_detected", "basis_unverified"],
        "banned_restricted_2026.csv:62",
    )
    bad_policy = c.post(
        "/api/v1/standards/judge/",
        {
            "food": "黄瓜",
            "analyte": "毒死蜱",
            "value": "0.01",
            "unit": "mg/kg",
            "policy": "lenient",
            "fat": "120",
        },
        format="json",
    )
    assert bad_policy.status_code == 400
    assert bad_policy.json() == {
        "fat": ["脂肪含量应在 0 到 100% 之间，“120”不是。"],
        "policy": ["未知的判定策略“lenient”：应为 mrl 或 strict。"],
    }
    bad = c.post(
        "/api/v1/standards/judge/",
        {"food": "火星菜", "analyte": "腐霉利", "value": "-2", "unit": "kg", "date": "2023-02-30"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"date": ["“2023-02-30”不是日期，请写成 2026-11-28。"]}
    bad = c.post(
        "/api/v1/standards/judge/",
        {"food": "火星菜", "analyte": "腐霉利", "value": "-2", "unit": "kg"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "food": ["“火星菜”不在农产品分类中。"],
        "value": ["浓度不能为负数（-2）。"],
        "unit": ["未知单位“kg”；请使用 mg/kg 或 μg/kg。"],
    }
    assert c.post("/api/v1/standards/judge/", {}, format="json").status_code == 400
    assert c.post("/api/v1/standards/judge/", [1, 2], format="json").status_code == 400
    assert api(None).post("/api/v1/standards/judge/", {}, format="json").status_code in (401, 403)


def test_schema_documents_the_judge_endpoint(api, users):
    response = api(users.admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/standards/judge/" in paths and "/api/v1/standards/limits/" in paths


def test_judge_command(standards):
    out = io.StringIO()
    call_command(
        "judge",
        food="韭菜",
        analyte="腐霉利",
        value="0.8",
        unit="mg/kg",
        lod="0.01",
        date="2023-06-01",
        stdout=out,
    )
    text = out.getvalue()
    assert "判定：合格" in text and "限量：5 mg/kg" in text and "标准：GB 2763-2021/GB 2763.1-2022" in text
    assert "规则：食品本身的限量（mrl_food）" in text
    out = io.StringIO()
    call_command(
        "judge", food="韭菜", analyte="腐霉利", value="0.8", unit="mg/kg", date="2023-01-01", stdout=out
    )
    assert "判定：不合格" in out.getvalue() and "限量：0.2 mg/kg" in out.getvalue()
    with pytest.raises(CommandError, match="不在农产品分类中"):
        call_command("judge", food="火星菜", analyte="腐霉利", value="0.8", unit="mg/kg")
    with pytest.raises(CommandError):
        call_command("judge", food="韭菜")


def test_judge_command_on_a_file(standards, tmp_path):
    src = tmp_path / "results.csv"
    src.write_text(
        "food,analyte,value,unit,lod,date\n"
        "韭菜,腐霉利,0.8,mg/kg,0.01,2023-06-01\n"
        "韭菜,腐霉利,0.8,mg/kg,0.01,2023-01-01\n"
        "黄瓜,对硫磷,5,μg/kg,1,2026-12-01\n"
        "节瓜,噻虫嗪,0.1,mg/kg,,2026-12-01\n"
        "火星菜,噻虫嗪,0.1,mg/kg,,\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("judge", csv=src, stdout=out)
    assert "合格 3，不合格 1，无法判定 0，错误 1。" in out.getvalue()
    with open(tmp_path / "results.judged.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["verdict"], r["rule"], r["edition"], r["limit_mg_kg"]) for r in rows] == [
        ("pass", "mrl_food", "GB 2763-2021/GB 2763.1-2022", "5"),
        ("fail", "mrl_food", "GB 2763-2021", "0.2"),
        ("pass", "mrl_group", "GB 2763-2026", "0.01"),  # 对硫磷 is banned: judged on its limit, flagged
        ("pass", "mrl_food", "GB 2763-2026", "1"),  # 瓜类蔬菜(节瓜…除外): 节瓜's own row
        ("", "", "", ""),
    ]
    assert rows[2]["value_mg_kg"] == "0.005" and rows[0]["food"] == "韭菜"
    assert (rows[2]["flags"], rows[2]["policy"]) == ("banned_detected", "mrl")
    assert rows[3]["source"] == "gb2763_2026_excerpt.csv:193, 4.372 表 372"
    assert rows[4]["error"] == "food: “火星菜”不在农产品分类中。"
    call_command("judge", csv=src, out=tmp_path / "o.csv", stdout=io.StringIO())
    assert (tmp_path / "o.csv").exists()


def test_load_standards_command(ganyu):
    out = io.StringIO()
    call_command("load_standards", stdout=out)
    assert "新建 3764 行。" in out.getvalue()  # 3,723 + the 37 substances of 公告第250号 and 4 markers
    assert "date given as text, row 2 六六六: 2002 (earlier for most)" in out.getvalue()
    out = io.StringIO()
    call_command("load_standards", stdout=out)
    assert "新建 0 行。" in out.getvalue()
    assert Edition.objects.count() == 5


def test_demo_build_is_idempotent(ganyu):
    from nongan.standards import demo

    demo.build(stdout=io.StringIO())
    n = MaxResidueLimit.objects.count()
    demo.build(stdout=io.StringIO())
    assert MaxResidueLimit.objects.count() == n == 3312


def test_analyte_page(client, standards, users):
    client.force_login(users.producer)
    page = client.get(reverse("standards:analytes"), {"q": "parath"})
    assert page.status_code == 200
    names = [a.name_zh for a in page.context["page_obj"]]
    assert names == ["对硫磷", "甲基对硫磷"]
    assert page.context["page_obj"][0].ban_count == 2 and page.context["page_obj"][0].limit_count == 23
