"""Invitation campaigns: who is invited, sending at a steady pace, and what came of it.

A campaign keeps the catalog msgid it sends (so a report can say which text went out) and
one recipient row per patient. Running it writes each invitation through the runtime (the
enrollment dialog's offer, in the patient's language) and hands it to the jobs; every send
re-checks opt-out, quiet hours, caps and the campaign's own status, so a STOP or a pause in
the middle of a campaign holds that patient's, or everyone's, remaining messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, exists, func, insert, literal, null, select
from sqlalchemy.orm import Session, aliased, selectinload, sessionmaker

from bot.clock import Clock, local_date
from bot.conversation.runtime import Runtime
from bot.outreach import audience
from bot.outreach.cycle_events import textable
from bot.outreach.jobs import Jobs, send_all
from bot.program.plans import medication, pharmacy_program, program_settings
from dialogs import prompts
from dialogs.plan.model import PlanError, ProgramSettings
from dialogs.plan.reconcile import check_eligibility, reconcile_all
from store.db import transaction
from store.models import (
    AuditEvent,
    Direction,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    Pharmacy,
)
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

# Templates a campaign may send, by the name of their msgid in dialogs/prompts.py. The
# invitation is the enrollment dialog's offer: the patient's answer continues that dialog.
TEMPLATES = {"ENROLL_OFFER": prompts.ENROLL_OFFER}
ELIGIBLE_AUDIENCE = "all eligible patients not yet invited"
IN_PROGRAM = (EnrollmentStatus.CONSENTED, EnrollmentStatus.PENDING_REVIEW, EnrollmentStatus.ACTIVE)
_CHUNK = 1000  # patients judged, and recipient rows written, at a time
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


class CampaignError(Exception):
    """Something a person must fix; the message is a plain sentence for staff."""


@dataclass(frozen=True)
class Verdict:
    status: RecipientStatus | None  # PENDING, LANDLINE or SKIPPED; None: leave out entirely
    reason: str


def verdict(
    patient: Patient,
    enrollment: Enrollment | None,
    today: dt.date,
    program: ProgramSettings | None = None,
) -> Verdict:
    """Whether a patient may be invited now, and why not."""
    if patient.opted_out:
        return Verdict(RecipientStatus.SKIPPED, "opted out of texts")
    if enrollment is not None and enrollment.status in IN_PROGRAM:
        return Verdict(RecipientStatus.SKIPPED, "already in med sync")
    if (
        enrollment is not None
        and enrollment.declined_until is not None
        and enrollment.declined_until > today
    ):
        return Verdict(
            RecipientStatus.SKIPPED,
            f"declined med sync (no invitations until {enrollment.declined_until})",
        )
    try:
        meds = [medication(rx) for rx in patient.prescriptions if rx.active]
    except PlanError as error:
        return Verdict(RecipientStatus.SKIPPED, f"prescription data needs review: {error}")
    program = program or program_settings(patient)  # a campaign works it out once
    eligibility = check_eligibility(reconcile_all(meds, program))
    if not eligibility.eligible:
        return Verdict(RecipientStatus.SKIPPED, eligibility.reason)
    if not textable(patient):
        return Verdict(RecipientStatus.LANDLINE, "no SMS-capable number: waits for a call")
    return Verdict(RecipientStatus.PENDING, eligibility.reason)


def read_patient_ids(text: str) -> list[str]:
    """Patient ids (the export's patient_id) from a CSV with a patient_id column, or one id
    a line; blank lines and repeats are ignored."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CampaignError("The file has no patient ids.")
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("patient_id") if "patient_id" in header else None
    body = rows[1:] if column is not None else rows
    ids = [
        (row[column] if column is not None and column < len(row) else row[0] if row else "").strip()
        for row in body
    ]
    found = list(dict.fromkeys(i for i in ids if i))
    if not found:
        raise CampaignError("The file has no patient ids.")
    return found


@dataclass
class Created:
    campaign: Campaign
    counts: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)  # "P1008: only one medicine ..."

    def summary(self) -> str:
        lines = [
            f"Campaign {self.campaign.name!r} created: {self.counts['pending']} to invite, "
            f"{self.counts['landline']} on landlines (waiting for calls), "
            f"{self.counts['skipped']} not eligible."
        ]
        lines += [f"  not invited: {line}" for line in self.skipped]
        return "\n".join(lines)


def _campaign(session: Session, pharmacy_id: int, name: str) -> Campaign:
    found = session.scalar(
        select(Campaign).where(Campaign.pharmacy_id == pharmacy_id, Campaign.name == name)
    )
    if found is None:
        raise CampaignError(f"No campaign called {name!r}. See `medsync campaign list`.")
    return found


