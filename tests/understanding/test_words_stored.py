"""The patient's words are stored with the answers on both databases (migration 0017), merged
turn by turn, and shown beside each value; a keypad press keeps no words."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.channels.sms import InboundText, render_sms
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from bot.imports import demo
from bot.inbox.answers import AnswerLine, answer_lines, quoted
from bot.program import assessments
from bot.program.words import kept, said_in
from dialogs.turn import SaveAssessment
from store.assessment_responses import AssessmentResponse
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    CheckIn,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    Patient,
    Pharmacy,
    ReviewItem,
    ReviewKind,
)
from tests.helpers import NOW

ANCHOR = dt.date(2026, 12, 15)
MARGARET = "+12125550123"
PHARMACY = "+12125550100"
WROTE = "no hospital but my doctor added lisinopril"
_sids = iter(range(1, 100))


def text(runtime: Runtime, body: str) -> None:
    runtime.handle_text(InboundText(f"SM{next(_sids):032d}", MARGARET, PHARMACY, body))


def test_words_are_stored_with_the_answers(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        margaret = session.scalars(select(Patient).where(Patient.phone == MARGARET)).one()
        session.add(
            Enrollment(
                patient_id=margaret.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=ANCHOR.day,
                cycle="monthly",
                next_anchor_date=ANCHOR,
                updated_at=NOW,
            )
        )
        pharmacy_id = margaret.pharmacy_id
    runtime = Runtime(sessions, FrozenClock(NOW), render_sms=render_sms)
    runtime.open_check_in(pharmacy_id, "P1001", ANCHOR)
    text(runtime, "Yes, ER on Saturday — chest pain 😟")
    text(runtime, "no")
    with transaction(sessions) as session:
        check_in = session.scalars(select(CheckIn)).one()
        assert check_in.answers == {"hospital": "yes", "changes": "no"}
        assert check_in.words == {
            "hospital": "Yes, ER on Saturday — chest pain 😟",
            "changes": "no",
        }
    for body in ("no", "my feet hurt", "yes"):
        text(runtime, body)
    with transaction(sessions) as session:
        check_in = session.scalars(select(CheckIn)).one()
        assert check_in.words["anything_else"] == "my feet hurt"
        assert set(check_in.words) == set(check_in.answers)
        item = session.scalars(
            select(ReviewItem).where(ReviewItem.kind == ReviewKind.FLAGGED_CHECK_IN)
        ).one()
        assert item.check_in_id == check_in.id
    engine.dispose()


def test_assessment_words_are_stored_and_merged(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        pharmacy_id = session.scalars(select(Pharmacy.id)).first()
        patient_id = session.scalars(select(Patient.id)).first()
        assert pharmacy_id is not None and patient_id is not None
        first = SaveAssessment(patient_id, "flu_offer@2", "s1", "open", {"want": "yes"})
        assessments.save_response(session, pharmacy_id, first, NOW, said="yes please")
        then = SaveAssessment(
            patient_id,
            "flu_offer@2",
            "s1",
            "flagged",
            {"want": "yes", "when": "later"},
            words={"when": "maybe next week"},
        )
        assessments.save_response(session, pharmacy_id, then, NOW, said="maybe next week!!")
    with transaction(sessions) as session:
        response = session.scalars(select(AssessmentResponse)).one()
        assert response.words == {"want": "yes please", "when": "maybe next week"}
    engine.dispose()


# ------------------------------------------------------------------ units


def test_kept_merges_turn_by_turn() -> None:
    assert kept({}, {}, {"hospital": "no"}, {}, "nope") == {"hospital": "nope"}
    # An answer recorded before keeps its words; the new one gets this message's.
    answers = {"hospital": "no", "changes": "yes"}
    assert kept({"hospital": "nope"}, {}, answers, {"hospital": "no"}, "a new pill") == {
        "hospital": "nope",
        "changes": "a new pill",
    }
    # The dialog's own words win; answers no longer there lose theirs; no message, no words.
    assert kept({"a": "x", "b": "y"}, {"a": "z"}, {"a": 1}, {}, "") == {"a": "z"}
    assert kept(None, {}, {"a": "yes"}, None, "") == {}


@pytest.mark.parametrize(
    ("body", "direction", "words"),
    [
        (f"  {WROTE} ", Direction.INBOUND, WROTE),
        ("[keypad 2]", Direction.INBOUND, ""),
        ("[unclear] mumble", Direction.INBOUND, ""),
        ("Reply YES or NO", Direction.OUTBOUND, ""),
    ],
)  # fmt: skip
def test_said_in_is_what_the_patient_wrote_or_said(
    body: str, direction: Direction, words: str
) -> None:
    assert said_in(Message(body=body, direction=direction)) == words
    assert said_in(None) == ""


def test_each_value_is_shown_beside_the_words() -> None:
    lines = answer_lines(
        {"hospital": "no", "anything_else": "test strips", "still_coming": {"day": 18}},
        ["anything_else", "still_coming"],
        "check_in@1",
        ANCHOR,
        {
            "hospital": "no hospital but my doctor added lisinopril",
            "anything_else": "test strips",
            "still_coming": "can we do the 18th",
        },
    )
    assert [line.shown for line in lines] == [
        "No — wrote: 'no hospital but my doctor added lisinopril'",
        "test strips",  # a message is its own words
        "Asked to move the pickup to day 18 — wrote: 'can we do the 18th'",
    ]
    assert AnswerLine("Q", "Yes", False).shown == "Yes"


def test_what_else_the_patient_wrote_is_shown_in_their_words() -> None:
    [line] = answer_lines({"notes": ["I fell on Sunday", "need test strips"]}, ["notes"], "", None)
    assert (line.question, line.shown, line.flagged) == (
        "Also wrote, for the pharmacist",
        "I fell on Sunday / need test strips",
        True,
    )


@pytest.mark.parametrize(
    ("details", "shown"),
    [
        ({"wrote": "what pill??"}, ["what pill??"]),
        ({"wrote": ["asdf", "qwerty"]}, ["asdf", "qwerty"]),
        ({"wrote": "  "}, []),
        ({}, []),
    ],
)
def test_a_call_back_quotes_what_the_patient_wrote(
    details: dict[str, object], shown: list[str]
) -> None:
    assert quoted(ReviewItem(details=details)) == shown
