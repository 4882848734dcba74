"""The Miller landline through the signed SMS webhook, on SQLite and PostgreSQL: both
enroll in one conversation, switching person by text, and each answers a check-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_sessionmaker, transaction
from store.models import CheckIn, Direction, Message, Patient
from tests.helpers import Phone, app_client

MILLERS = "+16145550177"  # P1011 Robert and P1012 Linda share a landline
ANCHOR = dt.date(2026, 12, 15)


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    with transaction(sessions) as s:
        return {
            p.external_id: p.id for p in s.scalars(select(Patient).where(Patient.phone == MILLERS))
        }


def enroll_both(phone: Phone) -> None:
    assert "Robert or Linda" in phone.text("hello")[0]
    assert phone.text("Robert")[0].startswith("Hi Robert,")
    phone.text("yes")
    assert "day 15" in phone.text("15")[0]
    (offer,) = phone.text("this is about Linda now")
    assert offer.startswith("Hi Linda,")
    (together,) = phone.text("yes")
    assert together.startswith("Thank you! Robert and Linda use this phone.")
    assert "we suggest day 15" in phone.text("yes")[0]  # Robert's day, to pick up together
    assert "day 15" in phone.text("15")[0]


def test_each_miller_answers_a_check_in_in_one_conversation(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, MILLERS)
    enroll_both(phone)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    robert_opener = runtime.open_check_in(1, "P1011", ANCHOR)
    assert robert_opener is not None and robert_opener.body.startswith("Hi Robert, it's")
    # Linda's check-in waits for Robert's instead of interrupting it.
    assert runtime.open_check_in(1, "P1012", ANCHOR) is None
    for answer in ("no", "no", "no", "no"):
        phone.text(answer)
    (answer,) = phone.text("yes")
    finished, linda_opener, first_question = answer.split("\n")
    assert "ready for pickup" in finished
    assert linda_opener.startswith("Hi Linda, it's Main Street Pharmacy")
    assert "hospital" in first_question
    for answer in ("no", "no", "yes, one", "no"):
        phone.text(answer)
    (linda_done,) = phone.text("yes")
    assert "pharmacist will review" in linda_done  # she missed a dose: flagged for review
    patients = ids(sessions)
    with transaction(sessions) as s:
        check_ins = {c.patient_id: c for c in s.scalars(select(CheckIn))}
        assert check_ins[patients["P1011"]].status.value == "ready"
        assert check_ins[patients["P1012"]].status.value == "flagged"
        assert check_ins[patients["P1012"]].answers["missed_doses"] == "yes"
        # Each answer is filed under the person it was about.
        inbound = s.scalars(
            select(Message).where(Message.direction == Direction.INBOUND).order_by(Message.id)
        ).all()
        assert [m.patient_id for m in inbound[-10:]] == [patients["P1011"]] * 5 + [
            patients["P1012"]
        ] * 5
        texts = s.scalars(select(Message.body).where(Message.direction == Direction.OUTBOUND))
        assert not any("Miller" in body for body in texts)  # first names only


def test_switching_back_resumes_the_open_check_in(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, MILLERS)
    enroll_both(phone)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.open_check_in(1, "P1011", ANCHOR) is not None
    phone.text("this is about Robert now")
    phone.text("no")  # Robert: no hospital stay
    (linda,) = phone.text("es sobre Linda")
    assert linda.startswith("Thank you! A pharmacist is checking")  # her status: no check-in
    (answer,) = phone.text("this is about Robert")
    reminder, question = answer.split("\n")
    assert reminder.startswith("Hi Robert, Main Street Pharmacy still needs a few answers")
    assert "new health conditions" in question
    with transaction(sessions) as s:
        robert = s.scalars(select(CheckIn)).one()
        assert robert.answers == {"hospital": "no"}


def test_namesakes_on_one_phone_are_told_apart_by_year_of_birth(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        linda = s.scalars(select(Patient).where(Patient.external_id == "P1012")).one()
        linda.first_name = "Robert"  # a father and son would look the same
    phone = Phone(client, MILLERS)
    (question,) = phone.text("hi")
    assert (
        "Robert (1944), or Robert (1947)" in question
        or "Robert (1944) or Robert (1947)" in question
    )
    (year_question,) = phone.text("Robert")
    assert year_question.endswith("Please reply with the year of birth: 1944 or 1947.")
    (offer,) = phone.text("1947")
    assert offer.startswith("Hi Robert,")
    linda_id = ids(sessions)["P1012"]
    with transaction(sessions) as s:
        last = s.scalars(
            select(Message)
            .where(Message.direction == Direction.INBOUND)
            .order_by(Message.id.desc())
        ).first()
        assert last is not None and last.patient_id == linda_id


def test_an_invitation_to_a_shared_number_names_the_first_name_only(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    invitation = runtime.invite(1, "P1012", key="invite:P1012:test")
    assert invitation is not None
    assert invitation.body.startswith("Hi Linda, Main Street Pharmacy here.")
    assert "Miller" not in invitation.body
    # Her answer on the shared phone is about her, without asking who.
    (question,) = Phone(client, MILLERS).text("yes")
    assert "pickup day" in question
    linda_id = ids(sessions)["P1012"]
    with transaction(sessions) as s:
        inbound = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one()
        assert inbound.patient_id == linda_id
