"""Caregivers through the signed SMS webhook, on SQLite and PostgreSQL: the patient adds a
caregiver by text, the caregiver gets the check-in and answers it for the patient, and the
caregiver's REMOVE and STOP end the permission without opting the patient out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store import caregivers as store
from store.db import make_engine, make_sessionmaker, transaction
from store.models import CheckIn, ConsentEvent, ConsentKind, Conversation, Message, Patient
from tests.helpers import Phone, app_client

MARGARET = "+12125550123"  # P1001, English, mobile
JOSE = "+13055550147"  # P1002, Spanish, mobile
ANN = "+16175550199"  # Margaret's daughter: no patient of her own
ANCHOR = dt.date(2026, 12, 15)
DRUG_WORDS = ("lisinopril", "atorvastatin", "metformin", "albuterol", "mg", "tablet")


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def patient(sessions: sessionmaker[Session], external_id: str) -> Patient:
    with transaction(sessions) as s:
        found = s.scalar(select(Patient).where(Patient.external_id == external_id))
        assert found is not None
        s.expunge(found)
        return found


def enroll(phone: Phone) -> None:
    phone.text("hello")
    phone.text("yes")
    assert "15" in phone.text("15")[0]


def add_ann_by_text(margaret: Phone) -> None:
    (ask,) = margaret.text("CAREGIVER")
    assert "Send their mobile number" in ask
    (confirm,) = margaret.text("it's 617-555-0199")
    assert "(617) 555-0199 will get your pharmacy texts" in confirm
    assert "Reply YES or NO" in confirm
    (done,) = margaret.text("yes")
    assert done.startswith("Done: (617) 555-0199 will get your pharmacy texts too")


def to_phone(sessions: sessionmaker[Session], number: str) -> list[Message]:
    with transaction(sessions) as s:
        rows = s.scalars(
            select(Message).where(Message.phone == number, Message.direction == "outbound")
        ).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def test_the_patient_adds_a_caregiver_by_text_and_the_caregiver_is_told_who_and_how_to_stop(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    add_ann_by_text(margaret)
    p = patient(sessions, "P1001")
    with transaction(sessions) as s:
        (granted,) = s.scalars(
            select(ConsentEvent).where(ConsentEvent.kind == ConsentKind.CAREGIVER_GRANTED)
        ).all()
        assert (granted.patient_id, granted.wording, granted.channel) == (p.id, "yes", "sms")
        assert [c.phone for c in store.caregivers_of(s, p.id)] == [ANN]
        assert store.history(s, p.id)[0][2] == "patient"
    (welcome,) = to_phone(sessions, ANN)
    assert welcome.status == "queued" and welcome.patient_id == p.id
    assert welcome.body.startswith("Hi, Main Street Pharmacy here. Margaret added this number")
    assert "Reply REMOVE" in welcome.body and "STOP" in welcome.body
    assert not any(word in welcome.body.lower() for word in DRUG_WORDS)


def test_no_caregiver_is_added_when_the_patient_says_no_or_sends_no_number(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    margaret.text("caregiver")
    (again,) = margaret.text("my daughter")
    assert again.startswith("Sorry, I want to be sure I got that right.")
    margaret.text("6175550199")
    assert margaret.text("no") == ["OK, no one was added."]
    with transaction(sessions) as s:
        assert store.caregivers_of(s, patient(sessions, "P1001").id) == []
    assert to_phone(sessions, ANN) == []


def test_the_caregiver_gets_the_check_in_and_answers_it_for_the_patient(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    add_ann_by_text(margaret)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    opened = runtime.open_check_in(1, "P1001", ANCHOR)
    assert opened is not None and len(opened.others) == 1
    openers = {m.phone: m.body for m in to_phone(sessions, ANN) + to_phone(sessions, MARGARET)
               if m.idempotency_key and m.idempotency_key.startswith("check_in:")}  # fmt: skip
    assert set(openers) == {MARGARET, ANN}
    assert openers[ANN] == openers[MARGARET]  # the same question, no drug names in either
    ann = Phone(client, ANN)
    for answer in ("no", "no", "no", "no"):
        ann.text(answer)
    (last,) = ann.text("yes")
    # All clear, for Margaret (her RX700103 waits on a renewal: the caregiver is told so too).
    assert last.startswith("Thank you! Your pickup is on") and "new order" in last
    p = patient(sessions, "P1001")
    with transaction(sessions) as s:
        check_in = s.scalar(select(CheckIn).where(CheckIn.patient_id == p.id))
        assert check_in is not None and check_in.status == "ready"
        link = store.link(s, p.id, ANN)
        assert link is not None
        assert (check_in.answered_by, check_in.caregiver_id) == ("caregiver", link.id)
        # Margaret's phone no longer waits for the answers Ann gave.
        own = s.scalar(select(Conversation).where(Conversation.phone == MARGARET))
        assert own is not None and own.state.get("dialog") is None
        answers = s.scalars(
            select(Message).where(Message.phone == ANN, Message.direction == "inbound")
        ).all()
        assert {m.patient_id for m in answers} == {p.id}


def test_the_caregivers_remove_ends_the_permission_and_the_patient_keeps_theirs(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    add_ann_by_text(margaret)
    (removed,) = Phone(client, ANN).text("REMOVE")
    assert removed.startswith("Done: you will no longer get pharmacy texts for Margaret.")
    p = patient(sessions, "P1001")
    assert not p.opted_out
    with transaction(sessions) as s:
        assert store.caregivers_of(s, p.id) == []
        kinds = [e.kind for _, e, _ in store.history(s, p.id)]
        assert kinds == [ConsentKind.CAREGIVER_GRANTED, ConsentKind.CAREGIVER_WITHDRAWN]
        assert store.history(s, p.id)[-1][2] == "caregiver"
    # Ann's number is a stranger again.
    assert "could not find this number" in Phone(client, ANN).text("hi")[0]


def test_the_patient_removes_their_caregiver_by_text(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    add_ann_by_text(margaret)
    assert margaret.text("remove") == [
        "Done: (617) 555-0199 will no longer get your pharmacy texts."
    ]
    p = patient(sessions, "P1001")
    with transaction(sessions) as s:
        assert store.caregivers_of(s, p.id) == []
        assert store.history(s, p.id)[-1][2] == "patient"


def test_stop_from_the_caregiver_stops_that_phone_and_does_not_opt_the_patient_out(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    add_ann_by_text(margaret)
    ann = Phone(client, ANN)
    (stopped,) = ann.text("STOP")
    assert stopped.startswith("You are unsubscribed from Main Street Pharmacy messages")
    p = patient(sessions, "P1001")
    assert not p.opted_out
    with transaction(sessions) as s:
        assert store.caregivers_of(s, p.id) == []
        assert store.phone_opted_out(s, 1, ANN)
        assert not s.scalars(
            select(ConsentEvent).where(ConsentEvent.kind == ConsentKind.OPT_OUT)
        ).all()
    assert ann.text("hello?") == []  # nothing at all after STOP
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    opened = runtime.open_check_in(1, "P1001", ANCHOR)
    assert opened is not None and opened.others == ()  # the check-in goes to Margaret only
    (started,) = ann.text("START")
    assert started.startswith("You are subscribed again")
    with transaction(sessions) as s:
        assert not store.phone_opted_out(s, 1, ANN)
        assert store.caregivers_of(s, p.id) == []  # the permission must be given again


def test_a_caregiver_of_two_patients_is_asked_which_one_by_first_name(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret, jose = Phone(client, MARGARET), Phone(client, JOSE)
    enroll(margaret)
    add_ann_by_text(margaret)
    jose.text("hola")
    jose.text("sí")
    jose.text("15")
    jose.text("CUIDADOR")
    jose.text("617 555 0199")
    (hecho,) = jose.text("sí")
    assert "(617) 555-0199" in hecho
    ann = Phone(client, ANN)
    (which,) = ann.text("hi")
    assert "Margaret" in which and "José" in which
    (about,) = ann.text("José")
    assert about  # the conversation is now about José, in his language
    jose_id = patient(sessions, "P1002").id
    with transaction(sessions) as s:
        state = s.scalar(select(Conversation.state).where(Conversation.phone == ANN))
        assert state is not None and state["subject"] == jose_id


def test_a_patient_who_is_also_a_caregiver_is_asked_who_the_message_is_about(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    margaret = Phone(client, MARGARET)
    enroll(margaret)
    margaret.text("caregiver")
    margaret.text(JOSE)
    margaret.text("yes")
    (which,) = Phone(client, JOSE).text("hola")
    assert "José" in which and "Margaret" in which
