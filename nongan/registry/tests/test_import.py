import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from nongan.core.models import AuditLog, ImportJob
from nongan.core.validators import id_check_digit, uscc_check_char
from nongan.registry.models import Producer

HEADER = [
    "名称",
    "类型",
    "统一社会信用代码",
    "法定代表人/负责人",
    "负责人身份证号",
    "手机号",
    "镇（街道）",
    "村（社区）",
    "地址",
    "规模主体",
    "监管等级",
    "等级理由",
    "主要产品",
    "成立日期",
]


def credit(n: int) -> str:
    body = f"93320707MA{n:07d}"
    return body + uscc_check_char(body)


def idn(n: int) -> str:
    body = f"32072119800101{n:03d}"
    return body + id_check_digit(body)


def row(i, **kw):
    data = {
        "名称": f"导入合作社{i}",
        "类型": "合作社",
        "统一社会信用代码": credit(i),
        "法定代表人/负责人": "王五",
        "负责人身份证号": "",
        "手机号": "13800000000",
        "镇（街道）": "青口镇",
        "村（社区）": "",
        "地址": "",
        "规模主体": "是",
        "监管等级": "B",
        "等级理由": "",
        "主要产品": "黄瓜;番茄",
        "成立日期": "2020-01-02",
    }
    data.update(kw)
    return [data[h] for h in HEADER]


def xlsx(rows, header=HEADER) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("producers.xlsx", buf.getvalue())


@pytest.fixture
def qk(client, users):
    client.force_login(users.qk)
    return client


