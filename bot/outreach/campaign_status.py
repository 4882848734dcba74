"""Pausing, resuming and cancelling a campaign, and what that does to its waiting sends."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.campaigns import CampaignError, audit_campaign, find_campaign
from bot.outreach.jobs import Jobs, send_all
from store.db import transaction
from store.models import Message, MessageStatus
from store.outreach import CampaignRecipient, CampaignStatus


def set_status(
    sessions: sessionmaker[Session],
    jobs: Jobs,
    clock: Clock,
    pharmacy_id: int,
    name: str,
    action: str,
    actor: str,
) -> str:
    """pause, resume or cancel; a sentence saying what happened."""
    moves = {
        # A done campaign may still have sends waiting (quiet hours, caps): those can be held.
        "pause": (
            (CampaignStatus.RUNNING, CampaignStatus.DRAFT, CampaignStatus.DONE),
            CampaignStatus.PAUSED,
        ),
        "resume": ((CampaignStatus.PAUSED,), CampaignStatus.RUNNING),
        "cancel": (
            (
                CampaignStatus.RUNNING,
                CampaignStatus.DRAFT,
                CampaignStatus.PAUSED,
                CampaignStatus.DONE,
            ),
            CampaignStatus.CANCELLED,
        ),
    }
    allowed, target = moves[action]
    now = clock.now()
    with transaction(sessions) as session:
        campaign = find_campaign(session, pharmacy_id, name)
        if campaign.status not in allowed:
            raise CampaignError(
                f"Campaign {name!r} is {campaign.status.value}; it cannot {action}."
            )
        campaign.status = target
        campaign.updated_at = now
        audit_campaign(session, actor, f"campaign_{action}", campaign, now)
        held = list(
            session.scalars(
                select(Message.id)
                .join(CampaignRecipient, CampaignRecipient.message_id == Message.id)
                .where(
                    CampaignRecipient.campaign_id == campaign.id,
                    Message.status == MessageStatus.QUEUED,
                )
            )
        )
    if action == "resume":
        send_all(jobs, held)  # the sends held by the pause go now (or at their time)
        return (
            f"Campaign {name!r} resumed: {len(held)} held invitations handed to the sender. "
            "Run `medsync campaign run` to invite the rest."
        )
    if action == "pause":
        return f"Campaign {name!r} paused: {len(held)} invitations not sent yet are held."
    return f"Campaign {name!r} cancelled: {len(held)} invitations not sent yet will not go."
