"""The official limit table in the standard's own shape (services/official.py) on the one import pipeline:
whole-file validation with per-row errors, nothing half-loaded, the preview's diff against the edition as loaded,
the partial mark, idempotent re-import."""

import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from nongan.core import imports, ledger
from nongan.core.models import AuditLog, LedgerEntry
from nongan.registry.services import categories_load
from nongan.standards import engine
from nongan.standards.engine import judge
from nongan.standards.imports import official_template_xlsx
from nongan.standards.models import Analyte, Edition, MaxResidueLimit, StandardsRevision
from nongan.standards.services import analytes_import, editions_import, mrl_import
from nongan.standards.services.shipped import SHIPPED, sample_editions_mark_partial
from nongan.standards.tables import read_path

KIND = "standards.official"
HEADER = ["食品类别/名称", "最大残留限量(mg/kg)"]

# 4.125 毒死蜱 and 4.372 噻虫嗪 as a clerk pastes them from the standard (abridged).
PRINTED = [
    HEADER,
    ["4.125 毒死蜱(chlorpyrifos)"],
    ["4.125.1 主要用途：杀虫剂。"],
    ["4.125.3 残留物：毒死蜱。"],
    ["表125"],
    HEADER,
    ["谷物"],
    ["稻谷", 0.5],
    ["杂粮类(绿豆、豌豆、蚕豆除外)", "0.1"],
    ["蔬菜"],
    ["瓜类蔬菜(节瓜、苦瓜除外)", "0.02"],
    ["节瓜", "0.05*"],
    ["哺乳动物肉类(海洋哺乳动物除外),以脂肪中的残留量计"],
    ["脂肪含量10%以下", "0.1"],
    ["脂肪含量10%及以上", "1"],
    ["*该限量为临时限量。"],
    ["4.372 噻虫嗪(thiamethoxam)"],
    ["蔬菜"],
    ["黄瓜", "0.5"],
]


@pytest.fixture
def base(ganyu):
    """The product tree with annex A, the analytes and the editions; no limits."""
    categories_load(path=SHIPPED["tree"])
    analytes_import(actor=None, table=read_path("analytes", SHIPPED["analytes"]))
    editions_import(actor=None, table=read_path("editions", SHIPPED["editions"]))
    engine.invalidate()


def xlsx(rows, name="gb2763.xlsx") -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue())


def csv(rows, name="gb2763.csv", tail="") -> SimpleUploadedFile:
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in rows) + "\n" + tail
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def upload(actor, file, edition="GB 2763-2026", complete=False):
    return imports.job_upload(
        actor=actor, kind=KIND, upload=file, options={"edition": edition, "complete": complete}
    )


def limits(edition="GB 2763-2026"):
    return {
        (m.analyte.name_zh, m.food.name, m.basis): (str(m.limit_mg_kg.normalize()), m.temporary, m.excludes)
        for m in MaxResidueLimit.objects.filter(edition__code=edition).select_related("analyte", "food")
    }


