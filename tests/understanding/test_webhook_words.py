"""Replies that are read right today, over the signed webhook: each records its value and the
patient's own words, and the pharmacist sees them side by side on the item page, the
patient's page and /api/v1 ("No — wrote: '...'"). The replies that need the reader of issue
15 are in test_webhook_sample.py."""

from __future__ import annotations

import html
import re

import pytest

from store.models import ConsentKind, ReviewKind
from tests.understanding.webhook_harness import Desk, Sample, check, desk_fixture  # noqa: F401

XSS = "<script>alert(1)</script>"

READ_TODAY = [
    Sample("invitation", "en", "Yes please", "yes"),
    Sample("invitation", "en", "Sure, sign me up", "yes"),
    Sample("invitation", "es", "Sí, me interesa", "yes"),
    Sample("invitation", "es", "No gracias", "no"),
    Sample("invitation", "en", "nope", "no"),
    Sample("pickup_day", "en", "the 15th please", 15),
    Sample("pickup_day", "es", "el día 10 por favor", 10),
    Sample("pickup_day", "es", "el 20", 20),
    Sample("hospital", "en", "Yes I was in the hospital last week", "yes"),
    Sample("hospital", "es", "Sí, estuve en urgencias", "yes"),
    Sample("hospital", "es", "No.", "no"),
    Sample("hospital", "en", "YES", "yes"),
    Sample("changes", "en", "Yes, new blood pressure pill", "yes"),
    Sample("changes", "es", "sí, me cambiaron la dosis", "yes"),
    Sample("changes", "es", "nada nuevo", "no"),
    Sample("missed_doses", "en", "yes a few", "yes"),
    Sample("missed_doses", "es", "no he olvidado ninguna", "no"),
    Sample("anything_else", "en", "Please add my vitamin D to the order", "Please add my "
           "vitamin D to the order"),
    Sample("anything_else", "es", "Necesito hablar con la farmacéutica sobre mi insulina",
           "Necesito hablar con la farmacéutica sobre mi insulina"),
    Sample("anything_else", "en", "nope", "no"),
    Sample("still_coming", "en", "can we do the 18th instead", {"day": 18}),
    Sample("still_coming", "es", "mejor el 22", {"day": 22}),
    Sample("still_coming", "es", "sí", "yes"),
]  # fmt: skip


@pytest.mark.parametrize("sample", READ_TODAY, ids=lambda s: s.id)
def test_the_value_and_the_words_reach_the_pharmacist(desk: Desk, sample: Sample) -> None:
    check(desk, sample)


def test_the_words_are_escaped_wherever_they_are_shown(desk: Desk) -> None:
    patient = check(desk, Sample("hospital", "en", f"yes {XSS}", "yes"))
    item = desk.item(patient, ReviewKind.FLAGGED_CHECK_IN)
    assert item is not None
    for path in (f"/inbox/items/{item.id}", f"/patients/{patient.id}"):
        page = desk.page(path)
        assert XSS not in page
        assert "— wrote: 'yes &lt;script&gt;alert(1)&lt;/script&gt;'" in page


def test_after_a_call_back_si_answers_the_open_question(desk: Desk) -> None:
    """Two unclear answers raise a call-back that quotes the patient; the question stays open,
    so a later "sí" is the consent, not a reason to send the invitation again."""
    patient = desk.patient_at(Sample("invitation", "es", "", None))
    phone = desk.phone(patient)
    phone.text("asdf")
    (escalated,) = phone.text("qwerty")
    assert "farmacéutico le llamará" in escalated
    item = desk.item(patient, ReviewKind.CALL_BACK)
    assert item is not None and "qwerty" in " ".join(quoted_on(desk, item.id))
    assert "qwerty" in " ".join(desk.api_item(item.id)["wrote"])

    (reply,) = phone.text("sí")
    assert "¿Quiere unirse?" not in reply  # not the invitation again
    assert "día de recogida" in reply  # the pickup-day question
    consent = desk.consent(patient)
    assert consent is not None
    assert (consent.kind, consent.wording) == (ConsentKind.ENROLLMENT_ACCEPTED, "sí")


def quoted_on(desk: Desk, item_id: int) -> list[str]:
    page = desk.page(f"/inbox/items/{item_id}")
    return [
        html.unescape(q)
        for q in re.findall(r'<blockquote class="body quoted">(.*?)</blockquote>', page, re.S)
    ]
