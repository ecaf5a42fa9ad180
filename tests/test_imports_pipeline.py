"""The one import pipeline (nongan.core.imports), driven through the producer import and the job's one page:
each stage, the refusals before anything is stored, idempotent uploads, reclaimed jobs, and who sees a job."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from nongan.core import imports
from nongan.core.excel import count_rows
from nongan.core.models import AuditLog, ImportJob
from nongan.core.workflow import events_for
from nongan.registry.imports import PRODUCERS
from nongan.registry.models import Producer
from nongan.registry.tests.test_import import row, xlsx

URL = "/registry/producers/import/"


def stored_files() -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def without_dimension(upload: SimpleUploadedFile) -> SimpleUploadedFile:
    """The same workbook with the <dimension> element taken out of its sheet (as some generators write it)."""
    src = zipfile.ZipFile(io.BytesIO(upload.read()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb"<dimension [^>]*/>", b"", data)
                assert n == 1
            dst.writestr(info.filename, data)
    return SimpleUploadedFile("nodim.xlsx", out.getvalue())


def upload(client, f):
    return client.post(URL, {"file": f})


@pytest.fixture
def qk(client, users):
    client.force_login(users.qk)
    return client


# ------------------------------------------------------------------------------------------ the stages
def test_check_preview_confirm_apply(qk, users):
    before = stored_files()
    r = upload(qk, xlsx([row(1), row(2)]))
    job = ImportJob.objects.get()
    assert r["Location"] == f"/imports/{job.pk}/"
    # check: the whole file, nothing written; the preview counts the rows
    assert (job.status, job.total_rows, job.summary) == (
        "checked",
        2,
        {"new": 2, "changed": 0, "unchanged": 0, "diffs": []},
    )
    assert job.message == "检查完成：新增 2 行，变更 0 行，未变 0 行。确认之前不会保存任何数据。"
    assert not Producer.objects.filter(name__startswith="导入合作社").exists()
    page = qk.get(f"/imports/{job.pk}/").content.decode()
    assert (
        'data-count="new">2<' in page and 'data-action="confirm"' in page and 'data-action="discard"' in page
    )
    # stored under a random name, never the user's, and served by no URL
    (name,) = stored_files() - before
    assert re.fullmatch(r"imports/\d{4}/\d{2}/[0-9a-f]{32}\.xlsx", name)
    assert job.file.name == name and job.original_name == "producers.xlsx"
    assert qk.get(f"/media/{name}").status_code == 404
    # confirm (POST by the uploader) → apply, in one transaction
    qk.post(f"/imports/{job.pk}/", {"action": "confirm"})
    job.refresh_from_db()
    assert (job.status, job.created_count, job.message) == ("done", 2, "已导入 2 个生产经营主体。")
    assert Producer.objects.filter(name__startswith="导入合作社").count() == 2
    # every step is an event of the runner and an audit record
    assert [e.action for e in events_for(job)] == ["check", "checked", "confirm", "start", "finish"]
    assert AuditLog.objects.filter(content_type__model="importjob", object_id=str(job.pk)).count() == 6
    assert "hx-trigger" not in qk.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()


def test_discard_writes_nothing_and_only_the_uploader_confirms(client, users):
    client.force_login(users.qk)
    upload(client, xlsx([row(1)]))
    job = ImportJob.objects.get()
    client.force_login(users.admin)  # sees the job (administrator of the jurisdiction), may not confirm it
    assert 'data-action="confirm"' not in client.get(f"/imports/{job.pk}/").content.decode()
    r = client.post(f"/imports/{job.pk}/", {"action": "confirm"}, follow=True)
    assert "只有上传该文件的人可以确认或放弃导入。" in r.content.decode()
    job.refresh_from_db()
    assert job.status == "checked"
    client.force_login(users.qk)
    client.post(f"/imports/{job.pk}/", {"action": "discard"})
    job.refresh_from_db()
    assert (job.status, job.message) == ("discarded", "已放弃，未导入任何数据。")
    r = client.post(f"/imports/{job.pk}/", {"action": "confirm"}, follow=True)
    assert "处于“已放弃”状态时不能进行此操作。" in r.content.decode()
    assert not Producer.objects.filter(name__startswith="导入合作社").exists()


def test_a_bad_row_writes_nothing_and_the_report_lists_it(qk):
    upload(qk, xlsx([row(1), row(2, **{"手机号": "12345"})]))
    job = ImportJob.objects.get()
    assert (job.status, job.message) == ("invalid", "共 1 行有 1 处问题，未导入任何数据。")
    assert job.errors == [
        {"row": 3, "column": "手机号", "message": "请输入以 1 开头的 11 位大陆手机号，例如 13812345678。"}
    ]
    assert not Producer.objects.filter(name__startswith="导入合作社").exists()
    report = load_workbook(io.BytesIO(qk.get(f"/imports/{job.pk}/errors.xlsx").content)).active
    assert list(report.iter_rows(values_only=True))[1][:2] == (3, "手机号")


def test_a_row_that_turns_bad_before_the_confirmation_fails_the_apply_whole(qk, users):
    upload(qk, xlsx([row(1), row(2)]))
    job = ImportJob.objects.get()
    Producer.objects.filter(pk=users.own_producer.pk).update(credit_code=row(2)[2])  # registered meanwhile
    qk.post(f"/imports/{job.pk}/", {"action": "confirm"})
    job.refresh_from_db()
    assert job.status == "failed" and job.message.startswith("检查之后数据已有变化：")
    assert job.errors[0]["row"] == 3
    assert not Producer.objects.filter(name__startswith="导入合作社").exists()


def test_an_exception_in_the_apply_leaves_nothing(qk, monkeypatch):
    upload(qk, xlsx([row(1), row(2)]))
    job = ImportJob.objects.get()
    real = PRODUCERS.apply

    def explode(job, plan):
        real(job, plan)  # the rows are written …
        raise RuntimeError("disk full")  # … and then the apply dies

    monkeypatch.setattr(PRODUCERS, "apply", explode)
    qk.post(f"/imports/{job.pk}/", {"action": "confirm"})
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "导入因内部错误失败，未导入任何数据。")
    assert not Producer.objects.filter(name__startswith="导入合作社").exists()


# ------------------------------------------------------------------------------------------ refused uploads
def test_too_large_files_are_refused_before_anything_is_stored(qk, client, users):
    before = stored_files()
    with override_settings(NONGAN_MAX_UPLOAD_BYTES=1000):
        r = upload(qk, xlsx([row(1)]))
        assert r.status_code == 302
        assert "上限为 0 MB" in qk.get(URL).content.decode()
        client.force_login(users.analyst)  # a CSV to the lab-result import is size-checked too
        big = SimpleUploadedFile("export.csv", b"sample,analyte,value,unit\n" + b"CY1,x,1,mg/kg\n" * 200)
        r = client.post("/monitoring/results/import/", {"file": big})
        assert "上限为 0 MB" in r.content.decode()
    assert ImportJob.objects.count() == 0 and stored_files() == before


def test_a_zip_bomb_is_refused_from_its_parts_sizes(qk):
    good = xlsx([row(1)]).read()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * 300_000)  # a few hundred bytes packed
    assert len(out.getvalue()) < 20_000
    with override_settings(NONGAN_MAX_XLSX_PART_BYTES=200_000):
        r = upload(qk, SimpleUploadedFile("bomb.xlsx", out.getvalue()))
    assert r.status_code == 302
    assert "该工作簿解压后超过 0 MB，请拆分为较小的文件。" in qk.get(URL).content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    "name, content",
    [
        ("evil.html", b"<html><script>fetch('/api/v1/producers/')</script></html>"),
        ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("evil.csv", b"\n\n<!DOCTYPE html><html><body><script>alert(1)</script>"),
        ("evil.xlsx", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_markup_uploads_are_refused_by_content(client, users, name, content):
    before = stored_files()
    client.force_login(users.analyst)
    for url in ("/monitoring/results/import/", "/monitoring/rapid/import/"):
        r = client.post(url, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})
        assert r.status_code == 200 and (
            "请上传 .csv 或 .xlsx 文件。" in r.content.decode()
            or ("该文件不是可读取的 .xlsx 工作簿。" in r.content.decode())
        )
    assert ImportJob.objects.count() == 0 and stored_files() == before


def test_rows_are_counted_not_read_from_the_dimension(qk, monkeypatch, settings):
    f = without_dimension(xlsx([row(i) for i in range(1, 13)]))
    data = f.read()
    f.seek(0)
    assert load_workbook(io.BytesIO(data), read_only=True).active.max_row is None  # openpyxl cannot tell
    assert count_rows(io.BytesIO(data), "xlsx") == 12
    assert count_rows(io.BytesIO(data), "xlsx", limit=5) == 6  # stops once past the limit
    # over the row limit: refused whole, nothing written
    monkeypatch.setattr(PRODUCERS, "max_rows", 10)
    upload(qk, f)
    job = ImportJob.objects.get()
    assert (job.status, job.message) == ("invalid", "一次最多导入 10 行。")
    assert not Producer.objects.filter(name__startswith="导入合作社").exists()
    # and past the inline limit it goes to the worker, whatever the file says of itself
    settings.NONGAN_IMPORT_SYNC_ROWS = 10
    monkeypatch.setattr(PRODUCERS, "max_rows", 100)
    job.delete()
    upload(qk, SimpleUploadedFile("again.xlsx", data))
    assert ImportJob.objects.get().status == "pending"


def test_over_long_cells_are_row_errors(qk, settings):
    settings.NONGAN_MAX_CELL_CHARS = 50
    upload(qk, xlsx([row(1, **{"地址": "长" * 51})]))
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert job.errors == [{"row": 2, "column": "地址", "message": "单元格超过 50 个字符。"}]


# ------------------------------------------------------------------------------------------ idempotency
def test_the_same_file_again_returns_its_job(client, users):
    client.force_login(users.qk)
    f = xlsx([row(1)]).read()
    first = upload(client, SimpleUploadedFile("a.xlsx", f))
    again = upload(client, SimpleUploadedFile("renamed.xlsx", f))
    assert first["Location"] == again["Location"] and ImportJob.objects.count() == 1
    job = ImportJob.objects.get()
    assert len(job.sha256) == 64
    client.post(f"/imports/{job.pk}/", {"action": "confirm"})
    assert (
        upload(client, SimpleUploadedFile("a.xlsx", f))["Location"] == first["Location"]
    )  # applied: same job
    assert Producer.objects.filter(name="导入合作社1").count() == 1
    # another user's upload of the same file is their own job
    client.force_login(users.admin)
    upload(client, SimpleUploadedFile("a.xlsx", f))
    assert ImportJob.objects.count() == 2
    # a discarded (or rejected) job is not returned: the file may be uploaded again
    client.force_login(users.qk)
    other = xlsx([row(2)]).read()
    upload(client, SimpleUploadedFile("b.xlsx", other))
    b = ImportJob.objects.get(created_by=users.qk, original_name="b.xlsx")
    client.post(f"/imports/{b.pk}/", {"action": "discard"})
    upload(client, SimpleUploadedFile("b.xlsx", other))
    assert ImportJob.objects.filter(created_by=users.qk, original_name="b.xlsx").count() == 2


def test_an_upload_sent_again_with_its_form_token_gets_the_first_result(client, users):
    """Idempotency-Key (header or the form's token) on the import pages as on issue and collection: a resend
    after a lost response gets the first answer; the same token with another file is refused, nothing stored."""
    from nongan.core import idempotency

    client.force_login(users.qk)
    page = client.get(URL).content.decode()
    token = re.search(rf'name="{idempotency.FORM_FIELD}" value="([^"]+)"', page).group(1)
    f = xlsx([row(1)]).read()
    first = client.post(URL, {"file": SimpleUploadedFile("a.xlsx", f), idempotency.FORM_FIELD: token})
    again = client.post(URL, {"file": SimpleUploadedFile("a.xlsx", f), idempotency.FORM_FIELD: token})
    assert first.status_code == again.status_code == 302 and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and ImportJob.objects.count() == 1
    other = client.post(
        URL, {"file": SimpleUploadedFile("b.xlsx", xlsx([row(2)]).read()), idempotency.FORM_FIELD: token}
    )
    assert other.status_code == 302 and other["Location"].endswith(URL)  # shown afresh
    assert ImportJob.objects.count() == 1
    for url in ("/monitoring/results/import/", "/monitoring/rapid/import/"):
        assert f'name="{idempotency.FORM_FIELD}"' in client.get(url).content.decode()


# ------------------------------------------------------------------------------------------ jobs that end
def _stale_running_job(qk, settings):
    settings.NONGAN_IMPORT_SYNC_ROWS = 0  # queued for the worker, which "dies" after taking it
    upload(qk, xlsx([row(1)]))
    job = ImportJob.objects.get()
    assert job.status == "pending"
    imports.JOB_WORKFLOW.try_run(actor=None, obj=job, action="check")
    old = timezone.now() - dt.timedelta(seconds=settings.NONGAN_IMPORT_STALE_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=old)
    return job


def test_a_job_whose_worker_stopped_is_failed_with_its_reason(qk, settings):
    job = _stale_running_job(qk, settings)
    fresh = imports.reclaim()
    assert fresh == 1
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == "后台任务已停止：5 分钟没有心跳。未导入任何数据，请重新上传文件。"
    page = qk.get(f"/imports/{job.pk}/").content.decode()
    assert "后台任务已停止" in page and "hx-trigger" not in page
    assert imports.reclaim() == 0  # once
    # the worker coming back to it later does nothing
    imports.run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not Producer.objects.filter(name__startswith="导入合作社").exists()


def test_the_progress_page_and_the_command_reclaim(qk, settings):
    job = _stale_running_job(qk, settings)
    assert "后台任务已停止" in qk.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    job.refresh_from_db()
    assert job.status == "failed"
    # a heartbeat inside the timeout is left alone; the command fails it once stale
    settings.NONGAN_IMPORT_SYNC_ROWS = 0
    upload(qk, xlsx([row(5)]))
    other = ImportJob.objects.exclude(pk=job.pk).get()
    imports.JOB_WORKFLOW.try_run(actor=None, obj=other, action="check")
    out = io.StringIO()
    call_command("reclaim_jobs", stdout=out)
    other.refresh_from_db()
    assert (other.status, out.getvalue()) == ("validating", "0 import job(s) reclaimed\n")
    ImportJob.objects.filter(pk=other.pk).update(heartbeat=timezone.now() - dt.timedelta(hours=1))
    call_command("reclaim_jobs", stdout=out)
    other.refresh_from_db()
    assert other.status == "failed" and out.getvalue().endswith("1 import job(s) reclaimed\n")


def test_a_queued_job_nobody_takes_up_fails_after_the_queue_timeout(qk, settings):
    settings.NONGAN_IMPORT_SYNC_ROWS = 0
    upload(qk, xlsx([row(1)]))
    job = ImportJob.objects.get()
    assert imports.reclaim() == 0
    later = timezone.now() + dt.timedelta(seconds=settings.NONGAN_IMPORT_QUEUE_SECONDS + 1)
    assert imports.reclaim(now=later) == 1
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "24 小时内没有后台进程处理该任务，未导入任何数据。")


# ------------------------------------------------------------------------------------------ who sees a job
@pytest.mark.parametrize(
    "who, sees",
    [
        ("qk", True),  # the uploader
        ("admin", True),  # an administrator of the uploader's jurisdiction
        ("zw", False),  # another township's supervisor
        ("village", False),  # a coordinator inside the uploader's township: not an administrator
        ("producer", False),
        ("analyst", False),
    ],
)
def test_who_sees_a_job(client, users, who, sees):
    client.force_login(users.qk)
    upload(client, xlsx([row(1), row(2, **{"手机号": "1"})]))
    job = ImportJob.objects.get()
    client.force_login(getattr(users, who))
    for url in (f"/imports/{job.pk}/", f"/imports/{job.pk}/errors.xlsx"):
        assert client.get(url).status_code == (200 if sees else 404), url
    assert client.post(f"/imports/{job.pk}/", {"action": "discard"}).status_code in (
        (302,) if sees else (404,)
    )
    assert (job in imports.jobs_for(getattr(users, who))) is sees
