"""Planning a campaign is set-based: the statements it takes do not grow with the patients."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy import event, func, select

from bot.imports.pharmacy_export import import_export
from bot.outreach.campaigns import create_campaign, read_patient_ids
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Patient, Pharmacy
from store.outreach import CampaignRecipient, RecipientStatus
from tests.bench import generate

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def _plan(db_url: str, patients: int, listed: bool) -> tuple[int, int]:
    """(statements create_campaign took, recipients it wrote) for a fresh pharmacy."""
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    export = io.StringIO()
    generate.write(export, patients, rx_per_patient=2)
    export.seek(0)
    with transaction(sessions) as session:
        pharmacy = Pharmacy(
            name=f"Pharmacy {patients}",
            phone="+12125550199",
            twilio_number=f"+1212555{patients:04d}",
            timezone="America/New_York",
            state="NY",
            created_at=NOW,
        )
        session.add(pharmacy)
        session.flush()
        import_export(session, pharmacy, export, NOW)
        ids = list(
            session.scalars(select(Patient.external_id).where(Patient.pharmacy_id == pharmacy.id))
        )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    with transaction(sessions) as session:
        pharmacy = session.scalars(
            select(Pharmacy).where(Pharmacy.name == f"Pharmacy {patients}")
        ).one()
        chosen = read_patient_ids("\n".join(ids)) if listed else None
        created = create_campaign(session, pharmacy, "Spring", "ENROLL_OFFER", chosen, NOW, "test")
        campaign_id = created.campaign.id
    event.remove(engine, "before_cursor_execute", count)
    with transaction(sessions) as session:
        written = session.scalar(
            select(func.count())
            .select_from(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.status == RecipientStatus.PENDING,
            )
        )
    engine.dispose()
    return len(statements), int(written or 0)


def test_planning_everyone_takes_the_same_statements_for_more_patients(db_url: str) -> None:
    few, few_written = _plan(db_url, 20, listed=False)
    many, many_written = _plan(db_url, 60, listed=False)
    assert (few_written, many_written) == (20, 60)
    assert many == few


def test_planning_a_list_takes_the_same_statements_for_more_patients(db_url: str) -> None:
    few, few_written = _plan(db_url, 20, listed=True)
    many, many_written = _plan(db_url, 60, listed=True)
    assert (few_written, many_written) == (20, 60)
    assert many == few
