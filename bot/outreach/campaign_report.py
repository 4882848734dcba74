"""What came of a campaign: how far it has got, and the report by language and patient."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from bot.outreach.audience import IN_PROGRAM
from bot.outreach.campaigns import find_campaign
from store.models import Direction, Enrollment, Message, MessageStatus, Patient
from store.outreach import CampaignRecipient, RecipientStatus

REPORT_COLUMNS = (
    "patients",
    "queued",
    "sent",
    "delivered",
    "failed",
    "replied",
    "enrolled",
    "opted out",
    "landline",
    "skipped",
)


@dataclass(frozen=True)
class Progress:
    """How far a campaign has got: recipients by state, invitations by message status."""

    status: str
    recipients: int
    pending: int
    invited: int
    not_invited: int  # skipped or on a landline
    queued: int
    sent: int

    @property
    def written(self) -> int:
        return self.invited + self.not_invited

    def summary(self) -> str:
        share = self.written / self.recipients if self.recipients else 1.0
        return (
            f"{self.invited:,} of {self.recipients:,} invited, {self.not_invited:,} not "
            f"invited, {self.pending:,} still to write ({share:.0%} done); "
            f"{self.sent:,} sent, {self.queued:,} waiting to go"
        )


def campaign_progress(session: Session, pharmacy_id: int, name: str) -> Progress:
    """Two grouped counts, however large the campaign."""
    campaign = find_campaign(session, pharmacy_id, name)
    by_status = dict(
        session.execute(
            select(CampaignRecipient.status, func.count())
            .where(CampaignRecipient.campaign_id == campaign.id)
            .group_by(CampaignRecipient.status)
        ).all()
    )
    by_message = dict(
        session.execute(
            select(Message.status, func.count())
            .join(CampaignRecipient, CampaignRecipient.message_id == Message.id)
            .where(CampaignRecipient.campaign_id == campaign.id)
            .group_by(Message.status)
        ).all()
    )
    return Progress(
        status=campaign.status.value,
        recipients=sum(by_status.values()),
        pending=by_status.get(RecipientStatus.PENDING, 0),
        invited=by_status.get(RecipientStatus.INVITED, 0),
        not_invited=by_status.get(RecipientStatus.SKIPPED, 0)
        + by_status.get(RecipientStatus.LANDLINE, 0),
        queued=by_message.get(MessageStatus.QUEUED, 0) + by_message.get(MessageStatus.SENDING, 0),
        sent=sum(
            by_message.get(s, 0)
            for s in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED)
        ),
    )


@dataclass
class PatientOutcome:
    external_id: str
    language: str
    outcome: str
    note: str


@dataclass
class Report:
    campaign: str
    template: str
    status: str
    by_language: dict[str, Counter[str]]
    patients: list[PatientOutcome]

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_language.values():
            total.update(counts)
        return total


def _message_column(status: MessageStatus | None) -> str | None:
    if status in (MessageStatus.QUEUED, MessageStatus.SENDING):
        return "queued"
    if status == MessageStatus.SENT:
        return "sent"
    if status == MessageStatus.DELIVERED:
        return "delivered"
    if status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED, MessageStatus.SUPPRESSED):
        return "failed"
    return None


def campaign_report(session: Session, pharmacy_id: int, name: str) -> Report:
    campaign = find_campaign(session, pharmacy_id, name)
    rows = session.execute(
        select(CampaignRecipient, Patient, Message)
        .join(Patient, Patient.id == CampaignRecipient.patient_id)
        .outerjoin(Message, Message.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .order_by(Patient.external_id)
    ).all()
    patient_ids = [patient.id for _, patient, _ in rows]
    enrolled = set(
        session.scalars(
            select(Enrollment.patient_id).where(
                Enrollment.patient_id.in_(patient_ids), Enrollment.status.in_(IN_PROGRAM)
            )
        )
    )
    replied = _replied(session, campaign.id)
    by_language: dict[str, Counter[str]] = {}
    outcomes: list[PatientOutcome] = []
    for recipient, patient, message in rows:
        counts = by_language.setdefault(patient.language, Counter())
        counts["patients"] += 1
        marks: list[str] = []
        if recipient.status in (RecipientStatus.LANDLINE, RecipientStatus.SKIPPED):
            marks.append("landline" if recipient.status == RecipientStatus.LANDLINE else "skipped")
        elif recipient.status == RecipientStatus.PENDING:
            marks.append("not invited yet")
        column = _message_column(message.status if message else None)
        if column:
            marks.append(column)
        if patient.id in replied:
            marks.append("replied")
        if patient.id in enrolled and message is not None:
            marks.append("enrolled")
        if patient.opted_out:
            marks.append("opted out")
        for mark in marks:
            if mark in REPORT_COLUMNS:
                counts[mark] += 1
        note = recipient.note or (message.error if message is not None and message.error else "")
        outcomes.append(
            PatientOutcome(patient.external_id, patient.language, ", ".join(marks), note or "")
        )
    return Report(campaign.name, campaign.template, campaign.status.value, by_language, outcomes)


def _replied(session: Session, campaign_id: int) -> set[int]:
    """Patients who wrote to the pharmacy after their invitation (one statement)."""
    invitation, answer = aliased(Message), aliased(Message)
    return set(
        session.scalars(
            select(CampaignRecipient.patient_id)
            .join(invitation, invitation.id == CampaignRecipient.message_id)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                exists().where(
                    answer.patient_id == CampaignRecipient.patient_id,
                    answer.direction == Direction.INBOUND,
                    answer.created_at >= invitation.created_at,
                ),
            )
        )
    )