def test_the_printed_shape_is_read_and_applied(base, users):
    token = StandardsRevision.objects.filter(pk=1).values_list("token", flat=True).first()
    job = upload(users.admin, xlsx(PRINTED))
    assert job.status == "checked", job.errors
    s = job.summary
    assert (s["new"], s["changed"], s["unchanged"], s["removed"]) == (7, 0, 0, 0)
    assert s["notes"][0] == "GB 2763-2026：文件中有 2 种农药、7 行限量。"
    assert s["notes"][-2].startswith("本文件不是完整限量表：GB 2763-2026 将标为“部分加载”")
    # the exclusion naming no member of the tree is kept as written, and the preview says so
    assert s["notes"][-1] == (
        "“海洋哺乳动物”（畜肉的除外项，第 14、15 行）在农产品分类中不属于畜肉：按原文保留。"
    )
    assert MaxResidueLimit.objects.count() == 0  # the check writes nothing

    job = imports.job_confirm(actor=users.admin, job=job)
    assert job.status == "done", job.message
    assert job.message == "新增限量 7 条，变更 0 条，删除 0 条，未变 0 条。"
    assert limits() == {
        ("毒死蜱", "稻谷", ""): ("0.5", False, ""),
        ("毒死蜱", "杂粮类", ""): ("0.1", False, "绿豆;豌豆(干);蚕豆(干)"),
        ("毒死蜱", "瓜类蔬菜", ""): ("0.02", False, "节瓜;苦瓜"),
        ("毒死蜱", "节瓜", ""): ("0.05", True, ""),
        ("毒死蜱", "畜肉", "fat_lt10"): ("0.1", False, "海洋哺乳动物"),
        ("毒死蜱", "畜肉", "fat_ge10"): ("1", False, "海洋哺乳动物"),
        ("噻虫嗪", "黄瓜", ""): ("0.5", False, ""),
    }
    rice = MaxResidueLimit.objects.get(analyte__name_zh="毒死蜱", food__name="稻谷")
    assert (rice.clause, rice.table_no, rice.residue_definition, rice.source_file, rice.source_row) == (
        "4.125",
        "表 125",
        "毒死蜱。",
        "gb2763.xlsx",
        8,
    )
    assert rice.source == f"official table: gb2763.xlsx (import job {job.pk})"
    edition = Edition.objects.get(code="GB 2763-2026")
    assert edition.partial is True
    assert AuditLog.objects.filter(reason="official table import: gb2763.xlsx", action="create").count() == 7
    entry = AuditLog.objects.get(object_repr="GB 2763-2026", reason="official table import: gb2763.xlsx")
    assert entry.changes["partial"] == [False, True]
    assert entry.changes["official_import"][1]["created"] == 7
    assert StandardsRevision.objects.get(pk=1).token != token
    # judged at once (the index was dropped): 节瓜 has its own row, 黄瓜 the group's
    j = judge(food="节瓜", analyte="毒死蜱", value="0.06", unit="mg/kg", on_date=dt.date(2026, 6, 1))
    assert (j.verdict, j.limit_mg_kg) == ("fail", Decimal("0.05"))
    j = judge(food="苦瓜", analyte="毒死蜱", value="0.06", unit="mg/kg", on_date=dt.date(2026, 6, 1))
    assert j.rule == "limit_not_loaded"  # excluded from 瓜类蔬菜, and the edition is partial


def test_one_bad_row_rejects_the_file_with_every_row_error(base, users):
    rows = [
        HEADER,
        ["4.125 毒死蜱(chlorpyrifos)"],
        ["稻谷", "0.5"],
        ["火星菜", "0.5"],  # 4: not a food
        ["黄瓜", "abc"],  # 5: not a limit
        ["韭菜", "0"],  # 6: zero
        ["菠菜", "5000"],  # 7: absurd
        ["稻谷", "0.4"],  # 8: duplicate of row 3
        ["根茎类蔬菜?", ""],  # 9: no value and not a heading
        ["4.999 不存在农药(nonexistent)"],  # 10: unknown compound
        ["黄瓜", "0.1"],  # its rows are not reported again
        ["芹菜", "0.0000001"],  # under an unknown compound: not reported
    ]
    job = upload(users.admin, xlsx(rows))
    assert job.status == "invalid"
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (4, "食品类别/名称", "“火星菜”不是农产品分类中的食品或类别。"),
        (
            5,
            "最大残留限量(mg/kg)",
            "“abc”不是限量值：请按标准原文填写，如 0.5、0.5*（临时限量）或 2(以脂肪计)。",
        ),
        (6, "最大残留限量(mg/kg)", "限量必须大于 0 mg/kg。"),
        (7, "最大残留限量(mg/kg)", "5000 mg/kg 超过 1000 mg/kg，不可能是残留限量：请核对。"),
        (8, "食品类别/名称", "同一限量已在第 3 行。"),
        (
            9,
            "最大残留限量(mg/kg)",
            "“根茎类蔬菜?”没有限量值，也不是农药标题行或食品类别标题行：请填写限量，或删除这一行。",
        ),
        (
            10,
            "食品类别/名称",
            "“不存在农药”不是已登记的农药或兽药：请先在检测物质表中导入（中文名、英文名、CAS号），"
            "或把这一写法加到它的其他名称中。",
        ),
    ]
    assert job.message == "共 7 行有 7 处问题，未导入任何数据。"
    assert MaxResidueLimit.objects.count() == 0 and Edition.objects.get(code="GB 2763-2026").partial is False

    # a value above any compound heading, and no edition chosen
    job = upload(users.admin, xlsx([HEADER, ["黄瓜", "0.5"]], name="x.xlsx"))
    assert [(e["row"], e["message"]) for e in job.errors] == [
        (2, "这一行之前没有农药标题行（如“4.125 毒死蜱(chlorpyrifos)”），也没有填写农药列。")
    ]
    job = upload(users.admin, xlsx(PRINTED, name="y.xlsx"), edition="")
    assert [e["message"] for e in job.errors] == ["请选择该表所属的标准版本。"]
    job = upload(users.admin, xlsx(PRINTED, name="y.xlsx"), edition="GB 31650-2019")
    assert [e["message"] for e in job.errors] == [
        "GB 31650-2019 是兽药残留标准：请按兽药残留限量表（GB 31650）导入。"
    ]
    assert MaxResidueLimit.objects.count() == 0


