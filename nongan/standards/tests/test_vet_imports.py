"""The GB 31650-shaped limit table through the one import pipeline: checked whole, nothing saved on any error,
applied atomically, never added to an edition that has limits; the judgement stored never changes afterwards."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from nongan.core import imports
from nongan.standards.engine import judge
from nongan.standards.models import Analyte, Edition, VetDrugLimit

GOOD = (
    "药物名称,残留标志物,动物种类,靶组织,残留限量(μg/kg),标准\n"
    "恩诺沙星,恩诺沙星与环丙沙星之和,牛、羊（泌乳期禁用）,肌肉,100,GB 31650-2019\n"
    "土霉素,土霉素,所有食品动物,奶,100,GB 31650-2019\n"
)
BAD = (
    "药物名称,残留标志物,动物种类,靶组织,残留限量(μg/kg),单位,标准\n"
    "恩诺沙星,恩诺沙星,马,肌肉,100,,GB 31650-2019\n"
    "恩诺沙星,恩诺沙星,猪,心,100,,GB 31650-2019\n"
    "恩诺沙星,恩诺沙星,猪,蛋,100,,GB 31650-2019\n"
    "恩诺沙星,恩诺沙星,猪,肌肉,abc,,GB 31650-2019\n"
    "恩诺沙星,恩诺沙星,猪,肌肉,100,mg/L,GB 31650-2019\n"
    "恩诺沙星,恩诺沙星,猪,肝,100,,GB 2763-2026\n"
    "恩诺沙星,恩诺沙星,猪,肾,100,,GB 31650-2019\n"
    "恩诺沙星,恩诺沙星,猪,肾,200,,GB 31650-2019\n"
)


def upload(actor, text, name="gb31650.csv"):
    job = imports.job_upload(
        actor=actor,
        kind="standards.vet",
        upload=SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv"),
        options={},
    )
    if job.status == "checked":
        job = imports.job_confirm(actor=actor, job=job)
    return job


def test_vet_table_rejected_whole_with_every_error(standards, users):
    analytes = Analyte.objects.count()
    job = upload(users.admin, BAD)
    assert job.status == "invalid"
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (2, "动物种类", "“马”不是标准中的动物种类（猪、牛、羊、家禽、鸡、鸭、兔、鱼、虾）。"),
        (3, "靶组织", "“心”不是标准中的组织（肌肉、脂肪、肝、肾、皮+脂、奶、蛋、皮+肉）。"),
        (4, "靶组织", "猪没有“蛋”这一组织：请从肌肉、脂肪、肝、肾、皮+脂中选择。"),
        (5, "残留限量(μg/kg)", "“abc”不是数字。"),
        (6, "单位", "mg/L 仅适用于奶；肌肉中的数值请以 mg/kg 或 μg/kg 填写。"),
        (7, "标准", "GB 2763-2026 不是 GB 31650（兽药）的版本。"),
        (9, "动物种类", "同一限量已在第 8 行。"),
    ]
    assert VetDrugLimit.objects.count() == 0
    assert Analyte.objects.count() == analytes


def test_vet_table_applied_split_by_species_and_never_added_to(standards, users):
    job = upload(users.admin, GOOD)
    assert job.status == "done", job.errors
    rows = list(
        VetDrugLimit.objects.order_by("species").values_list(
            "analyte__name_zh", "species", "tissue", "limit_mg_kg", "limit_published", "components", "note"
        )
    )
    assert rows == [
        ("土霉素", "all", "milk", Decimal("0.1"), Decimal("100"), "", ""),
        ("恩诺沙星", "cattle", "muscle", Decimal("0.1"), Decimal("100"), "恩诺沙星;环丙沙星", "泌乳期禁用"),
        ("恩诺沙星", "sheep", "muscle", Decimal("0.1"), Decimal("100"), "恩诺沙星;环丙沙星", "泌乳期禁用"),
    ]
    assert Analyte.objects.get(name_zh="环丙沙星").kind == "vet_drug"
    assert Edition.objects.get(code="GB 31650-2019").partial  # loaded from no official table: stays partial
    stored = judge(
        analyte="恩诺沙星", species="羊", tissue="肌肉", value="150", unit="μg/kg", on_date="2026-06-01"
    )
    assert (stored.verdict, stored.rule) == ("fail", "vet_species")
    again = upload(users.admin, GOOD.replace("100,GB", "300,GB"))
    assert again.status == "invalid"
    assert "已有限量" in again.errors[0]["message"]
    assert VetDrugLimit.objects.count() == 3


def test_api_judge_mirrors_the_vet_judgement(standards, users):
    from rest_framework.test import APIClient

    assert upload(users.admin, GOOD).status == "done"
    c = APIClient()
    c.force_authenticate(users.analyst)
    url = "/api/v1/standards/judge/"
    body = {"analyte": "恩诺沙星", "species": "牛", "tissue": "肌肉", "unit": "μg/kg", "date": "2026-06-01"}
    summed = c.post(url, {**body, "parts": {"恩诺沙星": "60", "环丙沙星": "50"}}, format="json")
    assert summed.status_code == 200
    data = summed.json()
    assert (data["verdict"], data["rule"], data["limit_mg_kg"], data["value_mg_kg"], data["source"]) == (
        "fail",
        "vet_species",
        "0.1",
        "0.11",
        "gb31650.csv:2",
    )
    prohibited = c.post(
        url, {**body, "analyte": "SEM", "value": "1", "decision_limit": "0.5", "species": "虾"}, format="json"
    ).json()
    assert (prohibited["verdict"], prohibited["rule"], prohibited["edition"]) == (
        "fail",
        "prohibited",
        "农业农村部公告第250号",
    )
    bad = c.post(url, {**body, "value": "1", "species": "马", "tissue": "心"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"species", "tissue"}
    misfit = c.post(url, {**body, "value": "1", "unit": "mg/L"}, format="json")
    assert misfit.status_code == 400 and "仅适用于奶" in misfit.json()["unit"][0]
    assert c.post(url, {**body, "value": "1", "parts": "x"}, format="json").status_code == 400
