"""Sample photos through the API: POST /api/v1/monitoring/samples/<code>/photos/ (multipart), GET lists them."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from nongan.core.models import AuditLog
from nongan.monitoring.models import SamplePhoto


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes(size=(8, 6), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 140, 60)).save(buf, format=fmt)
    return buf.getvalue()


def url(sample) -> str:
    return f"/api/v1/monitoring/samples/{sample.code}/photos/"


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_real_png_is_stored_listed_and_audited(client, users, make_sample, media):
    sample = make_sample()
    client.force_login(users.sampler)
    upload = SimpleUploadedFile("现场.bin", png_bytes(), content_type="application/octet-stream")
    r = client.post(url(sample), {"image": upload, "caption": "封样袋"})
    assert r.status_code == 201, r.content
    photo = SamplePhoto.objects.get()
    assert (photo.sample, photo.caption) == (sample, "封样袋")
    # A random stored name (32 hex digits), the extension from the content; nothing of the upload's name.
    assert re.fullmatch(r"monitoring/photos/\d{4}/\d{2}/[0-9a-f]{32}\.png", photo.image.name), (
        photo.image.name
    )
    with Image.open(photo.image.path) as im:
        assert (im.format, im.size) == ("PNG", (8, 6))
    assert r.json()["url"] == f"/monitoring/photos/{photo.pk}"
    assert AuditLog.objects.filter(object_id=str(photo.pk), object_repr="封样袋").count() == 1
    listed = client.get(url(sample)).json()
    assert [p["id"] for p in listed] == [photo.pk]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_jpeg_and_webp_are_accepted(client, users, make_sample, fmt):
    sample = make_sample()
    client.force_login(users.sampler)
    r = client.post(url(sample), {"image": SimpleUploadedFile("a.jpg", png_bytes(fmt=fmt))})
    assert r.status_code == 201, r.content
    assert SamplePhoto.objects.get().image.name.endswith({"JPEG": ".jpg", "WEBP": ".webp"}[fmt])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not an image at all, only text", "文件不是JPEG、PNG或WebP格式的图片。"),
        (png_bytes()[:40], "文件不是JPEG、PNG或WebP格式的图片。"),  # a truncated PNG
        (b"GIF89a" + png_bytes(), "文件不是JPEG、PNG或WebP格式的图片。"),
        (b"", "照片文件为空。"),
    ],
)
def test_a_fake_png_is_refused_and_nothing_saved(client, users, make_sample, media, content, message):
    sample = make_sample()
    client.force_login(users.sampler)
    r = client.post(
        url(sample), {"image": SimpleUploadedFile("photo.png", content, content_type="image/png")}
    )
    assert r.status_code == 400
    assert r.json() == {"image": [message]}
    assert SamplePhoto.objects.count() == 0
    assert stored_files(media) == []


def test_a_gif_is_refused(client, users, make_sample, media):
    sample = make_sample()
    client.force_login(users.sampler)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, format="GIF")
    r = client.post(url(sample), {"image": SimpleUploadedFile("photo.gif", buf.getvalue())})
    assert r.status_code == 400 and r.json() == {"image": ["文件不是JPEG、PNG或WebP格式的图片。"]}
    assert SamplePhoto.objects.count() == 0 and stored_files(media) == []


def test_a_photo_over_10_mb_is_refused(client, users, make_sample, media):
    sample = make_sample()
    client.force_login(users.sampler)
    head = png_bytes()
    big = head + b"\0" * (10 * 1024 * 1024 + 1 - len(head))  # a valid PNG followed by padding: 10 MB + 1 byte
    r = client.post(url(sample), {"image": SimpleUploadedFile("big.png", big)})
    assert r.status_code == 400 and r.json() == {"image": ["照片不能超过10 MB。"]}
    assert SamplePhoto.objects.count() == 0 and stored_files(media) == []


def test_missing_file_and_long_caption_are_400(client, users, make_sample, media):
    sample = make_sample()
    client.force_login(users.sampler)
    r = client.post(url(sample), {"caption": "无文件"})
    assert r.status_code == 400 and "image" in r.json()
    r = client.post(url(sample), {"image": SimpleUploadedFile("a.png", png_bytes()), "caption": "长" * 129})
    assert r.status_code == 400 and "caption" in r.json()
    assert SamplePhoto.objects.count() == 0 and stored_files(media) == []


def test_out_of_scope_sample_is_404_and_roles_are_checked(client, users, make_sample, make_producer, media):
    zw_producer = make_producer(name="柘汪镇测试合作社", town="柘汪镇")
    sample = make_sample(producer=zw_producer)
    client.force_login(users.qk)  # township supervisor of 青口镇
    assert client.get(url(sample)).status_code == 404
    r = client.post(url(sample), {"image": SimpleUploadedFile("a.png", png_bytes())})
    assert r.status_code == 404
    client.force_login(users.analyst)  # sees the sample, but is no sampler
    r = client.post(url(sample), {"image": SimpleUploadedFile("a.png", png_bytes())})
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["只有抽样人员可以为样品添加照片。"]}
    assert SamplePhoto.objects.count() == 0 and stored_files(media) == []


def test_register_with_a_fake_photo_saves_nothing(users, make_sample, media):
    from django.core.exceptions import ValidationError

    from nongan.monitoring.models import Sample

    fake = SimpleUploadedFile("a.png", b"fake png", content_type="image/png")
    with pytest.raises(ValidationError) as e:
        make_sample(photos=[fake])
    assert e.value.message_dict == {"photos": ["文件不是JPEG、PNG或WebP格式的图片。"]}
    assert Sample.objects.count() == 0 and stored_files(media) == []
    sample = make_sample(photos=[SimpleUploadedFile("a.png", png_bytes())])
    assert re.search(r"/[0-9a-f]{32}\.png$", sample.photos.get().image.name)


def test_the_sample_form_refuses_a_fake_photo_and_keeps_a_real_one(client, users, plan, media):
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from nongan.monitoring.models import Sample

    client.force_login(users.sampler)
    data = {
        "producer": users.own_producer.pk,
        "product": users.own_producer.products.first().pk,
        "quantity": "3",
        "quantity_unit": "kg",
        "place": "田头",
        "sampled_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "seal_number": "S1",
    }
    fake = SimpleUploadedFile("现场.jpg", b"this is no jpeg", content_type="image/jpeg")
    r = client.post(reverse("monitoring:sample_create"), {**data, "photos": fake})
    assert r.status_code == 200
    assert "文件不是JPEG、PNG或WebP格式的图片。" in r.content.decode()
    assert Sample.objects.count() == 0 and stored_files(media) == []
    real = SimpleUploadedFile("现场.jpg", png_bytes(fmt="JPEG"), content_type="image/jpeg")
    r = client.post(reverse("monitoring:sample_create"), {**data, "photos": real})
    assert r.status_code == 302
    assert re.search(r"/[0-9a-f]{32}\.jpg$", Sample.objects.get().photos.get().image.name)


def _add_photo(client, users, sample) -> SamplePhoto:
    client.force_login(users.sampler)
    r = client.post(url(sample), {"image": SimpleUploadedFile("a.png", png_bytes())})
    assert r.status_code == 201, r.content
    client.logout()
    return SamplePhoto.objects.get(pk=r.json()["id"])


def test_a_photo_is_served_only_to_who_may_see_its_sample_with_exact_headers(
    client, users, make_sample, media
):
    sample = make_sample()  # a 青口镇 producer's sample
    photo = _add_photo(client, users, sample)
    path = f"/monitoring/photos/{photo.pk}"
    # Anonymous: to the login page, no bytes.
    r = client.get(path)
    assert r.status_code == 302 and r["Location"] == f"/login/?next={path}"
    # Another township's supervisor: 404, as for a photo that does not exist.
    client.force_login(users.zw)
    assert client.get(path).status_code == 404
    assert client.get("/monitoring/photos/999999").status_code == 404
    # The sample's township: the image, inline, not sniffable, running nothing.
    client.force_login(users.qk)
    r = client.get(path)
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == photo.image.open("rb").read()
    assert r["Content-Type"] == "image/png"
    assert r["Content-Disposition"] == "inline"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert r["Cache-Control"] == "private, no-store"
    # The sample page links to the view, never to the stored file.
    page = client.get(f"/monitoring/samples/{sample.code}/").content.decode()
    assert f'href="{path}"' in page and photo.image.name not in page


def test_no_url_serves_the_upload_directory(client, users, make_sample, media, settings):
    sample = make_sample()
    photo = _add_photo(client, users, sample)
    client.force_login(users.admin)
    settings.DEBUG = True
    assert client.get(f"/media/{photo.image.name}").status_code == 404


@pytest.mark.parametrize(
    ("mode", "header", "value"),
    [("x-accel-redirect", "X-Accel-Redirect", "/_protected/{name}"), ("x-sendfile", "X-Sendfile", "{path}")],
)
def test_the_proxy_sends_the_body_when_configured(
    client, users, make_sample, media, settings, mode, header, value
):
    settings.NONGAN_FILE_SEND = mode
    sample = make_sample()
    photo = _add_photo(client, users, sample)
    client.force_login(users.qk)
    r = client.get(f"/monitoring/photos/{photo.pk}")
    assert r.status_code == 200 and r.content == b""
    assert r[header] == value.format(name=photo.image.name, path=photo.image.path)
    assert (r["Content-Type"], r["Content-Disposition"], r["X-Content-Type-Options"]) == (
        "image/png",
        "inline",
        "nosniff",
    )
    client.force_login(users.zw)
    r = client.get(f"/monitoring/photos/{photo.pk}")
    assert r.status_code == 404 and not r.has_header(header)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.html", b"<html><script>fetch('/api/v1/producers/')</script></html>"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("x.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ],
)
def test_html_and_svg_uploads_are_refused_and_nothing_stored(
    client, users, make_sample, media, name, content
):
    sample = make_sample()
    client.force_login(users.sampler)
    r = client.post(url(sample), {"image": SimpleUploadedFile(name, content, content_type="image/svg+xml")})
    assert r.status_code == 400 and r.json() == {"image": ["文件不是JPEG、PNG或WebP格式的图片。"]}
    assert SamplePhoto.objects.count() == 0 and stored_files(media) == []


def test_a_non_image_file_is_served_as_an_attachment(rf, users, make_sample, media):
    from django.core.files.base import ContentFile

    from nongan.core.files import random_name, serve_file

    sample = make_sample()
    photo = SamplePhoto(sample=sample)
    photo.image.save(random_name("html"), ContentFile(b"<script>alert(1)</script>"), save=True)
    request = rf.get("/")
    request.user = users.qk
    r = serve_file(request, photo, "image", download_name="报告.html")
    assert r["Content-Type"] == "application/octet-stream"
    assert (
        r["Content-Disposition"] == "attachment; filename=\".html\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.html"
    )
    assert r["X-Content-Type-Options"] == "nosniff"


def test_the_migration_moves_existing_photos_to_random_names(users, make_sample, media):
    import importlib

    from django.apps import apps
    from django.core.files.base import ContentFile

    sample = make_sample()
    photo = SamplePhoto(sample=sample)
    photo.image.save(f"{sample.code}-1.png", ContentFile(png_bytes()), save=True)
    old = photo.image.name
    assert old.endswith(f"{sample.code}-1.png")
    migration = importlib.import_module("nongan.monitoring.migrations.0003_random_photo_names")
    migration.forwards(apps, None)
    photo.refresh_from_db()
    assert re.fullmatch(r"monitoring/photos/\d{4}/\d{2}/[0-9a-f]{32}\.png", photo.image.name)
    assert [p.name for p in stored_files(media)] == [photo.image.name.rsplit("/", 1)[1]]
    with Image.open(photo.image.path) as im:
        assert im.format == "PNG"
    migration.forwards(apps, None)  # a second run changes nothing
    assert SamplePhoto.objects.get().image.name == photo.image.name
