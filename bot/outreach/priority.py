"""Who to invite first: a score per candidate, and the reasons for it in one line.

The weights are here and only here (documented in docs/OUTREACH_PRIORITY.md):

- each maintenance medicine in the program (synced, or a unit-of-use package, or one the
  pharmacist must check): +1, because more medicines mean more trips and more to miss;
- each therapy class whose PDC over the last year is below 80% (from the fills file): +3,
  because low adherence is what med sync improves most;
- each separate pharmacy trip beyond the first that the patient's due dates need in the
  next 30 days: +1 (3 trips: +2).

Candidates are the patients a campaign could invite now: eligible for med sync, not
enrolled or waiting in the program, not opted out, not in their quiet time after declining,
and neither invited by nor waiting in another campaign that is not cancelled. Import flags
(mail order, 340B) are not scored: the export has no such columns yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.outreach.audience import enrollments_at, verdict
from bot.program import therapy_classes
from bot.program.adherence import ADHERENT_PERCENT, program_adherence
from bot.program.plans import medication, program_settings
from dialogs.plan.model import PlanError
from dialogs.plan.reconcile import SyncStatus, reconcile_all
from store.models import Patient, Pharmacy
from store.outreach import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus

WEIGHT_PER_MEDICINE = 1
WEIGHT_PER_LOW_PDC_CLASS = 3
WEIGHT_PER_EXTRA_TRIP = 1
WEIGHT_MAIL_ORDER = 2  # the export's mail_order flag on any medicine in the program
WEIGHT_340B = 1  # the export's program_340b flag on any medicine in the program
ADHERENCE_LOOKBACK_DAYS = 365  # the PDC period: the year up to today
TRIP_WINDOW_DAYS = 30  # due dates counted as separate trips: today and the next 29 days
IN_PROGRAM_STATUSES = (SyncStatus.SYNCED, SyncStatus.FLAG_UNIT_OF_USE, SyncStatus.NEEDS_REVIEW)
# Recipients of a campaign that is not cancelled who are still to be invited (or called).
WAITING = (RecipientStatus.PENDING, RecipientStatus.LANDLINE)


@dataclass(frozen=True)
class Reason:
    text: str  # "4 maintenance medicines"
    points: int

    def __str__(self) -> str:
        return f"{self.text} (+{self.points})"


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    external_id: str
    name: str
    score: int
    reasons: tuple[Reason, ...]

    @property
    def explanation(self) -> str:
        return "; ".join(str(r) for r in self.reasons if r.points) or "no priority factors"


def score(
    maintenance: int,
    low_pdc: list[tuple[str, Decimal]],
    trips: int,
    mail_order: int = 0,
    program_340b: int = 0,
) -> tuple[int, tuple[Reason, ...]]:
    """The score and its reasons from the factors (pure, for the tests and the docs); the
    last two count the program's medicines the export flags as mail order and 340B."""
    reasons = [
        Reason(
            f"{maintenance} maintenance medicine{'s' if maintenance != 1 else ''}",
            maintenance * WEIGHT_PER_MEDICINE,
        )
    ]
    for therapy_class, percent in low_pdc:
        shown = percent.quantize(Decimal(1), rounding=ROUND_DOWN)  # 79.9 is not "80"
        reasons.append(
            Reason(f"{therapy_classes.short(therapy_class)} PDC {shown}%", WEIGHT_PER_LOW_PDC_CLASS)
        )
    if trips > 1:
        reasons.append(
            Reason(f"{trips} separate trips a month", (trips - 1) * WEIGHT_PER_EXTRA_TRIP)
        )
    if mail_order:
        noun = "medicine" if mail_order == 1 else "medicines"
        reasons.append(Reason(f"{mail_order} {noun} by mail order", WEIGHT_MAIL_ORDER))
    if program_340b:
        noun = "medicine" if program_340b == 1 else "medicines"
        reasons.append(Reason(f"{program_340b} 340B {noun}", WEIGHT_340B))
    return sum(r.points for r in reasons), tuple(reasons)


def trips_needed(due_dates: list[dt.date], today: dt.date) -> int:
    """Separate pickups the due dates need in the next TRIP_WINDOW_DAYS (overdue: today)."""
    last = today + dt.timedelta(days=TRIP_WINDOW_DAYS - 1)
    return len({max(d, today) for d in due_dates if d <= last})


def candidates(
    session: Session, pharmacy: Pharmacy, today: dt.date, top: int | None = None
) -> list[Candidate]:
    """The pharmacy's candidates for an invitation on `today` (the pharmacy's date), highest
    score first, then by patient id; the first `top` of them when given."""
    patients = session.scalars(
        select(Patient)
        .where(Patient.pharmacy_id == pharmacy.id)
        .options(selectinload(Patient.prescriptions), selectinload(Patient.pharmacy))
        .order_by(Patient.external_id)
    ).all()
    enrollments = enrollments_at(session, pharmacy.id)
    invited = set(
        session.scalars(
            select(CampaignRecipient.patient_id)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(
                Campaign.pharmacy_id == pharmacy.id,
                (CampaignRecipient.status == RecipientStatus.INVITED)
                | (
                    CampaignRecipient.status.in_(WAITING)
                    & (Campaign.status != CampaignStatus.CANCELLED)
                ),
            )
        )
    )
    start = today - dt.timedelta(days=ADHERENCE_LOOKBACK_DAYS - 1)
    low: dict[int, list[tuple[str, Decimal]]] = {}
    for row in program_adherence(session, pharmacy.id, start, today).rows:
        if row.before is not None and row.before < ADHERENT_PERCENT:
            low.setdefault(row.patient_id, []).append((row.therapy_class, row.before))
    found: list[Candidate] = []
    for patient in patients:
        if patient.id in invited:
            continue
        judged = verdict(patient, enrollments.get(patient.id), today)
        if judged.status not in (RecipientStatus.PENDING, RecipientStatus.LANDLINE):
            continue
        try:
            meds = [medication(rx) for rx in patient.prescriptions if rx.active]
        except PlanError:
            continue  # verdict() has already left these out; kept for the type checker
        in_program = [
            r.medication
            for r in reconcile_all(meds, program_settings(patient))
            if r.status in IN_PROGRAM_STATUSES
        ]
        due = [m.last_fill_date + dt.timedelta(days=m.days_supply) for m in in_program]
        in_program_rx = {m.rx_number for m in in_program}
        rxs = [rx for rx in patient.prescriptions if rx.rx_number in in_program_rx]
        total, reasons = score(
            len(in_program),
            low.get(patient.id, []),
            trips_needed(due, today),
            mail_order=sum(rx.mail_order for rx in rxs),
            program_340b=sum(rx.program_340b for rx in rxs),
        )
        found.append(
            Candidate(
                patient.id,
                patient.external_id,
                f"{patient.first_name} {patient.last_name}",
                total,
                reasons,
            )
        )
    found.sort(key=lambda c: (-c.score, c.external_id))
    return found if top is None else found[:top]
