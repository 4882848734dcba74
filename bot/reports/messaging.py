"""Texts the pharmacy sent in the period, per language and per campaign, and the opt-outs.

A text counts once, by its latest status: "sent" is every text handed to Twilio (sent,
delivered, undelivered, failed), "delivered" what the carrier confirmed, "failed" what
Twilio or the carrier refused (undelivered, failed), "not sent" what MedSync held back on
purpose (opted out, a landline), "waiting" what is still queued (quiet hours, caps)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports.numbers import share
from bot.reports.period import Period
from store.models import (
    Channel,
    ConsentEvent,
    ConsentKind,
    Direction,
    Message,
    MessageStatus,
    Patient,
)
from store.outreach import Campaign, CampaignRecipient

NO_CAMPAIGN = "(not a campaign)"
UNKNOWN_LANGUAGE = "unknown"
# An opt-out within this many days after a campaign's invitation is counted against it.
OPT_OUT_WINDOW = dt.timedelta(days=30)

SENT = frozenset(
    {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED}
)
FAILED = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})
WAITING = frozenset({MessageStatus.QUEUED, MessageStatus.SENDING})


@dataclass(frozen=True)
class MessageCounts:
    group: str  # a language tag, a campaign name, or "all"
    texts: int
    sent: int
    delivered: int
    failed: int
    not_sent: int
    waiting: int
    opted_out: int

    @property
    def delivered_share(self) -> float | None:
        return share(self.delivered, self.sent)


@dataclass(frozen=True)
class Messaging:
    total: MessageCounts
    by_language: tuple[MessageCounts, ...]
    by_campaign: tuple[MessageCounts, ...]


def messaging(session: Session, pharmacy_id: int, period: Period) -> Messaging:
    rows = session.execute(
        select(Message.id, Message.status, Message.language, Patient.language, Campaign.name)
        .outerjoin(Patient, Patient.id == Message.patient_id)
        .outerjoin(CampaignRecipient, CampaignRecipient.message_id == Message.id)
        .outerjoin(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(
            Message.pharmacy_id == pharmacy_id,
            Message.direction == Direction.OUTBOUND,
            Message.channel == Channel.SMS,
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
    ).all()
    by_language: dict[str, Counter[str]] = {}
    by_campaign: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    for _id, status, language, patient_language, campaign in rows:
        marks = _marks(MessageStatus(status))
        for counts in (
            by_language.setdefault(language or patient_language or UNKNOWN_LANGUAGE, Counter()),
            by_campaign.setdefault(campaign or NO_CAMPAIGN, Counter()),
            total,
        ):
            counts.update(marks)
    for opt_out_language, opt_out_campaign in _opt_outs(session, pharmacy_id, period):
        for counts in (
            by_language.setdefault(opt_out_language or UNKNOWN_LANGUAGE, Counter()),
            by_campaign.setdefault(opt_out_campaign or NO_CAMPAIGN, Counter()),
            total,
        ):
            counts["opted_out"] += 1
    return Messaging(
        total=_counts("all", total),
        by_language=tuple(_counts(k, v) for k, v in sorted(by_language.items())),
        by_campaign=tuple(
            _counts(k, v)
            for k, v in sorted(by_campaign.items(), key=lambda kv: (kv[0] == NO_CAMPAIGN, kv[0]))
        ),
    )


def _marks(status: MessageStatus) -> list[str]:
    marks = ["texts"]
    if status in SENT:
        marks.append("sent")
    if status == MessageStatus.DELIVERED:
        marks.append("delivered")
    if status in FAILED:
        marks.append("failed")
    if status == MessageStatus.SUPPRESSED:
        marks.append("not_sent")
    if status in WAITING:
        marks.append("waiting")
    return marks


def _counts(group: str, counts: Counter[str]) -> MessageCounts:
    return MessageCounts(
        group=group,
        texts=counts["texts"],
        sent=counts["sent"],
        delivered=counts["delivered"],
        failed=counts["failed"],
        not_sent=counts["not_sent"],
        waiting=counts["waiting"],
        opted_out=counts["opted_out"],
    )


def _opt_outs(
    session: Session, pharmacy_id: int, period: Period
) -> list[tuple[str | None, str | None]]:
    """(language, campaign) of each opt-out in the period: the campaign whose invitation came
    last before it, within OPT_OUT_WINDOW, or None."""
    events = session.execute(
        select(ConsentEvent.patient_id, ConsentEvent.language, ConsentEvent.created_at)
        .join(Patient, Patient.id == ConsentEvent.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy_id,
            ConsentEvent.kind == ConsentKind.OPT_OUT,
            ConsentEvent.created_at >= period.start,
            ConsentEvent.created_at < period.end,
        )
        .order_by(ConsentEvent.id)
    ).all()
    found: list[tuple[str | None, str | None]] = []
    for patient_id, language, when in events:
        campaign = session.scalar(
            select(Campaign.name)
            .join(CampaignRecipient, CampaignRecipient.campaign_id == Campaign.id)
            .join(Message, Message.id == CampaignRecipient.message_id)
            .where(
                Campaign.pharmacy_id == pharmacy_id,
                CampaignRecipient.patient_id == patient_id,
                Message.created_at <= when,
                Message.created_at > when - OPT_OUT_WINDOW,
            )
            .order_by(Message.created_at.desc())
            .limit(1)
        )
        found.append((language, campaign))
    return found