def test_the_preview_diffs_against_the_loaded_edition_and_a_reimport_changes_nothing(base, users):
    imports.job_confirm(actor=users.admin, job=upload(users.admin, xlsx(PRINTED)))
    before = limits()
    assert len(before) == 7
    # 毒死蜱 again: 稻谷 changed, 节瓜 no longer temporary, 杂粮类 dropped, 玉米 new; 噻虫嗪 not in the file
    changed = [
        HEADER,
        ["4.125 毒死蜱(chlorpyrifos)"],
        ["谷物"],
        ["稻谷", "0.3"],
        ["玉米", "0.05"],
        ["蔬菜"],
        ["瓜类蔬菜(节瓜、苦瓜除外)", "0.02"],
        ["节瓜", "0.05"],
        ["哺乳动物肉类(海洋哺乳动物除外),以脂肪中的残留量计"],
        ["脂肪含量10%以下", "0.1"],
        ["脂肪含量10%及以上", "1"],
    ]
    job = upload(users.admin, csv(changed, name="gb2763-v2.csv"))
    assert job.status == "checked", job.errors
    s = job.summary
    assert (s["new"], s["changed"], s["unchanged"], s["removed"]) == (1, 2, 3, 1)
    assert [(d["row"], d["record"], d["fields"]) for d in s["diffs"]] == [
        (4, "毒死蜱 · 稻谷", [["限量（mg/kg）", "0.5", "0.3"]]),
        (8, "毒死蜱 · 节瓜", [["限量（mg/kg）", "0.05*", "0.05"]]),
        ("", "毒死蜱 · 杂粮类(绿豆、豌豆、蚕豆除外)", [["限量（mg/kg）", "0.1", "删除（文件中没有）"]]),
        (5, "毒死蜱 · 玉米", [["限量（mg/kg）", "", "0.05"]]),
    ]
    assert s["notes"][1:4] == [
        "新增限量 1 条；数值变更 2 条；未变 3 条。",
        "GB 2763-2026 已加载的限量中有 1 条不在文件中，将被删除。",
        "GB 2763-2026 中本文件未涉及的农药的 1 条限量保持不变。",
    ]
    assert limits() == before  # nothing written before the confirmation
    job = imports.job_confirm(actor=users.admin, job=job)
    assert job.message == "新增限量 1 条，变更 2 条，删除 1 条，未变 3 条。"
    after = limits()
    assert len(after) == 7
    assert after[("毒死蜱", "稻谷", "")] == ("0.3", False, "")
    assert after[("毒死蜱", "节瓜", "")] == ("0.05", False, "")
    assert ("毒死蜱", "杂粮类", "") not in after and after[("毒死蜱", "玉米", "")] == ("0.05", False, "")
    assert after[("噻虫嗪", "黄瓜", "")] == ("0.5", False, "")  # kept: not in the file
    rice = MaxResidueLimit.objects.get(analyte__name_zh="毒死蜱", food__name="稻谷")
    update = AuditLog.objects.get(
        content_type=ContentType.objects.get_for_model(MaxResidueLimit),
        object_id=str(rice.pk),
        action="update",
    )
    assert update.reason == "official table import: gb2763-v2.csv"
    assert update.changes["limit_mg_kg"] == ["0.500000", "0.3"]
    assert (
        AuditLog.objects.filter(action="delete", reason="official table import: gb2763-v2.csv").count() == 1
    )

    # the same table again (another upload of it): nothing new, changed or removed
    token = StandardsRevision.objects.get(pk=1).token
    again = upload(users.admin, csv(changed, name="gb2763-v2.csv", tail="\n"))
    assert again.pk != job.pk and again.status == "checked"
    assert (again.summary["new"], again.summary["changed"], again.summary["removed"]) == (0, 0, 0)
    assert again.summary["unchanged"] == 6 and again.summary["diffs"] == []
    again = imports.job_confirm(actor=users.admin, job=again)
    assert again.message == "新增限量 0 条，变更 0 条，删除 0 条，未变 6 条。"
    assert limits() == after and StandardsRevision.objects.get(pk=1).token == token


