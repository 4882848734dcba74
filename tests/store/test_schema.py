import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from store.db import transaction
from store.models import (
    AppendOnlyError,
    Channel,
    ConsentEvent,
    ConsentKind,
    Patient,
    Pharmacy,
)

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def _patient(session):
    pharmacy = Pharmacy(
        name="Main Street Pharmacy",
        phone="+12125550199",
        twilio_number="+12125550100",
        timezone="America/New_York",
        created_at=NOW,
    )
    session.add(pharmacy)
    session.flush()
    patient = Patient(
        pharmacy_id=pharmacy.id,
        external_id="P1",
        first_name="Ann",
        last_name="Lee",
        phone="+12125550123",
        language="en",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(patient)
    session.flush()
    return patient


def test_datetimes_come_back_aware_utc(session_factory):
    with transaction(session_factory) as s:
        pid = _patient(s).id
    with transaction(session_factory) as s:
        patient = s.get(Patient, pid)
        assert patient.created_at == NOW
        assert patient.created_at.tzinfo is not None


def test_consent_events_are_append_only(session_factory):
    with transaction(session_factory) as s:
        patient = _patient(s)
        event = ConsentEvent(
            patient_id=patient.id,
            kind=ConsentKind.OPT_OUT,
            channel=Channel.SMS,
            wording="STOP",
            language="en",
            created_at=NOW,
        )
        s.add(event)
    with pytest.raises(AppendOnlyError), transaction(session_factory) as s:
        row = s.scalars(select(ConsentEvent)).one()
        row.wording = "changed"
    with pytest.raises(AppendOnlyError), transaction(session_factory) as s:
        s.delete(s.scalars(select(ConsentEvent)).one())
    with pytest.raises(AppendOnlyError), transaction(session_factory) as s:
        s.execute(update(ConsentEvent).values(wording="x"))
    with pytest.raises(AppendOnlyError), transaction(session_factory) as s:
        s.execute(delete(ConsentEvent))
    with transaction(session_factory) as s:
        assert s.scalars(select(ConsentEvent.wording)).all() == ["STOP"]


def test_naive_datetimes_are_refused(session_factory):
    with pytest.raises(Exception, match="naive"), transaction(session_factory) as s:
        pharmacy = Pharmacy(
            name="X",
            phone="+12125550199",
            twilio_number="+12125550100",
            timezone="America/New_York",
            created_at=dt.datetime(2026, 1, 1),
        )
        s.add(pharmacy)


@pytest.mark.postgres
def test_postgresql_itself_refuses_to_change_consent_records(postgres_ready):
    from sqlalchemy import text

    from store.db import make_engine, make_sessionmaker

    engine = make_engine(postgres_ready)
    factory = make_sessionmaker(engine)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # see conftest
        conn.execute(text("TRUNCATE pharmacy, patient, consent_event RESTART IDENTITY CASCADE"))
    with transaction(factory) as s:
        patient = _patient(s)
        s.add(
            ConsentEvent(
                patient_id=patient.id,
                kind=ConsentKind.OPT_IN,
                channel=Channel.SMS,
                wording="START",
                language="en",
                created_at=NOW,
            )
        )
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE consent_event SET wording = 'x'"))
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM consent_event"))
    engine.dispose()
