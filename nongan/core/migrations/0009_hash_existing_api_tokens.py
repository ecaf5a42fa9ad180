"""Existing API tokens (rest_framework.authtoken, stored in plain text) become hashed ApiToken rows that keep
working until they expire (NONGAN_TOKEN_DAYS from the migration); the plain-text table is dropped."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("core", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id, created FROM {OLD_TABLE}")
        rows = cursor.fetchall()
    expires = timezone.now() + timedelta(days=int(getattr(settings, "NONGAN_TOKEN_DAYS", 90)))
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                name="API token (before hashing)",
                prefix=key[:6],
                key_hash=hashlib.sha256(key.encode("utf-8")).hexdigest(),
                expires=expires,
            )
            for key, user_id, _created in rows
        ]
    )
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("core", "0008_api_tokens_and_reset_links")]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