def test_a_complete_import_clears_partial_and_the_sample_never_comes_back(base, users):
    mrl_import(actor=None, table=read_path("mrl", SHIPPED["mrl"]))
    assert sample_editions_mark_partial() == ["GB 2763-2021", "GB 2763.1-2022"]
    assert sample_editions_mark_partial() == []  # idempotent
    engine.invalidate()
    on = dt.date(2022, 6, 1)
    assert (
        judge(food="黄瓜", analyte="毒死蜱", value="0.01", unit="mg/kg", on_date=on).rule
        == "limit_not_loaded"
    )

    table = [
        HEADER,
        ["4.125 毒死蜱"],
        ["蔬菜"],
        ["韭菜", "0.1"],
        ["4.1 腐霉利(procymidone)"],
        ["韭菜", "0.2"],
    ]
    job = upload(users.admin, xlsx(table, name="gb2763-2021.xlsx"), edition="GB 2763-2021", complete=True)
    assert job.status == "checked", job.errors
    assert (job.summary["new"], job.summary["unchanged"], job.summary["removed"]) == (1, 1, 0)
    assert job.summary["notes"][-1] == (
        "本文件是完整限量表：GB 2763-2021 将不再标为“部分加载”，其中没有的食品与农药组合将判为“无限量”。"
    )
    imports.job_confirm(actor=users.admin, job=job)
    edition = Edition.objects.get(code="GB 2763-2021")
    assert edition.partial is False
    sample = MaxResidueLimit.objects.get(edition=edition, analyte__name_zh="腐霉利")
    assert (sample.source_file, sample.source_row) == ("gb2763-2021.xlsx", 6)  # now cites the official table
    assert judge(food="黄瓜", analyte="毒死蜱", value="0.01", unit="mg/kg", on_date=on).rule == "no_limit"
    assert sample_editions_mark_partial() == []  # the shipped load does not mark it partial again
    assert Edition.objects.get(code="GB 2763-2021").partial is False
    # the mark the import changed is on the ledger with the edition as it stands: verify-ledger finds it whole
    entry = LedgerEntry.objects.get(kind="standards.edition_partial", ref="GB 2763-2021")
    payload = json.loads(entry.payload)
    assert (payload["partial"], payload["reason"]) == (False, "official table import: gb2763-2021.xlsx")
    assert entry.actor_repr == str(users.admin)
    assert ledger.verify_records()[1] == []


def test_the_template_downloads_and_its_example_is_refused(base, users, client):
    client.force_login(users.qk)
    assert client.get("/standards/import/official-template.xlsx").status_code == 403
    client.force_login(users.admin)
    response = client.get("/standards/import/official-template.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == ["食品类别/名称*", "最大残留限量(mg/kg)*", "农药"]
    assert cells[1][0] == "4.1 示例农药(example pesticide)" and len(cells) == 9
    job = upload(users.admin, SimpleUploadedFile("template.xlsx", official_template_xlsx()))
    assert job.status == "invalid" and [e["row"] for e in job.errors] == [2]
    assert "“示例农药”不是已登记的农药或兽药" in job.errors[0]["message"]
    assert not Analyte.objects.filter(name_zh="示例农药").exists()


def test_the_shipped_excerpt_in_the_printed_shape_checks_as_unchanged(standards):
    """One row parser: every excerpt row the loader placed, written out as the printed table (compound heading,
    group headings, rows as written), is read back by the official import as the very same limits."""
    import csv as csvlib

    from nongan.standards.services import official_table_check

    loaded = set(
        MaxResidueLimit.objects.filter(source_file="gb2763_2026_excerpt.csv").values_list(
            "source_row", flat=True
        )
    )
    with open(SHIPPED["excerpt"], encoding="utf-8-sig") as f:
        rows = list(csvlib.DictReader(f))
    printed, clause, group = [], None, None
    for n, r in enumerate(rows, start=2):
        if n not in loaded:
            continue
        if r["clause"] != clause:
            printed.append({"food": f"{r['clause']} {r['analyte_cn']}({r['analyte_en']})", "limit": ""})
            clause, group = r["clause"], None
        if r["food_group"] and r["food_group"] != group:
            printed.append({"food": r["food_group"], "limit": ""})
        group = r["food_group"]
        printed.append({"food": r["food"], "limit": r["mrl_as_written"]})
    plan = official_table_check(
        rows=list(enumerate(printed, start=2)), edition_code="GB 2763-2026", complete=True
    )
    assert plan.errors == []
    assert (len(plan.create), len(plan.update), len(plan.unchanged), len(plan.remove)) == (0, 0, 3310, 0)
