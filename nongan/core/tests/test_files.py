"""Stored uploads: random names, and the migration that moves import files stored under their upload names."""

import importlib
import re

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from nongan.core.files import is_random_name, random_name
from nongan.core.models import ImportJob


def test_random_names_are_random_and_keep_only_a_checked_extension():
    a, b = random_name("png"), random_name("PNG", prefix="monitoring/photos/")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", a)
    assert re.fullmatch(r"monitoring/photos/[0-9a-f]{32}\.png", b)
    assert a != random_name("png")
    assert is_random_name(a) and is_random_name(b) and not is_random_name("monitoring/photos/SP2026-1.png")
    for bad in ("", "html/../x", "p/ng", "php.", "x" * 9):
        with pytest.raises(ValueError):
            random_name(bad)


def test_the_migration_moves_import_files_to_random_names(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Stored as before: under the name the uploader gave.
    job = ImportJob.objects.create(
        kind="registry.producers",
        created_by=users.admin,
        original_name="农户.html",
        file=default_storage.save("imports/2026/11/农户.html", ContentFile(b"<script>alert(1)</script>")),
    )
    csv = ImportJob.objects.create(
        kind="monitoring.rapid",
        created_by=users.admin,
        original_name="快检.csv",
        file=default_storage.save("imports/2026/11/快检.csv", ContentFile(b"a,b\n")),
    )
    assert job.file.name == "imports/2026/11/农户.html"
    migration = importlib.import_module("nongan.core.migrations.0010_random_import_file_names")
    migration.forwards(apps, None)
    job.refresh_from_db()
    csv.refresh_from_db()
    assert re.fullmatch(
        r"imports/2026/11/[0-9a-f]{32}\.bin", job.file.name
    )  # not a spreadsheet: no .html kept
    assert re.fullmatch(r"imports/2026/11/[0-9a-f]{32}\.csv", csv.file.name)
    assert job.file.open("rb").read() == b"<script>alert(1)</script>"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [job.file.name.rsplit("/", 1)[1], csv.file.name.rsplit("/", 1)[1]]
    )
    assert job.original_name == "农户.html"  # the name the uploader gave stays on the record, not on disk
