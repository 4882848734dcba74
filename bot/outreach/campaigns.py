"""Invitation campaigns: creating one and choosing who it invites, finding it by name.

A campaign keeps the catalog msgid it sends (so a report can say which text went out) and
one recipient row per patient: the listed patients, each with its verdict, or every eligible
patient not yet invited (bot/outreach/audience.py judges them). Running it is in
bot/outreach/invitations.py, pausing, resuming and cancelling it in
bot/outreach/campaign_status.py, what came of it in bot/outreach/campaign_report.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, func, insert, literal, null, select
from sqlalchemy.orm import Session, selectinload

from bot.outreach import audience
from bot.outreach.audience import Verdict, verdict
from bot.program.plans import pharmacy_program
from dialogs import prompts
from dialogs.plan.model import ProgramSettings
from store.models import AuditEvent, Enrollment, Patient, Pharmacy
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

# Templates a campaign may send, by the name of their msgid in dialogs/prompts.py. The
# invitation is the enrollment dialog's offer: the patient's answer continues that dialog.
TEMPLATES = {"ENROLL_OFFER": prompts.ENROLL_OFFER}
ELIGIBLE_AUDIENCE = "all eligible patients not yet invited"
_CHUNK = 1000  # patients judged, and recipient rows written, at a time


class CampaignError(Exception):
    """Something a person must fix; the message is a plain sentence for staff."""


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


def find_campaign(session: Session, pharmacy_id: int, name: str) -> Campaign:
    """The pharmacy's campaign of that name, or a CampaignError saying there is none."""
    found = session.scalar(
        select(Campaign).where(Campaign.pharmacy_id == pharmacy_id, Campaign.name == name)
    )
    if found is None:
        raise CampaignError(f"No campaign called {name!r}. See `medsync campaign list`.")
    return found


def audit_campaign(
    session: Session, actor: str, action: str, campaign: Campaign, now: dt.datetime, **after: object
) -> None:
    """An audit event for something done to a campaign, on the pharmacy's audit chain."""
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
    audit_campaign(
        session,
        actor,
        "campaign_create",
        campaign,
        now,
        audience=campaign.audience,
        recipients=dict(created.counts),
    )
    return created


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


def list_campaigns(session: Session, pharmacy_id: int) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign).where(Campaign.pharmacy_id == pharmacy_id).order_by(Campaign.id)
        )
    )