def upload(client, f, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/registry/producers/import/", {"file": f})
    return r


def confirm(client, job, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/imports/{job.pk}/", {"action": "confirm"})
    job.refresh_from_db()
    return r


def test_template_headers_are_the_import_headers(qk):
    wb = load_workbook(io.BytesIO(qk.get("/registry/producers/template.xlsx").content))
    assert [c.value for c in wb.worksheets[0][1]] == [
        h + ("*" if h in {"名称", "类型", "法定代表人/负责人", "手机号", "镇（街道）"} else "")
        for h in HEADER
    ]
    assert wb.sheetnames == ["生产经营主体", "填写说明"]


def test_good_file_imports_every_row_atomically(qk, users, ganyu, django_capture_on_commit_callbacks):
    village = ganyu.village("青口镇", 1).name
    f = xlsx(
        [
            row(1),
            row(2, **{"村（社区）": village}),
            row(3, **{"类型": "农户", "统一社会信用代码": "", "负责人身份证号": idn(7)}),
        ]
    )
    r = upload(qk, f, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert r["Location"] == f"/imports/{job.pk}/"
    assert (job.status, job.summary["new"], job.errors) == ("checked", 3, [])
    assert not Producer.objects.filter(
        name__startswith="导入合作社"
    ).exists()  # nothing before the confirmation
    confirm(qk, job, django_capture_on_commit_callbacks)
    assert (job.status, job.created_count, job.errors) == ("done", 3, [])
    p2 = Producer.objects.get(name="导入合作社2")
    assert (p2.region.name, p2.is_scale, sorted(pl.category.name for pl in p2.product_lines.all())) == (
        village,
        True,
        ["番茄", "黄瓜"],
    )
    assert Producer.objects.get(name="导入合作社3").type == "household"
    assert (
        AuditLog.objects.filter(action="create", content_type__model="producer", actor=users.qk).count() == 3
    )
    page = qk.get(f"/imports/{job.pk}/").content.decode()
    assert "已导入 3 个生产经营主体。" in page


def test_a_file_with_any_bad_row_imports_nothing_and_reports_every_problem(
    qk, ganyu, django_capture_on_commit_callbacks
):
    before = Producer.objects.count()
    f = xlsx(
        [
            row(1),
            row(2, **{"统一社会信用代码": credit(2)[:-1] + ("0" if credit(2)[-1] != "0" else "1")}),
            row(3, **{"镇（街道）": "柘汪镇"}),
            row(4, **{"手机号": "12345", "类型": "外星人"}),
            row(5, **{"统一社会信用代码": credit(1)}),
            row(6, **{"主要产品": "榴莲"}),
        ]
    )
    upload(qk, f, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert Producer.objects.count() == before
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (3, "统一社会信用代码", "统一社会信用代码的校验码不正确（GB 32100）。"),
        (4, "镇（街道）", "柘汪镇不在您的管辖范围内。"),
        (5, "类型", "未知的类型“外星人”。"),
        (5, "手机号", "请输入以 1 开头的 11 位大陆手机号，例如 13812345678。"),
        (6, "统一社会信用代码", "与第 2 行的统一社会信用代码重复。"),
        (7, "主要产品", "未知的产品“榴莲”。"),
    ]
    assert job.message == "共 5 行有 6 处问题，未导入任何数据。"
    report = load_workbook(io.BytesIO(qk.get(f"/imports/{job.pk}/errors.xlsx").content)).active
    rows = list(report.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "问题")
    assert rows[1] == (3, "统一社会信用代码", "统一社会信用代码的校验码不正确（GB 32100）。")
    assert len(rows) == 7


def test_credit_code_already_in_the_registry(qk, users, django_capture_on_commit_callbacks):
    existing = credit(99)
    Producer.objects.filter(pk=users.own_producer.pk).update(credit_code=existing)
    upload(qk, xlsx([row(1, **{"统一社会信用代码": existing})]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.errors == [
        {"row": 2, "column": "统一社会信用代码", "message": f"已登记为 {users.own_producer.code}。"}
    ]


def test_non_xlsx_and_oversized_uploads_are_refused_before_reading(qk, django_capture_on_commit_callbacks):
    r = qk.post("/registry/producers/import/", {"file": SimpleUploadedFile("a.csv", b"a,b")}, follow=True)
    assert "请上传 Excel .xlsx 文件（本页提供的模板）。" in r.content.decode()
    with override_settings(NONGAN_MAX_UPLOAD_BYTES=10):
        r = qk.post("/registry/producers/import/", {"file": xlsx([row(1)])}, follow=True)
    assert "上限为 0 MB" in r.content.decode() or "上限为" in r.content.decode()
    assert ImportJob.objects.count() == 0
    r = qk.post(
        "/registry/producers/import/", {"file": SimpleUploadedFile("fake.xlsx", b"not a zip")}, follow=True
    )
    assert "该文件不是可读取的 .xlsx 工作簿。" in r.content.decode()
    assert ImportJob.objects.count() == 0  # refused from its content before anything was stored


def test_missing_required_columns(qk, django_capture_on_commit_callbacks):
    upload(qk, xlsx([["x"]], header=["名称"]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert job.message.startswith("表头缺少以下必填列：类型、法定代表人/负责人、手机号、镇（街道）。")


def test_english_headers_are_accepted_too(qk, django_capture_on_commit_callbacks):
    english = [
        "Name",
        "Type",
        "Unified social credit code",
        "Legal representative / head",
        "ID number of the head",
        "Mobile phone",
        "Township",
        "Village",
        "Address",
        "Scale producer",
        "Supervision tier",
        "Reason for the tier",
        "Products",
        "Established",
    ]
    upload(qk, xlsx([row(1, **{"类型": "cooperative"})], header=english), django_capture_on_commit_callbacks)
    assert ImportJob.objects.get().status == "checked"


def test_large_files_go_to_the_background_task_with_progress(
    qk, settings, django_capture_on_commit_callbacks
):
    from nongan.core import audit

    def queued(callbacks):  # the import's own callbacks (the audit chain's sealing may ride along, or not)
        return [c for c in callbacks if c is not audit.seal]

    settings.NONGAN_IMPORT_SYNC_ROWS = 10
    with django_capture_on_commit_callbacks(execute=False) as captured:
        qk.post("/registry/producers/import/", {"file": xlsx([row(i) for i in range(1, 1201)])})
    callbacks = queued(captured)
    job = ImportJob.objects.get()
    assert (job.status, len(callbacks)) == ("pending", 1)  # queued, not run inside the request
    waiting = qk.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and 'aria-valuenow="0"' in waiting
    callbacks[0]()  # the worker picks the check up
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.summary["new"]) == ("checked", 1200, 1200)
    with django_capture_on_commit_callbacks(execute=False) as captured:
        qk.post(f"/imports/{job.pk}/", {"action": "confirm"})
    callbacks = queued(captured)
    job.refresh_from_db()
    assert (job.status, len(callbacks)) == ("confirmed", 1)
    callbacks[0]()  # the worker applies it
    job.refresh_from_db()
    assert (job.status, job.created_count, job.total_rows, job.processed_rows, job.percent) == (
        "done",
        1200,
        1200,
        1200,
        100,
    )
    partial = qk.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-valuenow="100"' in partial and "hx-trigger" not in partial
