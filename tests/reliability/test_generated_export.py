"""The benchmarks' synthetic export is a clean import: every row accepted, one phone each."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from bot.imports.pharmacy_export import import_export
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Patient, Pharmacy, Prescription
from tests.bench import generate
from tests.helpers import NOW


def test_a_generated_export_imports_without_rejections(db_url: str) -> None:
    export = io.StringIO()
    generate.write(export, 200, rx_per_patient=3)
    export.seek(0)
    with transaction(make_sessionmaker(make_engine(db_url))) as session:
        pharmacy = Pharmacy(
            name="Bench Pharmacy",
            phone="+12125550199",
            twilio_number="+12125550100",
            timezone="America/New_York",
            state="NY",
            created_at=NOW,
        )
        session.add(pharmacy)
        session.flush()
        report = import_export(session, pharmacy, export, NOW)
        assert "No rows rejected." in report.summary()
        assert session.scalar(select(func.count()).select_from(Prescription)) == 600
        phones = session.scalars(select(Patient.phone)).all()
    assert len(phones) == len(set(phones)) == 200


def test_generation_is_repeatable_and_phones_stay_unique_at_scale() -> None:
    first, again = io.StringIO(), io.StringIO()
    generate.write(first, 50, seed=7)
    generate.write(again, 50, seed=7)
    assert first.getvalue() == again.getvalue()
    phones = {generate.phone_for(n) for n in range(0, 1_000_000, 7)}
    assert len(phones) == len(range(0, 1_000_000, 7))
