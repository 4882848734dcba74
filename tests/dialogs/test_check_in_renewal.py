"""The check-in's all-clear thanks when a prescription of the pickup waits on a renewal from the
prescriber (PatientFacts.renewal_pending, worked out by bot/conversation/context.py): no promise
that everything is ready, no medicine named; a renewal of another pickup changes nothing. The
inbound path's read of it (store/phone_read.py) is tested here too; the whole loop through the
signed webhook in tests/web/test_sms_webhook.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.languages import catalogs as i18n
from dialogs import engine, prompts
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import Say, Start, Text
from store.phone_read import renewal_anchors

ANCHOR = dt.date(2026, 12, 15)
ENROLLED = PatientFacts(
    id=1,
    first_name="Margaret",
    enrollment="active",
    anchor_day=15,
    next_anchor_date=ANCHOR,
)


def last_reply(patient: PatientFacts, language: str = "en") -> Say:
    patient = replace(patient, language=language)
    ctx = Context(
        today=dt.date(2026, 11, 29),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(patient,),
        vocab=i18n.vocabulary_for(language),
    )
    state = State()
    turn = engine.step(state, Start("check_in", {"patient_id": 1, "anchor_date": ANCHOR}), ctx)
    answers = ("no", "no", "no", "no", "yes") if language == "en" else ("no",) * 4 + ("sí",)
    if patient.delivery:
        answers += answers[-1:]  # yes, to the address on file
    for answer in answers:
        turn = engine.step(turn.state, Text(answer), ctx)
    assert turn.state.dialog is None
    (reply,) = turn.replies
    assert isinstance(reply, Say)
    return reply


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({}, prompts.CHECK_IN_READY),
        ({"renewal_pending": (ANCHOR,)}, prompts.CHECK_IN_READY_RENEWAL),
        ({"delivery": True}, prompts.CHECK_IN_READY_DELIVERY),
        ({"delivery": True, "renewal_pending": (ANCHOR,)}, prompts.CHECK_IN_READY_DELIVERY_RENEWAL),
        # A renewal still pending for another pickup is not this one's.
        ({"renewal_pending": (dt.date(2026, 11, 15),)}, prompts.CHECK_IN_READY),
        # Detailed messages allowed: still no medicine named (the item is staff-facing).
        ({"renewal_pending": (ANCHOR,), "detailed_messages": True}, prompts.CHECK_IN_READY_RENEWAL),
    ],
)
def test_the_all_clear_thanks_follow_a_pending_renewal(
    facts: dict[str, object], expected: str
) -> None:
    reply = last_reply(replace(ENROLLED, **facts))  # type: ignore[arg-type]
    assert reply.msgid == expected
    assert reply.params == {"date": ANCHOR}


LANGUAGES = ["en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "tl", "ru", "ar", "ht"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_renewal_thanks_are_translated_with_the_date(language: str) -> None:
    reply = last_reply(replace(ENROLLED, renewal_pending=(ANCHOR,)), language)
    text = i18n.render(reply, language)
    english = i18n.render(reply, "en")
    assert "2026" in text
    assert (text == english) == (language == "en")


def test_the_read_keeps_each_anchor_once_and_skips_what_is_not_a_date() -> None:
    assert renewal_anchors("2026-12-15,2026-11-15,2026-12-15,,oops") == (
        dt.date(2026, 11, 15),
        dt.date(2026, 12, 15),
    )
