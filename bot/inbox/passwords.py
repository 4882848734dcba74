"""What a staff password must be: long enough, and not one of the passwords attackers try
first (the list in common-passwords.txt, where it came from is in its header).

Checked when an account is made and whenever a password is set or reset, never at sign-in
(an old weak password still signs in; an admin resets it).
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 would take anything; a form or a pipe should not
COMMON_FILE = Path(__file__).resolve().parent / "common-passwords.txt"
_TRAILING = string.digits + string.punctuation + " "


class PasswordTooWeak(ValueError):
    """The sentence says what is wrong and what would do."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = COMMON_FILE.read_text(encoding="utf-8")
    _, _, listed = text.partition("\n\n")  # the header ends at the first empty line
    return frozenset(line for line in listed.splitlines() if line)


def _variants(password: str) -> set[str]:
    """The forms a listed password hides in: any case, spaces taken out, digits or symbols
    added at the end ("Password123!"), or said twice ("qwertyqwerty")."""
    folded = password.casefold()
    squeezed = "".join(folded.split())
    found = {folded, squeezed, squeezed.rstrip(_TRAILING)}
    for candidate in list(found):
        for size in range(1, len(candidate) // 2 + 1):
            if len(candidate) % size == 0 and candidate[:size] * (len(candidate) // size) == (
                candidate
            ):
                found.add(candidate[:size])
    return {v for v in found if v}


def check(password: str, email: str = "") -> None:
    """Raise PasswordTooWeak unless `password` may be a staff password."""
    if len(password) < MIN_LENGTH:
        raise PasswordTooWeak(f"Use a password of at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordTooWeak(f"Use a password of at most {MAX_LENGTH} characters.")
    listed = common_passwords()
    if any(v in listed for v in _variants(password)):
        raise PasswordTooWeak(
            "That password is on the list of the most common passwords, which attackers try "
            "first: choose another (a few unrelated words make a good one)."
        )
    local = email.split("@", 1)[0].casefold()
    if len(local) >= 4 and local in password.casefold():
        raise PasswordTooWeak("Use a password that does not contain your email address.")