def _audit(
    session: Session, actor: str, action: str, campaign: Campaign, now: dt.datetime, **after: object
) -> None:
    session.add(
        AuditEvent(
            actor=actor[:200],
            action=action,
            subject=f"campaign:{campaign.id}",
            before=None,
            after={"name": campaign.name, "status": campaign.status.value, **after},
            created_at=now,
            chain=campaign.pharmacy_id,  # the pharmacy's audit chain (store/audit.py)
        )
    )


def create_campaign(
    session: Session,
    pharmacy: Pharmacy,
    name: str,
    template: str,
    patient_ids: Sequence[str] | None,
    now: dt.datetime,
    actor: str,
    audience: str | None = None,
) -> Created:
    """A campaign and its recipients: the given patients, or all eligible not yet invited.

    `audience` describes how the given patients were chosen (default: "N listed patients").
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise CampaignError("Give the campaign a name (up to 200 characters).")
    if template not in TEMPLATES:
        raise CampaignError(
            f"No campaign template {template!r}; use one of: {', '.join(sorted(TEMPLATES))}."
        )
    if session.scalar(
        select(Campaign.id).where(Campaign.pharmacy_id == pharmacy.id, Campaign.name == name)
    ):
        raise CampaignError(f"A campaign called {name!r} exists already; choose another name.")
    today = local_date_at(now, pharmacy.timezone)
    program = pharmacy_program(pharmacy)
    campaign = Campaign(
        pharmacy_id=pharmacy.id,
        name=name,
        template=TEMPLATES[template],
        audience=ELIGIBLE_AUDIENCE
        if patient_ids is None
        else (audience or f"{len(patient_ids)} listed patients")[:200],
        status=CampaignStatus.DRAFT,
        created_by=actor[:200],
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    created = Created(campaign)
    if patient_ids is None:
        _plan_everyone(session, pharmacy, program, campaign.id, today, now, created)
    else:
        _plan_listed(session, pharmacy, program, campaign.id, patient_ids, today, now, created)
    _audit(
        session,
        actor,
        "campaign_create",
        campaign,
        now,
        audience=campaign.audience,
        recipients=dict(created.counts),
    )
    return created


def enrollments_at(session: Session, pharmacy_id: int) -> dict[int, Enrollment]:
    """Every enrollment of the pharmacy's patients, by patient id (one statement)."""
    return {
        e.patient_id: e
        for e in session.scalars(
            select(Enrollment)
            .join(Patient, Patient.id == Enrollment.patient_id)
            .where(Patient.pharmacy_id == pharmacy_id)
        )
    }


def local_date_at(now: dt.datetime, zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(zone)).date()


def _recipient(
    campaign_id: int, patient_id: int, status: RecipientStatus, reason: str, now: dt.datetime
) -> dict[str, object]:
    return {
        "campaign_id": campaign_id,
        "patient_id": patient_id,
        "status": status,
        "note": None if status == RecipientStatus.PENDING else reason,
        "created_at": now,
        "updated_at": now,
    }


def _judge_doubtful(
    session: Session, patient_ids: Sequence[int], today: dt.date, program: ProgramSettings
) -> dict[int, Verdict]:
    """`verdict` for the patients whose prescription data may not make a plan (rare), loaded
    with their prescriptions in one statement; none loaded when there are none."""
    if not patient_ids:
        return {}
    enrollments = {
        e.patient_id: e
        for e in session.scalars(select(Enrollment).where(Enrollment.patient_id.in_(patient_ids)))
    }
    patients = session.scalars(
        select(Patient)
        .where(Patient.id.in_(list(patient_ids)))
        .options(selectinload(Patient.prescriptions))
    )
    return {p.id: verdict(p, enrollments.get(p.id), today, program) for p in patients}


