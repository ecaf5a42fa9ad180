"""Secrets sealed with the key-encryption key: bound to their purpose, useless without the installation's key."""

import pytest

from nongan.core import kek, sealing


@pytest.fixture
def key_file(settings, tmp_path):
    settings.NONGAN_KEY_FILE = tmp_path / "keys" / "nongan.kek"
    settings.NONGAN_KEY_PASSPHRASE = None
    settings.NONGAN_KEY_AUTOCREATE = False
    return settings.NONGAN_KEY_FILE


def test_sealed_values_open_only_for_their_purpose_and_key(key_file, tmp_path, settings):
    kek.kek_generate(key_file)
    sealed = sealing.seal("秘密种子", purpose="draw-seed:SJ2026-0001")
    assert sealed.startswith("k1:") and "秘密种子" not in sealed
    assert sealing.unseal(sealed, purpose="draw-seed:SJ2026-0001").decode() == "秘密种子"
    with pytest.raises(sealing.SealError):
        sealing.unseal(sealed, purpose="draw-seed:SJ2026-0002")  # moved to another record
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(sealing.SealError):
        sealing.unseal(tampered, purpose="draw-seed:SJ2026-0001")
    settings.NONGAN_KEY_FILE = kek.kek_generate(tmp_path / "other.kek")  # another installation's key
    with pytest.raises(sealing.SealError):
        sealing.unseal(sealed, purpose="draw-seed:SJ2026-0001")


def test_a_missing_key_is_named_and_never_made_in_production(key_file):
    with pytest.raises(sealing.SealError, match="does not exist"):
        sealing.seal("x", purpose="p")
    assert not key_file.exists()
