"""The caregiver dialog and store in units: numbers as people write them, which phone a
keyword acts on, STOP on a phone that is both a patient's and a caregiver's, and the
append-only permission records on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.languages import catalogs as i18n
from dialogs import engine
from dialogs.caregiver import read_phone
from dialogs.context import Context, PatientFacts
from dialogs.state import State
from dialogs.turn import RecordConsent, SetCaregiver, SetCaregiverPhone, Text
from store import caregivers as store
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AppendOnlyError, Channel, Patient
from tests.helpers import NOW, seeded

MARGARET = PatientFacts(id=1, first_name="Margaret", enrollment="active")
DOROTHY = PatientFacts(id=5, first_name="Dorothy", enrollment="active")


def ctx(*patients: PatientFacts, cared_for: tuple[int, ...] = ()) -> Context:
    return Context(
        today=dt.date(2026, 11, 29),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=patients,
        vocab=i18n.vocabulary_for("en"),
        cared_for=cared_for,
    )


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("617-555-0199", "+16175550199"),
        ("(617) 555 0199", "+16175550199"),
        ("it's +1 617 555 0199 thanks", "+16175550199"),
        ("6175550199", "+16175550199"),
        ("my daughter", None),
        ("555", None),
        ("", None),
    ],
)
def test_a_number_as_people_write_it(written: str, e164: str | None) -> None:
    assert read_phone(written) == e164


def test_remove_from_a_patients_phone_with_no_caregiver_is_not_a_command() -> None:
    turn = engine.step(State(subject=1), Text("remove"), ctx(MARGARET))
    assert not any(isinstance(e, SetCaregiver) for e in turn.effects)


def test_a_caregiver_cannot_add_a_caregiver_for_the_patient_they_look_after() -> None:
    turn = engine.step(State(subject=1), Text("CAREGIVER"), ctx(MARGARET, cared_for=(1,)))
    assert turn.state.dialog != "caregiver"


def test_stop_on_a_phone_that_is_a_patients_and_a_caregivers() -> None:
    # Dorothy's own phone, which also looks after Margaret.
    turn = engine.step(State(), Text("STOP"), ctx(DOROTHY, MARGARET, cared_for=(1,)))
    assert [e for e in turn.effects if isinstance(e, RecordConsent)] == [
        RecordConsent(5, "opt_out", "STOP", None)
    ]
    assert [e for e in turn.effects if isinstance(e, SetCaregiver)] == [
        SetCaregiver(1, "", False, "STOP", "caregiver")
    ]
    # Her own opt-out covers the phone: no separate phone record.
    assert not any(isinstance(e, SetCaregiverPhone) for e in turn.effects)


def test_permissions_are_append_only(db_url: str) -> None:
    seeded(db_url)
    sessions = make_sessionmaker(make_engine(db_url))
    with transaction(sessions) as session:
        margaret = session.query(Patient).filter_by(external_id="P1001").one()
        row = store.caregiver_row(session, margaret, "+16175550199", "Ann", NOW)
        store.record(session, row, True, "yes", "patient", Channel.SMS, "en", NOW)
        store.record_phone(session, margaret.pharmacy_id, "+16175550199", True, "STOP", NOW)
    with pytest.raises(AppendOnlyError), transaction(sessions) as session:
        link = session.query(store.CaregiverConsent).one()
        link.recorded_by = "someone else"
        session.flush()
    with pytest.raises(AppendOnlyError), transaction(sessions) as session:
        session.delete(session.query(store.CaregiverPhoneEvent).one())
        session.flush()
    if db_url.startswith("postgresql"):
        for table in ("caregiver_consent", "caregiver_phone_event"):
            with pytest.raises(DBAPIError, match="append-only"), transaction(sessions) as session:
                session.execute(text(f"DELETE FROM {table}"))