def _plan_everyone(
    session: Session,
    pharmacy: Pharmacy,
    program: ProgramSettings,
    campaign_id: int,
    today: dt.date,
    now: dt.datetime,
    created: Created,
) -> None:
    """All eligible patients not yet invited, in one INSERT ... SELECT (`verdict`'s rules in
    SQL: bot/outreach/audience.py), then the few with doubtful prescription data judged by
    `verdict` itself, then one grouped count."""
    facts = audience.facts_query(pharmacy.id, program, invited=True).subquery("facts")
    textable = facts.c.textable == 1
    stamp = literal(now, CampaignRecipient.created_at.type)
    chosen = (
        select(
            literal(campaign_id),
            facts.c.patient_id,
            case(
                (textable, literal(RecipientStatus.PENDING.value)),
                else_=literal(RecipientStatus.LANDLINE.value),
            ),
            case((textable, null()), else_=literal(audience.LANDLINE)),
            stamp,
            stamp,
        )
        .where(facts.c.invited == 0, *audience.eligible_where(facts, today))
        .order_by(facts.c.patient_id)
    )
    columns = ["campaign_id", "patient_id", "status", "note", "created_at", "updated_at"]
    session.execute(insert(CampaignRecipient).from_select(columns, chosen))
    doubtful = session.scalars(
        select(facts.c.patient_id).where(facts.c.invited == 0, facts.c.doubtful == 1)
    ).all()
    rows = [
        _recipient(campaign_id, patient_id, judged.status, judged.reason, now)
        for patient_id, judged in _judge_doubtful(session, doubtful, today, program).items()
        if judged.status in (RecipientStatus.PENDING, RecipientStatus.LANDLINE)
    ]
    if rows:
        session.execute(insert(CampaignRecipient), rows)
    for status, count in session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.status)
    ):
        created.counts[RecipientStatus(status).value] += count


def _plan_listed(
    session: Session,
    pharmacy: Pharmacy,
    program: ProgramSettings,
    campaign_id: int,
    patient_ids: Sequence[str],
    today: dt.date,
    now: dt.datetime,
    created: Created,
) -> None:
    """The listed patients in the list's order, each with its verdict (the ineligible kept
    with their reason): their facts read _CHUNK at a time in SQL, no patient loaded."""
    found: dict[str, audience.Judged] = {}
    for start in range(0, len(patient_ids), _CHUNK):
        chunk = list(patient_ids[start : start + _CHUNK])
        listed = Patient.external_id.in_(chunk)
        result = session.execute(audience.facts_query(pharmacy.id, program, listed))
        found.update((j.external_id, j) for j in map(audience.judged, result))
    unknown = [i for i in patient_ids if i not in found]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise CampaignError(
            f"{len(unknown)} ids in the file are not patients of {pharmacy.name}: {shown}. "
            "Fix the file and try again; nothing was created."
        )
    decided = {f.patient_id: audience.decide(f, today) for f in found.values()}
    doubtful = [patient_id for patient_id, said in decided.items() if said is None]
    judged = _judge_doubtful(session, doubtful, today, program)
    rows: list[dict[str, object]] = []  # recipients, written a chunk at a time
    for external_id in patient_ids:
        patient_id = found[external_id].patient_id
        said = decided[patient_id]
        if said is None:
            verdict_ = judged[patient_id]
            assert verdict_.status is not None
            said = (verdict_.status, verdict_.reason)
        status, reason = said
        rows.append(_recipient(campaign_id, patient_id, status, reason, now))
        if len(rows) >= _CHUNK:
            session.execute(insert(CampaignRecipient), rows)
            rows = []
        created.counts[status.value] += 1
        if status == RecipientStatus.SKIPPED:
            created.skipped.append(f"{external_id}: {reason}")
    if rows:
        session.execute(insert(CampaignRecipient), rows)


# ---------------------------------------------------------------------- running


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
        campaign = _campaign(session, pharmacy_id, name)
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
        campaign = _campaign(session, pharmacy_id, name)
        if campaign.status == CampaignStatus.CANCELLED:
            raise CampaignError(f"Campaign {name!r} is cancelled; it cannot run.")
        if campaign.status == CampaignStatus.DONE:
            return RunResult(stopped="everyone was invited already")
        if campaign.status == CampaignStatus.PAUSED:
            raise CampaignError(f"Campaign {name!r} is paused: resume it first.")
        campaign.status = CampaignStatus.RUNNING
        campaign.updated_at = clock.now()
        _audit(session, actor, "campaign_run", campaign, clock.now())
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
    campaign = _campaign(session, pharmacy_id, name)
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
        campaign = _campaign(session, pharmacy_id, name)
        if campaign.status not in allowed:
            raise CampaignError(
                f"Campaign {name!r} is {campaign.status.value}; it cannot {action}."
            )
        campaign.status = target
        campaign.updated_at = now
        _audit(session, actor, f"campaign_{action}", campaign, now)
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


# ---------------------------------------------------------------------- the report


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
    campaign = _campaign(session, pharmacy_id, name)
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


def list_campaigns(session: Session, pharmacy_id: int) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign).where(Campaign.pharmacy_id == pharmacy_id).order_by(Campaign.id)
        )
    )
