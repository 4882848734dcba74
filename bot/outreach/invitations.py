"""Running a campaign: writing its invitations and handing them to the sender.

Running it writes each invitation through the runtime (the enrollment dialog's offer, in the
patient's language) and hands it to the jobs, in chunks: here, or on the workers in chunk
jobs (bot/outreach/worker.py). Every send re-checks opt-out, quiet hours, caps and the
campaign's own status, so a STOP or a pause in the middle of a campaign holds that
patient's, or everyone's, remaining messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.clock import Clock, local_date
from bot.conversation.runtime import Runtime
from bot.outreach import audience
from bot.outreach.audience import verdict
from bot.outreach.campaigns import CampaignError, audit_campaign, find_campaign
from bot.outreach.jobs import Jobs, send_all
from bot.program.plans import pharmacy_program
from store.db import transaction
from store.models import Enrollment, Message, Patient, Pharmacy
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus


@dataclass
class RunResult:
    invited: int = 0
    skipped: int = 0
    stopped: str | None = None  # why the run stopped early (paused, cancelled)
    handed_on: int = 0  # recipients handed to the workers in chunk jobs
    jobs: int = 0

    def summary(self, name: str) -> str:
        if self.handed_on:
            return (
                f"Campaign {name!r}: {self.handed_on:,} invitations handed to the workers in "
                f"{self.jobs:,} jobs; `medsync campaign report {name}` shows how far they are."
            )
        text = f"Campaign {name!r}: {self.invited} invitations handed to the sender"
        if self.skipped:
            text += f", {self.skipped} patients skipped (no longer eligible)"
        return text + (f"; {self.stopped}." if self.stopped else ".")


def pending_count(sessions: sessionmaker[Session], pharmacy_id: int, name: str) -> int:
    with transaction(sessions) as session:
        campaign = find_campaign(session, pharmacy_id, name)
        return int(
            session.scalar(
                select(func.count())
                .select_from(CampaignRecipient)
                .where(
                    CampaignRecipient.campaign_id == campaign.id,
                    CampaignRecipient.status == RecipientStatus.PENDING,
                )
            )
            or 0
        )


InviteChunks = Callable[[int, list[int]], int]
"""Hands a campaign's recipient ids to the workers in chunk jobs; the number of jobs."""


def run_campaign(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    jobs: Jobs,
    clock: Clock,
    pharmacy_id: int,
    name: str,
    actor: str,
    advance: Callable[[int], None] = lambda n: None,
    chunks: InviteChunks | None = None,
) -> RunResult:
    """Invite every pending recipient; stop when the campaign is paused or cancelled (from
    another terminal). Running it again carries on where it stopped.

    With `chunks` (RQ workers) the pending recipients go to the workers in chunk jobs
    (`invite_chunk`, CHUNK recipients each, enqueued in one pipeline) and this returns at
    once: `campaign_progress` follows them. Without, the chunks are written here."""
    with transaction(sessions) as session:
        campaign = find_campaign(session, pharmacy_id, name)
        if campaign.status == CampaignStatus.CANCELLED:
            raise CampaignError(f"Campaign {name!r} is cancelled; it cannot run.")
        if campaign.status == CampaignStatus.DONE:
            return RunResult(stopped="everyone was invited already")
        if campaign.status == CampaignStatus.PAUSED:
            raise CampaignError(f"Campaign {name!r} is paused: resume it first.")
        campaign.status = CampaignStatus.RUNNING
        campaign.updated_at = clock.now()
        audit_campaign(session, actor, "campaign_run", campaign, clock.now())
        campaign_id = campaign.id
        pending = list(
            session.scalars(
                select(CampaignRecipient.id)
                .where(
                    CampaignRecipient.campaign_id == campaign_id,
                    CampaignRecipient.status == RecipientStatus.PENDING,
                )
                .order_by(CampaignRecipient.id)
            )
        )
    if chunks is not None:
        if not pending:
            _done_if_everyone_is_invited(sessions, campaign_id, clock)
            return RunResult(stopped="everyone was invited already")
        return RunResult(handed_on=len(pending), jobs=chunks(campaign_id, pending))
    result = RunResult()
    for start in range(0, len(pending), CHUNK):
        # Here, one invitation a transaction: a pause from another terminal stops the run
        # after the invitation being written.
        part = invite_chunk(
            sessions,
            runtime,
            jobs,
            clock,
            campaign_id,
            pending[start : start + CHUNK],
            advance,
            per_transaction=1,
        )
        result.invited += part.invited
        result.skipped += part.skipped
        if part.stopped:
            result.stopped = part.stopped
            break
    return result


CHUNK = 500  # recipients per chunk job
INVITES_PER_TRANSACTION = 20  # short transactions: webhooks wait for none of them long
SEND_GROUP = 50  # invitations handed to the sender together (a batch send job on RQ)


