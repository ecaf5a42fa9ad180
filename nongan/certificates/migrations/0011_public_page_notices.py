"""PostgreSQL: notify channel nongan_public_page when a change of what the public page /v/<number> shows is
committed (certificates.pagestore drops the pages it keeps): a certificate's number when one of its public
columns changes or it is deleted (a scan, which only raises scan_count, notifies nothing); "*" when an issuer's
name, type or head, a region's name, level or parent, or the code or verdict of a sample or the outcome of a
rapid test changes (the page names them). SQLite keeps no listener: its pages are reused for the short window only.
"""

from django.db import migrations

CHANNEL = "nongan_public_page"
# The certificate columns the page or its verdict read (certificates.selectors.PAGE_FIELDS but id and scan_count).
CERTIFICATE_COLUMNS = (
    "number",
    "producer_id",
    "product_name",
    "quantity",
    "unit",
    "origin_id",
    "issued_at",
    "promiser",
    "contact",
    "promise_form",
    "promise_text",
    "basis",
    "basis_sample_id",
    "basis_rapid_test_id",
    "kid",
    "token",
    "signed_at",
    "status",
    "revoked_at",
    "revoke_reason",
    "contradicted_by",
    "suspicious",
    "suspicious_reason",
)
# Other tables: (table, columns the page shows) → a notice for every page.
OTHERS = (
    ("registry_producer", ("name", "type", "legal_rep")),
    ("core_region", ("name", "level", "parent_id")),
    ("monitoring_sample", ("code", "verdict")),
    ("monitoring_rapidtest", ("outcome", "tested_at")),
)


def _changed(columns) -> str:
    old = ", ".join(f'OLD."{c}"' for c in columns)
    new = ", ".join(f'NEW."{c}"' for c in columns)
    return f"(ROW({old}) IS DISTINCT FROM ROW({new}))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION nongan_public_page_notice() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_ARGV[0] = 'number' THEN
                PERFORM pg_notify('{CHANNEL}', OLD."number");
            ELSE
                PERFORM pg_notify('{CHANNEL}', '*');
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE TRIGGER nongan_public_page_update AFTER UPDATE ON certificates_certificate FOR EACH ROW
        WHEN {_changed(CERTIFICATE_COLUMNS)} EXECUTE FUNCTION nongan_public_page_notice('number')
        """,
        """
        CREATE TRIGGER nongan_public_page_delete AFTER DELETE ON certificates_certificate FOR EACH ROW
        EXECUTE FUNCTION nongan_public_page_notice('number')
        """,
    ]
    for table, columns in OTHERS:
        statements.append(
            f"""
            CREATE TRIGGER nongan_public_page_update AFTER UPDATE ON {table} FOR EACH ROW
            WHEN {_changed(columns)} EXECUTE FUNCTION nongan_public_page_notice('all')
            """
        )
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ["certificates_certificate", *(t for t, _c in OTHERS)]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS nongan_public_page_update ON {table}")
    schema_editor.execute("DROP TRIGGER IF EXISTS nongan_public_page_delete ON certificates_certificate")
    schema_editor.execute("DROP FUNCTION IF EXISTS nongan_public_page_notice()")


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0010_scan_signature_check"),
        ("core", "0014_audit_chain_and_checkpoints"),
        ("registry", "0006_versions"),
        ("monitoring", "0012_plan_state"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
