"""Small tables for the pure pieces the golden transcripts lean on."""

from __future__ import annotations

import pytest

from bot.languages import catalogs as i18n
from dialogs import who
from dialogs.context import Context, PatientFacts
from dialogs.turn import Digits, Text

TODAY = __import__("datetime").date(2026, 11, 29)


def _ctx(*names: str) -> Context:
    patients = tuple(PatientFacts(id=i + 1, first_name=n) for i, n in enumerate(names))
    return Context(
        TODAY, "Main Street Pharmacy", "(212) 555-0199", patients, i18n.vocabulary_for("en")
    )


@pytest.mark.parametrize(
    "names, said, chosen",
    [
        (("Robert", "Linda"), "it's for Linda", 2),
        (("Robert", "Linda"), "ROBERT.", 1),
        (("Robert", "Linda"), "Lindaaa", None),
        (("Robert", "Linda"), "Robert and Linda", None),
        (("伟", "秀英"), "是秀英的", 2),
        (("伟", "秀英"), "伟", 1),
        (("Robert", "Linda"), Digits("2"), 2),
        (("Robert", "Linda"), Digits("3"), None),
    ],
)
def test_who_a_shared_phone_message_is_about(names, said, chosen) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(*names)
    event = said if isinstance(said, Digits) else Text(said)
    found = who.chosen(event, ctx)
    assert (found.id if found else None) == chosen
