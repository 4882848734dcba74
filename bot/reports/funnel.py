"""The enrollment funnel: eligible -> invited -> consented -> anchor chosen -> approved.

A patient counts at a step when they took that step, or a later one, in the period; so each
step holds the next and the drop-off between two steps is never negative. Eligibility is the
campaign rule (bot/outreach/audience.py: two or more maintenance medicines that can be
synced) on the prescriptions as they are now: the records do not keep what a patient's
medicines were on an earlier day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.program.plans import medication, program_settings
from bot.reports.numbers import share
from bot.reports.period import Period
from dialogs.plan.model import PlanError
from dialogs.plan.reconcile import check_eligibility, reconcile_all
from store.calls import Call, CallPurpose, CallStatus
from store.models import (
    ConsentEvent,
    ConsentKind,
    Message,
    Patient,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from store.outreach import Campaign, CampaignRecipient

STEPS = ("eligible", "invited", "consented", "anchor chosen", "approved")
# Calls that never rang the patient's phone are not invitations.
NOT_PLACED = (CallStatus.SCHEDULED, CallStatus.PLACING, CallStatus.SUPPRESSED)


@dataclass(frozen=True)
class FunnelStep:
    name: str
    patients: int
    dropped: int  # patients at the step before who did not reach this one
    share_of_previous: float | None  # patients / the step before's; None for the first step


@dataclass(frozen=True)
class Funnel:
    steps: tuple[FunnelStep, ...]
    declined: int  # patients who said no to med sync in the period

    def step(self, name: str) -> FunnelStep:
        return next(s for s in self.steps if s.name == name)


def is_eligible(patient: Patient) -> bool:
    try:
        meds = [medication(rx) for rx in patient.prescriptions if rx.active]
    except PlanError:
        return False  # data to fix first: not counted as eligible
    return check_eligibility(reconcile_all(meds, program_settings(patient))).eligible


def _ids(values: Iterable[int | None]) -> set[int]:
    return {v for v in values if v is not None}


def funnel(session: Session, pharmacy_id: int, period: Period) -> Funnel:
    start, end = period.start, period.end
    enrollment_items = select(ReviewItem.patient_id).where(
        ReviewItem.pharmacy_id == pharmacy_id, ReviewItem.kind == ReviewKind.NEW_ENROLLMENT
    )
    approved = _ids(
        session.scalars(
            enrollment_items.where(
                ReviewItem.status == ReviewStatus.APPROVED,
                ReviewItem.decided_at >= start,
                ReviewItem.decided_at < end,
            )
        )
    )
    anchored = approved | _ids(
        session.scalars(
            enrollment_items.where(ReviewItem.created_at >= start, ReviewItem.created_at < end)
        )
    )
    consents = (
        select(ConsentEvent.patient_id)
        .join(Patient, Patient.id == ConsentEvent.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy_id,
            ConsentEvent.created_at >= start,
            ConsentEvent.created_at < end,
        )
    )
    consented = anchored | _ids(
        session.scalars(consents.where(ConsentEvent.kind == ConsentKind.ENROLLMENT_ACCEPTED))
    )
    declined = _ids(
        session.scalars(consents.where(ConsentEvent.kind == ConsentKind.ENROLLMENT_DECLINED))
    )
    texted = session.scalars(
        select(CampaignRecipient.patient_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .join(Message, Message.id == CampaignRecipient.message_id)
        .where(
            Campaign.pharmacy_id == pharmacy_id,
            Message.created_at >= start,
            Message.created_at < end,
        )
    )
    called = session.scalars(
        select(Call.patient_id).where(
            Call.pharmacy_id == pharmacy_id,
            Call.purpose == CallPurpose.INVITATION,
            Call.status.not_in(NOT_PLACED),
            Call.created_at >= start,
            Call.created_at < end,
        )
    )
    invited = consented | _ids(texted) | _ids(called)
    patients = session.scalars(
        select(Patient)
        .where(Patient.pharmacy_id == pharmacy_id)
        .options(selectinload(Patient.prescriptions), selectinload(Patient.pharmacy))
    )
    eligible = invited | {p.id for p in patients if p.id not in invited and is_eligible(p)}
    counts = [len(eligible), len(invited), len(consented), len(anchored), len(approved)]
    steps = []
    for index, (name, count) in enumerate(zip(STEPS, counts, strict=True)):
        before = counts[index - 1] if index else None
        steps.append(
            FunnelStep(
                name=name,
                patients=count,
                dropped=0 if before is None else before - count,
                share_of_previous=None if before is None else share(count, before),
            )
        )
    return Funnel(tuple(steps), len(declined))