def invite_chunk(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    jobs: Jobs,
    clock: Clock,
    campaign_id: int,
    recipient_ids: Sequence[int],
    advance: Callable[[int], None] = lambda n: None,
    per_transaction: int = INVITES_PER_TRANSACTION,
) -> RunResult:
    """Write the invitations of these recipients and hand their sends to the jobs (in
    batches), a few recipients a transaction. Safe to run twice or side by side: a recipient
    is taken under its row lock, only while pending, and its invitation's idempotency key
    finds one written by a run that died before marking the recipient."""
    result = RunResult()
    ids = sorted(set(recipient_ids))
    waiting: list[int] = []  # written, handed to the sender SEND_GROUP at a time
    for start in range(0, len(ids), per_transaction):
        part = ids[start : start + per_transaction]
        written, skipped, stopped = _invite_part(sessions, runtime, clock, campaign_id, part)
        if stopped is not None:
            result.stopped = stopped
            break
        waiting += written
        if len(waiting) >= SEND_GROUP:
            send_all(jobs, waiting)
            waiting = []
        result.invited += len(written)
        result.skipped += skipped
        advance(len(part))
    send_all(jobs, waiting)
    if result.stopped is None:
        _done_if_everyone_is_invited(sessions, campaign_id, clock)
    return result


def _invite_part(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: Clock,
    campaign_id: int,
    recipient_ids: list[int],
) -> tuple[list[int], int, str | None]:
    """One transaction: (the invitations' message ids, how many were skipped, why it
    stopped if the campaign is no longer running)."""
    now = clock.now()
    with transaction(sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        if campaign.status != CampaignStatus.RUNNING:
            return [], 0, f"stopped because it was {campaign.status.value}"
        pharmacy = session.get(Pharmacy, campaign.pharmacy_id)
        assert pharmacy is not None
        recipients = list(
            session.scalars(
                select(CampaignRecipient)
                .where(
                    CampaignRecipient.id.in_(recipient_ids),
                    CampaignRecipient.status == RecipientStatus.PENDING,
                )
                .order_by(CampaignRecipient.id)
                .with_for_update(skip_locked=True)
            )
        )
        if not recipients:
            return [], 0, None
        patient_ids = [r.patient_id for r in recipients]
        # The patients with their prescriptions in one statement (the offer's context asks
        # whether they are eligible, which reads them); the verdict from SQL facts.
        patients = {
            p.id: p
            for p in session.scalars(
                select(Patient)
                .where(Patient.id.in_(patient_ids))
                .options(selectinload(Patient.prescriptions))
            )
        }
        program = pharmacy_program(pharmacy)
        facts = audience.read_facts(session, pharmacy.id, program, patient_ids)
        enrollments: dict[int, Enrollment] | None = None  # only for doubtful data
        keys = {r.id: f"campaign:{campaign_id}:invite:{r.id}" for r in recipients}
        written_before = dict(
            session.execute(
                select(Message.idempotency_key, Message.id).where(
                    Message.idempotency_key.in_(list(keys.values()))
                )
            ).all()
        )
        today = local_date(clock, pharmacy.timezone)
        written: list[int] = []
        skipped = 0
        for recipient in recipients:
            patient = patients[recipient.patient_id]
            recipient.updated_at = now
            decided = audience.decide(facts[patient.id], today)
            if decided is None:
                if enrollments is None:
                    enrollments = {
                        e.patient_id: e
                        for e in session.scalars(
                            select(Enrollment).where(Enrollment.patient_id.in_(patient_ids))
                        )
                    }
                judged = verdict(patient, enrollments.get(patient.id), today, program)
                decided = (judged.status or RecipientStatus.SKIPPED, judged.reason)
            status, reason = decided
            if status != RecipientStatus.PENDING:
                recipient.status = status
                recipient.note = reason
                skipped += 1
                continue
            message_id = written_before.get(keys[recipient.id])
            if message_id is None:
                outbound = runtime.invite_in(session, pharmacy, patient, keys[recipient.id], now)
                message_id = outbound.message_id if outbound is not None else None
            if message_id is None:
                recipient.status = RecipientStatus.SKIPPED
                recipient.note = "Nothing could be sent (the patient may have opted out)."
                skipped += 1
                continue
            recipient.status = RecipientStatus.INVITED
            recipient.message_id = message_id
            written.append(message_id)
    return written, skipped, None


def _done_if_everyone_is_invited(
    sessions: sessionmaker[Session], campaign_id: int, clock: Clock
) -> None:
    with transaction(sessions) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        if campaign.status != CampaignStatus.RUNNING:
            return
        left = session.scalar(
            select(CampaignRecipient.id)
            .where(
                CampaignRecipient.campaign_id == campaign_id,
                CampaignRecipient.status == RecipientStatus.PENDING,
            )
            .limit(1)
        )
        if left is None:
            campaign.status = CampaignStatus.DONE
            campaign.updated_at = clock.now()
