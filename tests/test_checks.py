"""Django's system checks (drf-spectacular's schema warnings among them) and the OpenAPI schema stay clean,
so `make test` fails where CI's `check --deploy` and `spectacular --fail-on-warn` would."""

from django.core.management import call_command


def test_system_checks_raise_no_warning(db, settings):
    # the one expected warning of a development set-up is the loopback public address (nongan.W001, tested in
    # tests/test_production_settings.py); with a real address there is none
    settings.NONGAN_PUBLIC_URL = "https://nongan.ganyu.gov.cn"
    call_command("check", fail_level="WARNING")


def test_openapi_schema_generates_without_warnings_and_validates(db, tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    assert "/api/v1/producers/" in text and "/api/v1/draw-conflicts/" in text
