"""Loading the shipped data and importing tables: validated whole, applied atomically, never overwriting."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from nongan.core import imports
from nongan.core.excel import error_report
from nongan.core.models import AuditLog, ImportJob
from nongan.standards.models import (
    Analyte,
    BannedSubstance,
    Edition,
    MaxResidueLimit,
    RestrictedUse,
    ScopeMapping,
    StandardsRevision,
)
from nongan.standards.services import (
    edition_create,
    editions_import,
    family_of,
    normalise_code,
    standards_load,
)
from nongan.standards.tables import TableRejected, read_table


def import_upload(*, actor, kind, upload, edition=None):
    """Upload a table through the import pipeline and, when it checks clean, confirm it as its uploader."""
    options = {"edition": edition.code} if edition else {}
    job = imports.job_upload(actor=actor, kind=f"standards.{kind}", upload=upload, options=options)
    if job.status == "checked":
        job = imports.job_confirm(actor=actor, job=job)
    return job


def counts():
    return {
        "editions": Edition.objects.count(),
        "limits": MaxResidueLimit.objects.count(),
        "analytes": Analyte.objects.count(),
        "banned": BannedSubstance.objects.count(),
        "restricted": RestrictedUse.objects.count(),
        "mappings": ScopeMapping.objects.count(),
    }


def csv_upload(text: str, name="limits.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_load_shipped_standards_is_idempotent(ganyu):
    first = standards_load()
    assert first["tree"] == {"created": 240, "updated": 33}
    assert first["analytes"] == {"created": 74, "updated": 0}
    assert first["editions"] == {"created": 5, "skipped": 0}
    assert first["limits"] == {
        "created": 2,
        "analytes_created": 1,
        "skipped_editions": 0,
        "marked_partial": 2,
    }
    assert first["excerpt"] == {
        "created": 3310,
        "skipped": 0,
        "analytes_created": 9,
        "footnotes": 20,
        "misfiled": 12,
        "merged": 4,
        "unmapped": 0,
        "duplicates": 2,
        "bad_values": 0,
    }
    assert first["banned"] == {"created": 42, "skipped": 0}
    assert first["restricted"] == {"created": 17, "skipped": 0}
    assert first["lists_2026"] == {
        "created": 27,
        "banned_created": 21,
        "restricted_created": 6,
        "already_listed": 39,
        "superseding": 4,
        "text_dates": 35,
        "no_date": 5,
        "unverified": 12,
    }
    # 公告第250号: 37 substances of its 21 entries (33 new analytes), the four nitrofuran markers, and the two GB
    # 31650 editions marked partial (no table of theirs is shipped)
    assert first["prohibited_250"] == {"created": 37, "analytes_created": 33}
    assert first["vet_markers"] == {"created": 4, "updated": 0}
    assert first["vet_partial"] == {"marked": 2}
    assert counts() == {
        "editions": 5,
        "limits": 3312,
        "analytes": 162,
        "banned": 100,
        "restricted": 23,
        "mappings": 6,
    }
    # GB 2763-2021 / 2763.1-2022 hold sample rows only: partial, the reason in the audit record
    assert set(Edition.objects.filter(partial=True).values_list("code", flat=True)) == {
        "GB 2763-2021",
        "GB 2763.1-2022",
        "GB 2763-2026",
        "GB 31650-2019",
        "GB 31650.1-2022",
    }
    reasons = AuditLog.objects.filter(object_repr="GB 2763-2021", reason__contains="sample rows")
    assert reasons.count() == 1 and reasons.get().changes == {"partial": [False, True]}
    token = StandardsRevision.objects.get().token
    audit_rows = AuditLog.objects.count()
    second = standards_load()
    assert second["limits"] == {
        "created": 0,
        "analytes_created": 0,
        "skipped_editions": 2,
        "marked_partial": 0,
    }
    assert second["excerpt"]["created"] == 0 and second["excerpt"]["skipped"] == 3348
    assert second["lists_2026"]["banned_created"] + second["lists_2026"]["restricted_created"] == 0
    assert sum(p.get("created", 0) for p in second.values()) == 0
    assert counts()["limits"] == 3312
    assert StandardsRevision.objects.get().token == token
    assert AuditLog.objects.count() == audit_rows


def test_shipped_editions_and_their_links(standards):
    amendment = Edition.objects.get(code="GB 2763.1-2022")
    assert (amendment.family, amendment.kind, amendment.amends.code, str(amendment.in_force)) == (
        "GB 2763",
        "amendment",
        "GB 2763-2021",
        "2023-05-11",
    )
    new = Edition.objects.get(code="GB 2763-2026")
    assert sorted(e.code for e in new.supersedes.all()) == ["GB 2763-2021", "GB 2763.1-2022"]
    assert Edition.objects.get(code="GB 31650.1-2022").amends.code == "GB 31650-2019"
    assert MaxResidueLimit.objects.get(
        edition__code="GB 2763.1-2022", analyte__name_zh="腐霉利"
    ).limit_mg_kg == Decimal("5")
    assert Analyte.objects.get(name_zh="腐霉利").name_en == "procymidone"
    assert family_of("GB 2763.1-2022") == "GB 2763" and normalise_code("GB2763 - 2026") == "GB 2763-2026"


def test_mrl_import_reports_every_bad_row_and_saves_nothing(standards, users):
    before = counts()
    editions_import(
        actor=users.admin,
        table=read_table(
            "editions",
            b"standard,kind,in_force\nGB 2763.1-2027,amendment (adds to GB 2763-2026),2027-05-01\n",
            "e.csv",
        ),
    )
    before["editions"] += 1
    text = (
        "农药,食品,限量,临时,标准\n"
        "噻虫嗪,火星菜,0.5,否,GB 2763.1-2027\n"
        "噻虫嗪,黄瓜,abc,否,GB 2763.1-2027\n"
        "噻虫嗪,黄瓜,-1,否,GB 2763.1-2027\n"
        "噻虫嗪,番茄,0.5,也许,GB 2763.1-2027\n"
        "噻虫嗪,番茄,0.6,否,GB 2763.1-2027\n"
        ",茄子,0.5,否,GB 2763.1-2027\n"
        "噻虫嗪,瓜类蔬菜(菠菜除外),0.5,否,GB 2763.1-2027\n"
        "噻虫嗪,茄子,0.5,否,GB 9999-2030\n"
        "噻虫嗪,芹菜,0.5,否,GB 2763-2026\n"
    )
    with pytest.raises(TableRejected) as exc:
        from nongan.standards.services import mrl_import

        mrl_import(actor=users.admin, table=read_table("mrl", text.encode(), "limits.csv"))
    assert [e.as_dict() for e in exc.value.row_errors] == [
        {"row": 2, "column": "食品", "message": "“火星菜”不是农产品分类中的食品或类别。"},
        {"row": 3, "column": "限量", "message": "“abc”不是数字。"},
        {"row": 4, "column": "限量", "message": "限量应在 0 到 999999 mg/kg 之间。"},
        {"row": 4, "column": "食品", "message": "同一限量已在第 3 行。"},
        {"row": 5, "column": "临时", "message": "请填写 是 或 否（yes/no）。"},
        {"row": 6, "column": "食品", "message": "同一限量已在第 5 行。"},
        {"row": 7, "column": "农药", "message": "请填写农药或兽药。"},
        {"row": 8, "column": "食品", "message": "“菠菜”不属于瓜类蔬菜。"},
        {"row": 9, "column": "标准", "message": "标准版本 GB 9999-2030 尚未加载，请先导入该版本。"},
        {
            "row": 10,
            "column": "标准",
            "message": "GB 2763-2026 已有限量；标准版本不能覆盖，请导入新版本或修改单。",
        },
    ]
    assert counts() == before


def test_a_populated_edition_is_never_added_to(standards, users):
    before = counts()
    job = import_upload(
        actor=users.admin,
        kind="mrl",
        upload=csv_upload(
            "pesticide_zh,food_zh,mrl_mg_per_kg,temporary,standard\n腐霉利,韭菜,9,no,GB 2763-2021\n"
        ),
    )
    assert job.status == "invalid"
    assert job.errors == [
        {
            "row": 2,
            "column": "standard",
            "message": "GB 2763-2021 已有限量；标准版本不能覆盖，请导入新版本或修改单。",
        }
    ]
    assert counts() == before
    assert MaxResidueLimit.objects.get(
        edition__code="GB 2763-2021", analyte__name_zh="腐霉利"
    ).limit_mg_kg == Decimal("0.2")


def test_upload_of_a_new_edition_as_xlsx(standards, users):
    edition = edition_create(
        actor=users.admin,
        code="GB 2763-2030",
        kind="full edition",
        in_force="2030-03-01",
        issued="2030-01-01",
        supersedes_text="GB 2763-2026",
    )
    assert [e.code for e in edition.supersedes.all()] == ["GB 2763-2026"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["农药", "英文名", "食品", "限量(mg/kg)", "临时限量"])
    sheet.append(["新农药甲", "newcide", "瓜类蔬菜（节瓜除外）", "0.5*", ""])
    sheet.append(["噻虫嗪", "", "黄瓜", 0.3, "否"])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("gb2763-2030.xlsx", data.getvalue())
    job = import_upload(actor=users.admin, kind="mrl", upload=upload, edition=edition)
    assert (job.status, job.created_count, job.total_rows, job.errors) == ("done", 2, 2, [])
    row = MaxResidueLimit.objects.get(edition=edition, analyte__name_zh="新农药甲")
    assert (row.food.name, row.excludes, row.limit_mg_kg, row.temporary) == (
        "瓜类蔬菜",
        "节瓜",
        Decimal("0.5"),
        True,
    )
    assert Analyte.objects.get(name_zh="新农药甲").name_en == "newcide"
    assert (
        AuditLog.objects.filter(object_repr__startswith="新农药甲 · 瓜类蔬菜", action="create").count() == 1
    )
    # The same file again creates nothing new.
    again = import_upload(
        actor=users.admin,
        kind="mrl",
        upload=SimpleUploadedFile("again.xlsx", data.getvalue()),
        edition=edition,
    )
    assert again.pk == job.pk and MaxResidueLimit.objects.filter(edition=edition).count() == 2
    # The same rows in another file are checked again and refused: the edition has its limits.
    sheet.append(["", "", "", "", ""])
    data = io.BytesIO()
    book.save(data)
    other = import_upload(
        actor=users.admin, kind="mrl", upload=SimpleUploadedFile("b.xlsx", data.getvalue()), edition=edition
    )
    assert other.status == "invalid" and MaxResidueLimit.objects.filter(edition=edition).count() == 2


def test_editions_are_never_changed(standards, users):
    before = counts()
    with pytest.raises(TableRejected) as exc:
        editions_import(
            actor=users.admin,
            table=read_table(
                "editions",
                (
                    b"standard,kind,issued,in_force\n"
                    b"GB 2763-2021,full edition,2021-03-03,2021-10-01\n"
                    b"GB 2763.2-2028,amendment,2028-01-01,2028-06-01\n"
                    b"GB 2763.3-2028,amendment (adds to GB 2763-2099),2028-01-01,2028-06-01\n"
                    b"GB 2763-2029,sort of,2029-01-01,2028-06-01\n"
                    b"GB 2763-2031,full,2031-13-01,\n"
                    b"GB2763,full,2031-01-01,2031-06-01\n"
                ),
                "e.csv",
            ),
        )
    assert [(e.row, e.column, e.message) for e in exc.value.row_errors] == [
        (2, "standard", "GB 2763-2021 已加载且内容不同；标准版本不能修改，请以新编号导入新版本。"),
        (3, "kind", "请注明该修改单修改的标准，如“amendment (adds to GB 2763-2021)”。"),
        (4, "kind", "被修改的标准 GB 2763-2099 既未加载，也不在本行之上。"),
        (5, "kind", "未知类型“sort of”：请填写 full edition（标准）或 amendment（修改单）。"),
        (5, "issued", "发布日期晚于实施日期。"),
        (6, "in_force", "“”不是日期，请写成 2026-03-01。"),
        (6, "issued", "“2031-13-01”不是日期，请写成 2026-02-12。"),
        (7, "standard", "“GB 2763”不是 GB 2763-2021 这样的标准编号。"),
    ]
    assert counts() == before


def test_list_imports(standards, users):
    before = counts()
    job = import_upload(
        actor=users.admin,
        kind="restricted",
        upload=csv_upload(
            "name_zh,name_en,banned_on,announcement\n乙酰甲胺磷,acephate,蔬菜;瓜菜果;食用菌,农业农村部公告第148号\n",
            "r.csv",
        ),
    )
    assert job.status == "invalid"
    assert job.errors == [
        {
            "row": 2,
            "column": "banned_on",
            "message": "“瓜菜果”既不是农产品分类中的食品或类别，也不在范围对照中。",
        }
    ]
    assert counts() == before
    job = import_upload(
        actor=users.admin,
        kind="restricted",
        upload=csv_upload(
            "name_zh,name_en,banned_on,announcement\n乙酰甲胺磷,acephate,蔬菜;水果;茶叶;食用菌;中草药材,农业农村部公告第148号\n",
            "r.csv",
        ),
    )
    assert (job.status, job.created_count) == ("done", 1)
    from nongan.standards.engine import judge

    assert (
        judge(food="香菇", analyte="acephate", value="0.1", unit="mg/kg", policy="strict").rule
        == "restricted_scope"
    )
    # Banned list: an existing identical entry is skipped, a changed one refused.
    job = import_upload(
        actor=users.admin,
        kind="banned",
        upload=csv_upload(
            "name_zh,name_en,ban_scope,announcement,effective_from\n对硫磷,parathion,all uses,农业部公告第322号,\n"
            "氟虫胺,sulfluramid,all uses,农业农村部公告第148号,2020-01-01\n",
            "b.csv",
        ),
    )
    assert (job.status, job.created_count) == ("done", 1)
    job = import_upload(
        actor=users.admin,
        kind="banned",
        upload=csv_upload(
            "name_zh,ban_scope,announcement,effective_from\n对硫磷,some uses,农业部公告第322号,\n", "b.csv"
        ),
    )
    assert job.status == "invalid"
    assert job.errors[0]["message"] == "对硫磷（农业部公告第322号）已列入且内容不同；已列入的条目不能修改。"


def test_bad_files(standards, users):
    # refused from their content before anything is stored
    for name, content, message in [
        ("x.txt.pdf", b"%PDF", "请上传 .csv 或 .xlsx 文件。"),
        ("x.xlsx", b"not a workbook", "该文件不是可读取的 .xlsx 工作簿。"),
        ("x.csv", b"", "文件为空。"),
        (
            "x.csv",
            "农药,食品,限量\n噻虫嗪,黄瓜,1\n".encode("utf-16"),
            "该CSV文件既不是UTF-8也不是GBK编码的文本。",
        ),
        ("x.csv", b"<svg onload=alert(1)>", "请上传 .csv 或 .xlsx 文件。"),
    ]:
        with pytest.raises(ValidationError) as exc:
            import_upload(actor=users.admin, kind="mrl", upload=SimpleUploadedFile(name, content))
        assert exc.value.messages == [message], name
    assert ImportJob.objects.count() == 0
    # read, and rejected whole
    for content, message in [
        (b"food,limit\n", "缺少必需的列：pesticide_zh。"),
        (b"pesticide,food,limit\n", "文件只有表头，没有数据行。"),
    ]:
        job = import_upload(actor=users.admin, kind="mrl", upload=SimpleUploadedFile("x.csv", content))
        assert (job.status, job.errors[0]["message"]) == ("invalid", message), content
    gbk = "农药,食品,限量,标准\n噻虫嗪,火星菜,1,GB 2763-2026\n".encode("gbk")
    job = import_upload(actor=users.admin, kind="mrl", upload=SimpleUploadedFile("gbk.csv", gbk))
    assert job.errors[0]["message"] == "“火星菜”不是农产品分类中的食品或类别。"


def test_only_administrators_import(standards, users):
    with pytest.raises(ValidationError):
        import_upload(actor=users.qk, kind="mrl", upload=csv_upload("a,b\n1,2\n"))
    assert ImportJob.objects.count() == 0


def test_error_report_xlsx():
    content = error_report([{"row": 3, "column": "限量", "message": "“abc”不是数字。"}])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["行号", "列", "问题"],
        [3, "限量", "“abc”不是数字。"],
    ]


def test_analytes_import_adds_names_and_never_changes_stored_values(standards, users):
    from nongan.standards.engine import judge

    job = import_upload(
        actor=users.admin,
        kind="analytes",
        upload=csv_upload(
            "name_zh,name_en,cas,kind,aliases\n"
            "腐霉利,,32809-16-8,pesticide,速克灵\n"
            "喹乙醇,olaquindox,23696-28-8,prohibited,\n",
            "a.csv",
        ),
    )
    assert (job.status, job.created_count, job.updated_count) == ("done", 1, 1)
    procymidone = Analyte.objects.get(name_zh="腐霉利")
    assert (procymidone.cas, procymidone.aliases, procymidone.name_en) == (
        "32809-16-8",
        "速克灵",
        "procymidone",
    )
    assert Analyte.objects.get(name_zh="喹乙醇").kind == "prohibited"
    # The new other name is found by the engine at once.
    j = judge(
        food="韭菜",
        analyte="速克灵",
        value="0.8",
        unit="mg/kg",
        on_date=__import__("datetime").date(2023, 6, 1),
    )
    assert j.verdict == "pass"
    before = counts()
    job = import_upload(
        actor=users.admin,
        kind="analytes",
        upload=csv_upload(
            "name_zh,name_en,cas,kind,aliases\n"
            "腐霉利,other,50-00-0,vet_drug,\n"
            "新农药,,52-68,pesticide,对硫磷\n"
            "速克灵,,,,\n",
            "a.csv",
        ),
    )
    assert job.status == "invalid"
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (2, "kind"),
        (2, "name_en"),
        (2, "cas"),
        (3, "cas"),
        (3, "aliases"),
        (4, "name_zh"),
    ]
    assert job.errors[2]["message"] == "腐霉利 已有 32809-16-8；已保存的值不能修改。"
    assert job.errors[4]["message"] == "“对硫磷”已用作对硫磷的名称。"
    assert job.errors[5]["message"] == "“速克灵”已用作腐霉利的名称。"
    assert counts() == before
    assert Analyte.objects.get(name_zh="腐霉利").cas == "32809-16-8"


def test_a_large_table_is_imported_in_the_background(
    standards, users, settings, django_capture_on_commit_callbacks
):
    settings.NONGAN_IMPORT_SYNC_ROWS = 2
    editions_import(
        actor=users.admin,
        table=read_table(
            "editions", b"standard,kind,in_force\nGB 2763-2030,full edition,2030-03-01\n", "e.csv"
        ),
    )
    rows = "".join(f"噻虫嗪,{food},0.5,GB 2763-2030\n" for food in ("黄瓜", "番茄", "茄子"))
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(actor=users.admin, kind="mrl", upload=csv_upload("农药,食品,限量,标准\n" + rows))
        assert job.status == "pending"
        assert MaxResidueLimit.objects.filter(edition__code="GB 2763-2030").count() == 0
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.summary["new"]) == ("checked", 3, 3)
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.job_confirm(actor=users.admin, job=job)
        assert job.status == "confirmed"
    job.refresh_from_db()
    assert (job.status, job.created_count, job.processed_rows) == ("done", 3, 3)
    assert MaxResidueLimit.objects.filter(edition__code="GB 2763-2030").count() == 3
    # A rejected large table fails in the background the same way, nothing saved.
    bad = "".join(f"噻虫嗪,{food},0.5,GB 2763-2030\n" for food in ("火星菜", "冬瓜", "南瓜"))
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(actor=users.admin, kind="mrl", upload=csv_upload("农药,食品,限量,标准\n" + bad))
    job.refresh_from_db()
    assert job.status == "invalid" and job.errors[0]["row"] == 2
    assert MaxResidueLimit.objects.filter(edition__code="GB 2763-2030").count() == 3
