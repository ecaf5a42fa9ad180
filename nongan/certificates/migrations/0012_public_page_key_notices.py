"""PostgreSQL: a change of a signing key's window, state or public key (rotation, compromise) notifies channel
nongan_public_page with "keys": every worker forgets the key records it keeps and the pages it reuses, so a
compromise reaches every page's verdict at once (it waited up to a minute for each process's key cache)."""

from django.db import migrations

CHANNEL = "nongan_public_page"
KEY_COLUMNS = ("kid", "public_key", "valid_from", "valid_until", "compromised_at")

FUNCTION = """
CREATE OR REPLACE FUNCTION nongan_public_page_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'number' THEN
        PERFORM pg_notify('{channel}', OLD."number");
    {keys}ELSE
        PERFORM pg_notify('{channel}', '*');
    END IF;
    RETURN NULL;
END $$
"""
WITH_KEYS = "ELSIF TG_ARGV[0] = 'keys' THEN\n        PERFORM pg_notify('{channel}', 'keys');\n    "


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    old = ", ".join(f'OLD."{c}"' for c in KEY_COLUMNS)
    new = ", ".join(f'NEW."{c}"' for c in KEY_COLUMNS)
    schema_editor.execute(FUNCTION.format(channel=CHANNEL, keys=WITH_KEYS.format(channel=CHANNEL)))
    schema_editor.execute(
        "CREATE TRIGGER nongan_public_page_keys AFTER UPDATE ON certificates_signingkey FOR EACH ROW "
        f"WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) EXECUTE FUNCTION nongan_public_page_notice('keys')"
    )
    schema_editor.execute(
        "CREATE TRIGGER nongan_public_page_keys_delete AFTER DELETE ON certificates_signingkey FOR EACH ROW "
        "EXECUTE FUNCTION nongan_public_page_notice('keys')"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS nongan_public_page_keys ON certificates_signingkey")
    schema_editor.execute("DROP TRIGGER IF EXISTS nongan_public_page_keys_delete ON certificates_signingkey")
    schema_editor.execute(FUNCTION.format(channel=CHANNEL, keys=""))


class Migration(migrations.Migration):
    dependencies = [("certificates", "0011_public_page_notices")]

    operations = [migrations.RunPython(forwards, backwards)]
