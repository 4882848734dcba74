"""Small pharmacies built through the CLI (pharmacy add, import export, import fills), for the
adherence and outreach-priority tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.imports.export_rows import COLUMNS
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    Channel,
    ConsentEvent,
    ConsentKind,
    Enrollment,
    EnrollmentStatus,
    Patient,
    Pharmacy,
)

D = dt.date
NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
FILL_HEADER = ["patient_id", "rx_number", "fill_date", "days_supply", "quantity"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def medsync(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI pointed at the test database, with the pharmacy added."""
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("MEDSYNC_SENDER", "null")
    monkeypatch.delenv("MEDSYNC_REDIS_URL", raising=False)
    medsync(
        "pharmacy", "add", "Main Street Pharmacy", "--phone", "2125550199",
        "--twilio-number", "2125550100", "--timezone", "America/New_York", "--state", "NY",
    )  # fmt: skip
    yield db_url


def rx_row(
    patient_id: str,
    n: int,
    rx_number: str,
    drug_name: str,
    last_fill: D,
    days_supply: int = 30,
    maintenance: bool = True,
) -> dict[str, str]:
    return {
        "patient_id": patient_id,
        "first_name": f"Pat{n}",
        "last_name": "Test",
        "birth_date": "1950-01-02",
        "phone": f"(212) 555-{1000 + n:04d}",
        "phone_type": "mobile",
        "language": "en",
        "rx_number": rx_number,
        "drug_name": drug_name,
        "daily_quantity": "1",
        "days_supply": str(days_supply),
        "quantity": str(days_supply),
        "last_fill_date": last_fill.isoformat(),
        "refills_remaining": "5",
        "written_date": "2026-01-02",
        "dea_schedule": "",
        "prn": "N",
        "maintenance": "Y" if maintenance else "N",
        "package": "",
        "copay": "5.00",
    }


def write_export(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_fills(path: Path, fills: Sequence[tuple[str, str, D, int]]) -> Path:
    """(patient_id, rx_number, fill date, days' supply) rows; quantity = days' supply."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FILL_HEADER)
    for patient_id, rx_number, date, days in fills:
        writer.writerow([patient_id, rx_number, date.isoformat(), days, days])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def every(first: D, days: int, count: int, step: int | None = None) -> list[D]:
    return [first + dt.timedelta(days=(step or days) * n) for n in range(count)]


@contextmanager
def session_for(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def pharmacy(session: Session) -> Pharmacy:
    return session.scalars(select(Pharmacy)).one()


def patient(session: Session, external_id: str) -> Patient:
    return session.scalars(select(Patient).where(Patient.external_id == external_id)).one()


def enroll(
    session: Session,
    external_id: str,
    consented_at: dt.datetime,
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE,
) -> None:
    who = patient(session, external_id)
    session.add(
        ConsentEvent(
            patient_id=who.id,
            kind=ConsentKind.ENROLLMENT_ACCEPTED,
            channel=Channel.SMS,
            wording="YES",
            prompt=None,
            language="en",
            created_at=consented_at,
        )
    )
    session.add(
        Enrollment(
            patient_id=who.id,
            status=status,
            anchor_day=15,
            next_anchor_date=D(2026, 12, 15),
            updated_at=consented_at,
        )
    )
