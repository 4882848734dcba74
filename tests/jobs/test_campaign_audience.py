"""The set-based campaign plan (bot/outreach/audience.py) judges every patient exactly as
`verdict` does, one patient at a time: the same status and the same sentence, for a list of
patients, for "all eligible not yet invited", and when a chunk job re-checks them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.outreach import audience
from bot.outreach.audience import verdict
from bot.outreach.campaigns import create_campaign, local_date_at
from bot.program.plans import pharmacy_program
from store.db import transaction
from store.models import Enrollment, EnrollmentStatus, Patient, Pharmacy, Prescription
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 29)


def _rx(pick: random.Random, patient_id: int, n: int) -> Prescription:
    """A prescription mostly like an export's, now and then with a value a plan refuses."""
    odd = pick.random() < 0.04
    return Prescription(
        patient_id=patient_id,
        rx_number=f"RX{patient_id}-{n}",
        drug_name="Drug",
        daily_quantity=pick.choice([None, Decimal(1), Decimal(1), Decimal("0.5"), Decimal(2)])
        if not odd
        else pick.choice([Decimal(0), Decimal(-1), Decimal(1)]),
        days_supply=pick.choice([30, 90]) if not odd else pick.choice([0, -5, 30]),
        quantity=Decimal(30) if not odd else pick.choice([Decimal(-1), Decimal(30)]),
        last_fill_date=TODAY - dt.timedelta(days=pick.randint(0, 40)),
        refills_remaining=pick.choice([0, 3]) if not odd else pick.choice([-1, 2]),
        written_date=TODAY - dt.timedelta(days=100),
        dea_schedule=pick.choice([None] * 9 + ["CII", "CIII", "CIV", "CV"])
        if not odd
        else pick.choice(["CVI", None]),
        prn=pick.random() < 0.06,
        maintenance=pick.random() < 0.94,
        package=pick.choice([None, None, None, None, "inhaler", "insulin", "patch"])
        if not odd
        else pick.choice(["pill box", None]),
        copay=Decimal(5) if not odd else pick.choice([Decimal(-2), Decimal(5)]),
        payer=pick.choice([None, "commercial", "medicaid"]) if not odd else "barter",
        max_days_supply=pick.choice([None, 90]) if not odd else pick.choice([0, None]),
        status=pick.choice(["active"] * 8 + ["inactive", "discontinued"]),
        updated_at=NOW,
    )


