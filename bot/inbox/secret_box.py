"""Staff second-factor (TOTP) secrets, encrypted at rest with MEDSYNC_SECRET_KEY.

What it protects: a copy of the database (a dump, a backup, a read-only SQL user) no longer
holds the secrets that mint a staff member's codes. The stored form is "fernet:" and a Fernet
token (cryptography: AES-128-CBC and HMAC-SHA256); its key is derived from MEDSYNC_SECRET_KEY
with HKDF-SHA256 and a fixed label, so the same MEDSYNC_SECRET_KEY always opens it.

What it does not protect: anyone who has MEDSYNC_SECRET_KEY as well as the database (the web
processes' environment) can open every secret; the secret is plain in memory while a code is
checked and on the enrolment page, shown once. Without MEDSYNC_SECRET_KEY (a demo, one
process) the key would change at every start, so secrets are stored plain, as before, and
the inbox warns at startup. A value without the prefix is a plain secret stored before
encryption (or without a key): it is read as it is, and encrypted at the next sign-in.

Changing the key: set the new MEDSYNC_SECRET_KEY and the old one as
MEDSYNC_PREVIOUS_SECRET_KEY. Secrets sealed with the old key still open, and are sealed with
the new one at their owner's next sign-in, or all at once by `medsync user reseal-second-
factors`; once that reports none left on the old key, unset the old one (docs/DEPLOY.md).
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"
# Changing the label (or the derivation) makes every stored secret unreadable: a new label
# needs a new prefix and a way to read the old one.
LABEL = b"medsync totp secrets v1"


class SecretUnreadable(Exception):
    """An encrypted secret this MEDSYNC_SECRET_KEY cannot open (the key changed or is unset,
    or the value was damaged). Carries no part of the value."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LABEL).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def can_encrypt(secret_key: str) -> bool:
    """Whether secrets are encrypted: only with a MEDSYNC_SECRET_KEY that outlives a restart."""
    return bool(secret_key)


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(secret: str, secret_key: str) -> str:
    """The stored form of `secret`: encrypted with a key, plain (as before) without one."""
    if not can_encrypt(secret_key):
        return secret
    return PREFIX + _fernet(secret_key).encrypt(secret.encode("utf-8")).decode("ascii")


def open_secret(stored: str, secret_key: str, previous_key: str = "") -> str:
    """The secret a stored value holds; a plain value is returned as it is.

    Raises SecretUnreadable for an encrypted value neither this key nor the previous one
    (MEDSYNC_PREVIOUS_SECRET_KEY, while keys change) can open."""
    if not is_encrypted(stored):
        return stored
    for key in (secret_key, previous_key):
        if can_encrypt(key):
            try:
                return _open(stored, key)
            except (InvalidToken, UnicodeError):
                continue
    raise SecretUnreadable


def needs_sealing(stored: str, secret_key: str) -> bool:
    """Whether a stored value should be sealed again with `secret_key`: it is plain, or sealed
    with another key (the previous one, while keys change)."""
    if not can_encrypt(secret_key):
        return False
    if not is_encrypted(stored):
        return True
    try:
        _open(stored, secret_key)
    except (InvalidToken, UnicodeError):
        return True
    return False


def _open(stored: str, key: str) -> str:
    return _fernet(key).decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
