"""bot/inbox/secret_box.py: second-factor secrets sealed with a key derived from
MEDSYNC_SECRET_KEY, plain values read as they are, another key refused cleanly."""

from __future__ import annotations

import pyotp
import pytest

from bot.inbox import secret_box
from bot.inbox.secret_box import SecretUnreadable

KEY = "one-secret-key-for-every-process"


def test_a_sealed_secret_opens_with_the_same_key_and_hides_the_secret() -> None:
    secret = pyotp.random_base32()
    stored = secret_box.seal(secret, KEY)
    assert stored.startswith("fernet:") and secret_box.is_encrypted(stored)
    assert secret not in stored
    assert len(stored) <= 255  # staff_user.totp_secret
    assert secret_box.open_secret(stored, KEY) == secret
    # Each sealing is new (a random IV), and any of them opens.
    again = secret_box.seal(secret, KEY)
    assert again != stored and secret_box.open_secret(again, KEY) == secret


def test_a_plain_secret_passes_through() -> None:
    secret = pyotp.random_base32()
    assert secret_box.open_secret(secret, KEY) == secret
    assert secret_box.open_secret(secret, "") == secret


def test_without_a_key_secrets_stay_plain() -> None:
    secret = pyotp.random_base32()
    assert not secret_box.can_encrypt("")
    assert secret_box.seal(secret, "") == secret


@pytest.mark.parametrize("key", ["another-secret-key", ""])
def test_another_key_or_none_fails_cleanly(key: str) -> None:
    stored = secret_box.seal(pyotp.random_base32(), KEY)
    with pytest.raises(SecretUnreadable) as refused:
        secret_box.open_secret(stored, key)
    assert str(refused.value) == ""  # nothing of the value in the error


def test_a_damaged_value_fails_cleanly() -> None:
    stored = secret_box.seal(pyotp.random_base32(), KEY)
    for damaged in (stored[:-4], "fernet:", "fernet:not a token", stored + "é"):
        with pytest.raises(SecretUnreadable):
            secret_box.open_secret(damaged, KEY)


def test_the_previous_key_opens_what_it_sealed_until_it_is_sealed_again() -> None:
    secret = pyotp.random_base32()
    old = secret_box.seal(secret, "the-old-key")
    assert secret_box.open_secret(old, KEY, previous_key="the-old-key") == secret
    assert secret_box.needs_sealing(old, KEY)
    assert secret_box.needs_sealing(secret, KEY)  # plain
    assert not secret_box.needs_sealing(secret_box.seal(secret, KEY), KEY)
    assert not secret_box.needs_sealing(secret, "")  # no key: stays plain
    with pytest.raises(SecretUnreadable):
        secret_box.open_secret(old, KEY, previous_key="yet-another-key")