def _world(sessions: sessionmaker[Session], state: str, program: dict[str, object]) -> int:
    pick = random.Random(19)
    with transaction(sessions) as session:
        pharmacy = Pharmacy(
            name="Main Street Pharmacy",
            phone="+12125550199",
            twilio_number="+12125550100",
            timezone="America/New_York",
            state=state,
            program=program,
            created_at=NOW,
        )
        session.add(pharmacy)
        session.flush()
        earlier = Campaign(
            pharmacy_id=pharmacy.id,
            name="Autumn",
            template="x",
            audience="x",
            status=CampaignStatus.DONE,
            created_by="test",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(earlier)
        session.flush()
        for n in range(160):
            patient = Patient(
                pharmacy_id=pharmacy.id,
                external_id=f"P{n:04d}",
                first_name="Pat",
                last_name="Doe",
                phone=f"+1212555{n:04d}",
                phone_type=pick.choice([None, "mobile", "landline", "voip"]),
                language="en",
                opted_out=pick.random() < 0.08,
                sms_capable=pick.choice([None, True, True, False]),
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(patient)
            session.flush()
            count = pick.choice([0, 1, 2, 3, 3, 4, 5])
            session.add_all(_rx(pick, patient.id, k) for k in range(count))
            if pick.random() < 0.35:
                session.add(
                    Enrollment(
                        patient_id=patient.id,
                        status=pick.choice(list(EnrollmentStatus)),
                        declined_until=pick.choice(
                            [None, TODAY, TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(1)]
                        ),
                        updated_at=NOW,
                    )
                )
            if pick.random() < 0.1:
                session.add(
                    CampaignRecipient(
                        campaign_id=earlier.id,
                        patient_id=patient.id,
                        status=pick.choice([RecipientStatus.INVITED, RecipientStatus.SKIPPED]),
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
        return pharmacy.id


def _expected(session: Session, pharmacy: Pharmacy) -> dict[int, tuple[RecipientStatus, str]]:
    """`verdict` for every patient, one at a time (the reference)."""
    today = local_date_at(NOW, pharmacy.timezone)
    enrollments = {e.patient_id: e for e in session.scalars(select(Enrollment))}
    found: dict[int, tuple[RecipientStatus, str]] = {}
    for patient in session.scalars(
        select(Patient)
        .where(Patient.pharmacy_id == pharmacy.id)
        .options(selectinload(Patient.prescriptions))
    ):
        judged = verdict(patient, enrollments.get(patient.id), today)
        assert judged.status is not None
        found[patient.id] = (judged.status, judged.reason)
    return found


def _written(session: Session, name: str) -> dict[int, tuple[RecipientStatus, str | None]]:
    return {
        r.patient_id: (r.status, r.note)
        for r in session.scalars(
            select(CampaignRecipient)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(Campaign.name == name)
        )
    }


@pytest.mark.parametrize(
    ("state", "program"),
    [("NY", {}), ("OK", {"sync_controlled_c3_c5": True}), ("CA", {"sync_controlled_c3_c5": True})],
)
def test_the_plan_in_sql_judges_every_patient_as_verdict_does(
    session_factory: sessionmaker[Session], state: str, program: dict[str, object]
) -> None:
    pharmacy_id = _world(session_factory, state, program)
    with transaction(session_factory) as session:
        pharmacy = session.get_one(Pharmacy, pharmacy_id)
        expected = _expected(session, pharmacy)
        invited = set(
            session.scalars(
                select(CampaignRecipient.patient_id).where(
                    CampaignRecipient.status == RecipientStatus.INVITED
                )
            )
        )
        ids = list(session.scalars(select(Patient.external_id).order_by(Patient.external_id)))
        listed = create_campaign(session, pharmacy, "Listed", "ENROLL_OFFER", ids, NOW, "test")
        everyone = create_campaign(session, pharmacy, "Everyone", "ENROLL_OFFER", None, NOW, "t")
        facts = audience.read_facts(
            session, pharmacy_id, pharmacy_program(pharmacy), list(expected)
        )
    # The data has every case: each status, bad prescription data, packages, controlled.
    reasons = {reason.split(":")[0].split(" (")[0] for _, reason in expected.values()}
    assert {s for s, _ in expected.values()} == {
        RecipientStatus.PENDING,
        RecipientStatus.LANDLINE,
        RecipientStatus.SKIPPED,
    }
    assert {"opted out of texts", "already in med sync", "declined med sync"} <= reasons
    assert any(f.doubtful for f in facts.values()) and any(f.packages for f in facts.values())
    assert "prescription data needs review" in reasons  # a PlanError's sentence

    with transaction(session_factory) as session:
        as_listed = _written(session, "Listed")
        as_everyone = _written(session, "Everyone")
    assert as_listed == {
        patient_id: (status, None if status == RecipientStatus.PENDING else reason)
        for patient_id, (status, reason) in expected.items()
    }
    assert listed.counts == {
        status.value: sum(s == status for s, _ in expected.values())
        for status in {s for s, _ in expected.values()}
    }
    assert as_everyone == {
        patient_id: (status, None if status == RecipientStatus.PENDING else reason)
        for patient_id, (status, reason) in expected.items()
        if status != RecipientStatus.SKIPPED and patient_id not in invited
    }
    assert sum(everyone.counts.values()) == len(as_everyone) and not everyone.skipped
    # The chunk job's re-check: the facts decide, or hand a doubtful patient to verdict().
    for patient_id, (status, reason) in expected.items():
        decided = audience.decide(facts[patient_id], TODAY)
        assert decided == (status, reason) or (decided is None and facts[patient_id].doubtful)
