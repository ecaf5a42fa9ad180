"""Signing keys get a validity window and a compromised state; certificates record when they were signed;
private keys sealed under SECRET_KEY (``v1:``) are re-sealed with the key-encryption key (``keystore``)."""

import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Min


def windows_and_reseal(apps, schema_editor):
    from nongan.certificates import keystore

    SigningKey = apps.get_model("certificates", "SigningKey")
    Certificate = apps.get_model("certificates", "Certificate")
    # Certificates issued before this migration: signed when they were issued.
    Certificate.objects.update(signed_at=F("issued_at"))
    for key in SigningKey.objects.all():
        first = Certificate.objects.filter(kid=key.kid).aggregate(m=Min("signed_at"))["m"]
        key.valid_from = min(key.created, first) if first else key.created
        key.save(update_fields=["valid_from"])
    if not SigningKey.objects.filter(private_key_encrypted__startswith=keystore.PREFIX_V1).exists():
        return
    try:
        kek = keystore.settings_kek(create=True)
    except keystore.KeyUnavailable as exc:
        raise RuntimeError(
            f"Cannot re-seal the certificate-signing keys: {exc}. Make the key file with `nongan init-keys` "
            "(or set NONGAN_KEY_PASSPHRASE) and run `nongan migrate` again."
        ) from None
    keystore.reseal_v1(SigningKey, settings.SECRET_KEY, kek=kek)


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0006_versions'),
    ]

    operations = [
        migrations.RenameField(model_name='signingkey', old_name='retired', new_name='valid_until'),
        migrations.AlterField(
            model_name='signingkey',
            name='valid_until',
            field=models.DateTimeField(blank=True, null=True, verbose_name='valid until'),
        ),
        migrations.AddField(
            model_name='certificate',
            name='signed_at',
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                editable=False,
                verbose_name='signed at',
            ),
        ),
        migrations.AddField(
            model_name='signingkey',
            name='compromise_reason',
            field=models.CharField(blank=True, max_length=255, verbose_name='reason (compromise)'),
        ),
        migrations.AddField(
            model_name='signingkey',
            name='compromised_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='compromised at'),
        ),
        migrations.AddField(
            model_name='signingkey',
            name='valid_from',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='valid from'),
        ),
        migrations.AlterField(
            model_name='signingkey',
            name='private_key_encrypted',
            field=models.TextField(verbose_name='private key (sealed)'),
        ),
        migrations.RunPython(windows_and_reseal, migrations.RunPython.noop),
    ]
