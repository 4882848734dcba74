"""MUST HAVE of households: on the Millers' shared landline, EACH of them answers their own
check-in in one conversation, through the signed SMS webhook and through the voice webhook;
the stored answers and the review items are asserted per patient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.program import households
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    Channel,
    CheckIn,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    Patient,
    ReviewItem,
    ReviewKind,
)
from tests.helpers import NOW, Phone, app_client
from tests.voice.calling import PhoneCall

MILLERS = "+16145550177"  # P1011 Robert and P1012 Linda share a landline
ANCHOR = dt.date(2026, 12, 15)


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url, verify_callers=False)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def millers_in_one_household(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Robert and Linda enrolled on day 15 and linked as a household, as staff would."""
    with transaction(sessions) as s:
        both = s.scalars(select(Patient).where(Patient.phone == MILLERS)).all()
        for patient in both:
            s.add(
                Enrollment(
                    patient_id=patient.id,
                    status=EnrollmentStatus.ACTIVE,
                    anchor_day=15,
                    next_anchor_date=ANCHOR,
                    cycle="monthly",
                    updated_at=NOW,
                )
            )
        households.link(s, both, "staff:test@example.org", NOW)
        return {p.external_id: p.id for p in both}


def open_both(client: TestClient) -> str:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    robert = runtime.open_check_in(1, "P1011", ANCHOR)
    assert robert is not None and robert.body.startswith("Hi Robert, it's Main Street")
    assert "Miller" not in robert.body  # a shared number: first names only
    # Linda's waits for Robert's, then follows in the same conversation.
    assert runtime.open_check_in(1, "P1012", ANCHOR) is None
    return str(robert.body)


def assert_per_patient(sessions: sessionmaker[Session], ids: dict[str, int]) -> None:
    """Robert was in hospital; Linda missed doses: two check-ins, two flagged items."""
    robert, linda = ids["P1011"], ids["P1012"]
    with transaction(sessions) as s:
        check_ins = {c.patient_id: c for c in s.scalars(select(CheckIn))}
        assert set(check_ins) == {robert, linda}
        assert check_ins[robert].answers["hospital"] == "yes"
        assert check_ins[robert].answers["missed_doses"] == "no"
        assert check_ins[linda].answers["hospital"] == "no"
        assert check_ins[linda].answers["missed_doses"] == "yes"
        assert {c.status.value for c in check_ins.values()} == {"flagged"}
        items = s.scalars(
            select(ReviewItem).where(ReviewItem.kind == ReviewKind.FLAGGED_CHECK_IN)
        ).all()
        assert sorted((i.patient_id, i.check_in_id) for i in items) == sorted(
            [(robert, check_ins[robert].id), (linda, check_ins[linda].id)]
        )


def test_each_miller_answers_a_check_in_by_text(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    ids = millers_in_one_household(sessions)
    open_both(client)
    phone = Phone(client, MILLERS)
    for answer in ("yes", "no", "no", "no"):  # Robert: a hospital stay
        phone.text(answer)
    (turn,) = phone.text("yes")
    assert "pharmacist will review" in turn
    assert "Hi Linda, it's Main Street Pharmacy" in turn  # her turn, same conversation
    for answer in ("no", "no", "yes, one", "no"):  # Linda: a missed dose
        phone.text(answer)
    (done,) = phone.text("yes")
    assert "pharmacist will review" in done
    assert_per_patient(sessions, ids)
    with transaction(sessions) as s:
        inbound = s.scalars(
            select(Message).where(Message.direction == Direction.INBOUND).order_by(Message.id)
        ).all()
        assert [m.patient_id for m in inbound] == [ids["P1011"]] * 5 + [ids["P1012"]] * 5
        sent = s.scalars(select(Message.body).where(Message.direction == Direction.OUTBOUND))
        assert not any("Miller" in body for body in sent)


def test_each_miller_answers_a_check_in_on_one_call(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    ids = millers_in_one_household(sessions)
    open_both(client)
    call = PhoneCall(client, MILLERS)
    heard = call.dial_in()
    assert "Robert" in heard.text
    for key in ("1", "2", "2", "2"):  # Robert: a hospital stay
        heard = call.press(key)
    heard = call.press("1")
    assert "Linda" in heard.text  # her check-in follows on the same call
    for key in ("2", "2", "1", "2"):  # Linda: a missed dose
        heard = call.press(key)
    heard = call.press("1")
    assert "pharmacist will review" in heard.text
    assert_per_patient(sessions, ids)
    with transaction(sessions) as s:
        keys = s.execute(
            select(Message.patient_id, Message.body)
            .where(Message.direction == Direction.INBOUND, Message.channel == Channel.VOICE)
            .order_by(Message.id)
        ).all()
        # Each key press is filed under the person it answered (the dial-in itself is first).
        answered = [pid for pid, _ in keys][-10:]
        assert answered == [ids["P1011"]] * 5 + [ids["P1012"]] * 5
