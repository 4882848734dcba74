"""Preferences and the cost disclosure through the signed SMS webhook, on SQLite and
PostgreSQL: what the patient reads, and what is stored (preferences with their history,
detailed messages as append-only consents, a review item when the address is wrong)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.program.preferences import cost_estimates
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    ConsentEvent,
    ConsentKind,
    Enrollment,
    EnrollmentStatus,
    Patient,
    ReviewItem,
    ReviewKind,
)
from store.preferences import PatientPreference, PreferenceChange
from tests.helpers import NOW, Phone, app_client

MARGARET = "+12125550123"  # P1001, English, a mobile
JOSE = "+13055550147"  # P1002, Spanish
DOROTHY = "+16175550122"  # P1005, a landline


@pytest.fixture
def client(db_url: str) -> TestClient:
    return app_client(db_url)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def patient(sessions: sessionmaker[Session], phone: str) -> Patient:
    with transaction(sessions) as s:
        found = s.scalars(select(Patient).where(Patient.phone == phone)).first()
        assert found is not None
        s.expunge(found)
        return found


def expected_estimate(sessions: sessionmaker[Session], phone: str, day: int) -> tuple[str, str]:
    with transaction(sessions) as s:
        p = s.scalars(select(Patient).where(Patient.phone == phone)).one()
        estimate = cost_estimates(p, NOW.date())[day]
    return estimate.prorated, estimate.usual


def test_enrollment_tells_the_cost_then_asks_each_preference_once(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, MARGARET)
    phone.text("hi")
    phone.text("yes")
    (chosen,) = phone.text("15")
    prorated, usual = expected_estimate(sessions, MARGARET, 15)
    assert prorated != usual and prorated.startswith("$")
    assert (
        f"To get in sync, some refills before your first synced pickup on Tuesday, "
        f"December 15, 2026 may be shorter, with a lower, prorated copay: about {prorated} "
        f"in all instead of {usual}." in chosen
    )
    for drug in ("lisinopril", "atorvastatin", "metformin"):
        assert drug not in chosen.lower()
    assert chosen.endswith(
        "Would you like us to deliver your medicines to your home instead of picking them up? "
        "Reply YES or NO."
    )
    assert "phone calls instead of texts" in phone.text("yes")[0]
    assert "What time of day" in phone.text("yes")[0]
    assert "not encrypted" in phone.text("morning")[0]
    (done,) = phone.text("YES")
    assert done.startswith("Thank you! You can change these choices any time: text SETTINGS")

    margaret = patient(sessions, MARGARET)
    with transaction(sessions) as s:
        pref = s.get(PatientPreference, margaret.id)
        assert pref is not None
        assert (pref.delivery, pref.channel, pref.time_of_day) == (True, "call", "morning")
        assert pref.asked_at == NOW
        changes = s.scalars(select(PreferenceChange).order_by(PreferenceChange.id)).all()
        assert [(c.name, c.value, c.channel, c.changed_by) for c in changes] == [
            ("delivery", "yes", "sms", None),
            ("channel", "call", "sms", None),
            ("time", "morning", "sms", None),
        ]
        consent = s.scalars(
            select(ConsentEvent).where(ConsentEvent.kind == ConsentKind.DETAILED_MESSAGES_ON)
        ).one()
        assert (consent.wording, consent.channel.value) == ("YES", "sms")
        assert consent.message_id is not None

    # Asked once: a later message is not met with the questions again.
    assert "questions" not in phone.text("thanks")[0]


def test_plain_words_and_the_keyword_in_spanish(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, JOSE)
    for body in ("hola", "sí", "15", "saltar", "saltar", "saltar", "no"):
        phone.text(body)
    (delivered,) = phone.text("entrega a domicilio")
    assert delivered == (
        "De acuerdo, le llevaremos sus medicamentos a la dirección que tenemos registrada."
    )
    (menu,) = phone.text("ajustes")
    assert menu.startswith("Actualicemos sus preferencias.")
    for body in ("no", "no", "3"):
        phone.text(body)
    (closing,) = phone.text("sí")
    assert "AJUSTES" in closing
    jose = patient(sessions, JOSE)
    with transaction(sessions) as s:
        pref = s.get(PatientPreference, jose.id)
        assert pref is not None
        assert (pref.delivery, pref.channel, pref.time_of_day) == (False, "text", "evening")
        kinds = s.scalars(
            select(ConsentEvent.kind)
            .where(ConsentEvent.patient_id == jose.id)
            .order_by(ConsentEvent.id)
        ).all()
        # Append-only: "no" at enrollment, "sí" later; the latest wins.
        assert kinds[-2:] == [ConsentKind.DETAILED_MESSAGES_OFF, ConsentKind.DETAILED_MESSAGES_ON]


def test_delivery_patients_confirm_the_address_without_it_being_written(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, MARGARET)
    for body in ("hi", "yes", "15", "yes", "no", "skip", "no"):
        phone.text(body)
    margaret = patient(sessions, MARGARET)
    with transaction(sessions) as s:
        s.get(Patient, margaret.id).address = "12 Elm Street, Apt 4B, New York, NY"  # type: ignore[union-attr]
        enrollment = s.scalars(select(Enrollment)).one()
        enrollment.status = EnrollmentStatus.ACTIVE
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    runtime.open_check_in(1, "P1001", dt.date(2026, 12, 15))
    for body in ("no", "no", "no", "no"):
        phone.text(body)
    (question,) = phone.text("yes")
    assert question == "Should we deliver to the address we have on file? Reply YES or NO."
    (answer,) = phone.text("no")
    assert "Elm" not in answer and "call you to confirm the address" in answer
    with transaction(sessions) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.CALL_BACK)).one()
        assert "address on file is not right" in item.summary
        assert item.details["delivery_address"] == "no"


def test_a_landline_is_never_asked_texts_or_calls(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    phone = Phone(client, DOROTHY)
    phone.text("hi")
    phone.text("yes")
    phone.text("15")
    (after_delivery,) = phone.text("no")
    assert after_delivery.startswith("What time of day")
    phone.text("1")
    phone.text("skip")
    assert phone.text("text me instead")[0].startswith(
        "This number cannot receive texts, so we will keep calling you."
    )


def test_texts_are_fine_keeps_texts_and_anytime_stores_no_time(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    """ "Texts are fine" to "phone calls instead of texts?" holds a yes word, and keeps texts."""
    phone = Phone(client, MARGARET)
    for body in ("hi", "yes", "15"):
        phone.text(body)
    assert "phone calls instead of texts" in phone.text("my daughter picks them up")[0]
    assert "What time of day" in phone.text("texts are fine")[0]
    assert "not encrypted" in phone.text("anytime")[0]
    (again,) = phone.text("only the first letter?")
    assert "May our messages name your medicines?" in again
    phone.text("no don't name them")
    margaret = patient(sessions, MARGARET)
    with transaction(sessions) as s:
        pref = s.get(PatientPreference, margaret.id)
        assert pref is not None
        assert (pref.delivery, pref.channel, pref.time_of_day) == (False, "text", None)
        kinds = s.scalars(
            select(ConsentEvent.kind).where(ConsentEvent.patient_id == margaret.id)
        ).all()
        assert ConsentKind.DETAILED_MESSAGES_ON not in kinds
        assert ConsentKind.DETAILED_MESSAGES_OFF in kinds
