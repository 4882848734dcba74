"""The importer writes set-based: a large export costs a few hundred statements, not one per
record, and records the session held before the import show the imported values."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from bot.imports.export_writing import BULK_LOAD_ABOVE
from bot.imports.pharmacy_export import import_export
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Patient, Pharmacy, Prescription
from tests.bench import generate

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)


def _export(patients: int, change: dict[int, dict[str, str]] | None = None) -> str:
    """A generated export (2 prescriptions a patient); `change` edits rows by index."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(generate.HEADER)
    for index, row in enumerate(generate.rows(patients, rx_per_patient=2)):
        for column, value in (change or {}).get(index, {}).items():
            row[generate.HEADER.index(column)] = value
        writer.writerow(row)
    return out.getvalue()


def _pharmacy(session: Session) -> Pharmacy:
    found = session.scalar(select(Pharmacy))
    if found is None:
        found = Pharmacy(
            name="Main Street Pharmacy",
            phone="+12125550199",
            twilio_number="+12125550100",
            timezone="America/New_York",
            state="NY",
            created_at=NOW,
        )
        session.add(found)
        session.flush()
    return found


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_large_export_and_its_reimport_take_a_few_statements(db_url: str) -> None:
    patients = BULK_LOAD_ABOVE + 100  # the whole-table path
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with _counting(engine) as statements, transaction(sessions) as session:
        report = import_export(session, _pharmacy(session), io.StringIO(_export(patients)), NOW)
    assert (report.patients_created, report.prescriptions_created) == (patients, 2 * patients)
    assert len(statements) < 30, len(statements)

    margo = {"first_name": "Margo"}  # on both of the first patient's rows: the later row wins
    changed = _export(patients, {0: margo, 1: margo, 5: {"copay": "99.00"}})
    with _counting(engine) as statements, transaction(sessions) as session:
        report = import_export(session, _pharmacy(session), io.StringIO(changed), LATER)
    assert report.patients_created == report.prescriptions_created == 0
    assert (report.patients_updated, report.prescriptions_updated) == (1, 1)
    assert len(statements) < 30, len(statements)

    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Prescription)) == 2 * patients
        margo = session.scalars(select(Patient).where(Patient.first_name == "Margo")).one()
        assert margo.updated_at == LATER
        copays = session.scalars(select(Prescription.copay).where(Prescription.copay == 99)).all()
        assert len(copays) == 1
    engine.dispose()


def test_records_loaded_before_the_import_show_its_values(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        import_export(session, _pharmacy(session), io.StringIO(_export(3)), NOW)
    with transaction(sessions) as session:
        patient = session.scalars(select(Patient).order_by(Patient.id)).first()
        assert patient is not None
        assert len(patient.prescriptions) == 2
        first_name = patient.first_name
        extra = _export(
            3, {0: {"first_name": "Margo"}, 1: {"first_name": "Margo", "rx_number": "RX-NEW-1"}}
        )
        report = import_export(session, _pharmacy(session), io.StringIO(extra), LATER)
        assert report.prescriptions_created == 1 and report.patients_updated == 1
        assert first_name != "Margo"
        assert patient.first_name == "Margo"
        assert patient.updated_at == LATER
        assert "RX-NEW-1" in [rx.rx_number for rx in patient.prescriptions]
    engine.dispose()
