"""The checks a queued text goes through again just before it is sent (`may_go`): its campaign
held or cancelled, a caregiver's permission, an opt-out, a question already answered, a
landline, quiet hours, the patient's preferred time of day and the frequency caps; a text that
may go is claimed (`claim_row`). The rules themselves are bot/outreach/sending_rules.py; what
they read is one query each (`Lookups`), or a batch's at once (bot/outreach/batches.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.messages import still_asked
from bot.outreach.deliveries import Delivery
from bot.outreach.sending_rules import (
    cap_free_at,
    is_automated,
    next_preferred,
    sms_segments,
    windows_for,
)
from bot.program.caregivers import caregiver_may_receive
from bot.program.preferences import time_of_day
from bot.settings.outreach import OutreachSettings
from store.models import Conversation, Message, MessageStatus, Patient, Pharmacy
from store.outreach import Campaign, CampaignRecipient, CampaignStatus


class Lookups:
    """What the rules read besides the message, its patient and pharmacy: one query each
    here; bot/outreach/batches.py reads them for a whole batch at once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def campaign(self, message: Message) -> Campaign | None:
        return self.session.scalar(
            select(Campaign)
            .join(CampaignRecipient, CampaignRecipient.campaign_id == Campaign.id)
            .where(CampaignRecipient.message_id == message.id)
        )

    def time_of_day(self, patient_id: int) -> str | None:
        return time_of_day(self.session, patient_id)

    def cap_free_at(
        self, message: Message, patient_id: int, now: dt.datetime, settings: OutreachSettings
    ) -> dt.datetime | None:
        return cap_free_at(
            self.session, patient_id, now, settings, excluding=message.id, phone=message.phone
        )


def _conversation(session: Session, message: Message) -> Conversation | None:
    if message.asks is None or message.conversation_id is None:
        return None
    return session.get(Conversation, message.conversation_id, populate_existing=True)


def claim_row(message: Message, now: dt.datetime) -> int:
    """The row is being sent: a second run leaves it alone, a run that died is settled.
    Returns its segments."""
    message.status = MessageStatus.SENDING
    message.sent_at = now
    message.attempts += 1
    message.deferred_until = None
    message.segments = segments = sms_segments(message.body)
    return segments


def may_go(
    session: Session,
    message: Message,
    patient: Patient | None,
    pharmacy: Pharmacy,
    now: dt.datetime,
    settings: OutreachSettings,
    lookups: Lookups,
) -> Delivery | None:
    """Every rule re-checked on a queued row: None when it may go now, else what was done
    with it instead (suppressed, deferred, held for its campaign)."""
    held = _campaign_hold(message, now, settings, lookups.campaign(message))
    if held is not None:
        return held
    # To a caregiver's phone (bot/caregivers.py): only while the permission stands.
    to_caregiver = patient is not None and message.phone != patient.phone
    if to_caregiver and not caregiver_may_receive(session, message):
        return _suppress(
            message,
            "The caregiver's permission was withdrawn, or their phone opted out.",
            "not sent: no longer a caregiver",
        )
    if patient is not None and patient.opted_out:
        return _suppress(message, "The patient has opted out of texts.", "not sent: opted out")
    if not still_asked(message, _conversation(session, message)):
        return _suppress(
            message,
            "The patient answered this question before it could be sent (it waited for "
            "sending hours or the caps), so it was not sent.",
            "not sent: answered already",
        )
    if (
        patient is not None
        and not to_caregiver
        and (patient.sms_capable is False or patient.phone_type == "landline")
    ):
        return _suppress(
            message,
            "The number cannot receive texts (landline): the patient needs a call.",
            "not sent: not an SMS-capable number",
        )
    windows = windows_for(
        message.phone,
        patient.timezone if patient else None,
        pharmacy.timezone,
        pharmacy.state,
        settings,
    )
    # Automated messages wait for the part of the day the patient prefers, if any.
    automated = patient is not None and is_automated(message)
    preferred = lookups.time_of_day(patient.id) if patient and automated else None
    at = next_preferred(now, windows, preferred)
    if at == now and patient is not None and automated:
        free = lookups.cap_free_at(message, patient.id, now, settings)
        if free is not None:
            at = next_preferred(free, windows, preferred)
            return _defer(message, at, "the frequency caps are reached")
    if at > now:
        return _defer(message, at, "quiet hours in the patient's time zone")
    return None


def _campaign_hold(
    message: Message, now: dt.datetime, settings: OutreachSettings, campaign: Campaign | None
) -> Delivery | None:
    if campaign is None:
        return None
    if campaign.status == CampaignStatus.CANCELLED:
        return _suppress(
            message, f"Campaign {campaign.name!r} was cancelled.", "not sent: cancelled"
        )
    if campaign.status == CampaignStatus.PAUSED:
        at = now + dt.timedelta(seconds=settings.scheduler_interval)
        return _defer(message, at, f"campaign {campaign.name!r} is paused")
    return None


def _suppress(message: Message, reason: str, detail: str) -> Delivery:
    message.status = MessageStatus.SUPPRESSED
    message.error = reason
    return Delivery("suppressed", detail)


def _defer(message: Message, at: dt.datetime, why: str) -> Delivery:
    message.deferred_until = at
    return Delivery("deferred", f"deferred to {at:%Y-%m-%d %H:%M} UTC: {why}", at)
