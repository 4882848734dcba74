"""Adherence before and after med sync: PQA Proportion of Days Covered per therapy class.

Definitions (docs/ADHERENCE.md):

- A patient is *enrolled* when their enrollment is active; their *enrollment date* is the
  day (in the pharmacy's time zone) of their latest `enrollment_accepted` consent.
- For an enrolled patient whose enrollment date E falls inside [start, end]:
  *before* is the PDC over the fills dispensed from `start` to E - 1, *after* the PDC over
  the fills dispensed from E to `end`. E before `start`: no *before*; E after `end`: the
  patient counts as not enrolled.
- For everyone else *before* is the PDC over [start, end] and *after* is None.
- Each PDC follows PQA: the period runs from the first fill of the class in it (index
  date) to its end; overlapping supplies of one drug are shifted forward, different drugs
  of the class cover a day once; a patient with fills on fewer than two dates or an index
  date less than 91 days before the period's end is not measurable (None). A patient with a
  fill that the class excludes (insulin for diabetes, sacubitril/valsartan for RAS
  antagonists) in the period is left out of that class.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.program import therapy_classes
from dialogs.plan.adherence import ADHERENT
from dialogs.plan.adherence import Fill as SupplyFill
from dialogs.plan.class_pdc import class_pdc
from store.fills import COUNTED, Fill
from store.models import (
    ConsentEvent,
    ConsentKind,
    Enrollment,
    EnrollmentStatus,
    Patient,
    Pharmacy,
    Prescription,
)

ADHERENT_PERCENT = ADHERENT * 100  # 80
BUCKETS: tuple[tuple[str, Decimal], ...] = (
    ("0-49", Decimal(50)),
    ("50-59", Decimal(60)),
    ("60-69", Decimal(70)),
    ("70-79", Decimal(80)),
    ("80-89", Decimal(90)),
    ("90-100", Decimal(1000)),
)
WHICH = ("before", "after")


@dataclass(frozen=True)
class PatientClassPdc:
    patient_id: int
    external_id: str
    therapy_class: str  # e.g. "statins"
    before: Decimal | None  # PDC percent 0-100 (one decimal) before enrollment; None: unmeasurable
    after: Decimal | None  # PDC percent after enrollment; None for non-enrolled or not measurable


@dataclass(frozen=True)
class ProgramAdherence:
    start: dt.date
    end: dt.date
    rows: list[PatientClassPdc]

    def _values(self, which: str, therapy_class: str | None = None) -> list[Decimal]:
        if which not in WHICH:
            raise ValueError(f"which must be 'before' or 'after', not {which!r}")
        values = (
            getattr(row, which)
            for row in self.rows
            if therapy_class is None or row.therapy_class == therapy_class
        )
        return [v for v in values if v is not None]

    def share_adherent(self, which: str, therapy_class: str | None = None) -> Decimal | None:
        """Percent (one decimal) of the measurable rows with PDC >= 80; None if none."""
        values = self._values(which, therapy_class)
        if not values:
            return None
        adherent = sum(1 for v in values if v >= ADHERENT_PERCENT)
        return (Decimal(adherent) * 100 / Decimal(len(values))).quantize(Decimal("0.1"))

    def distribution(self, which: str) -> list[tuple[str, int]]:
        """Measurable rows per PDC bucket: 0-49, 50-59, 60-69, 70-79, 80-89, 90-100."""
        counts = dict.fromkeys((name for name, _ in BUCKETS), 0)
        for value in self._values(which):
            name = next(name for name, below in BUCKETS if value < below)
            counts[name] += 1
        return list(counts.items())

    def classes(self) -> list[str]:
        """The therapy classes present, in the table's order."""
        order = therapy_classes.class_order()
        return sorted({row.therapy_class for row in self.rows}, key=lambda c: order.get(c, 99))


@dataclass(frozen=True)
class ClassFill:
    therapy_class: str
    ingredient: str
    fill_date: dt.date
    days_supply: int


def _percent(
    fills: Sequence[ClassFill], period_start: dt.date, period_end: dt.date
) -> Decimal | None:
    if period_end < period_start:
        return None
    by_drug: dict[str, list[SupplyFill]] = defaultdict(list)
    for f in fills:
        by_drug[f.ingredient].append(SupplyFill(f.fill_date, f.days_supply))
    result = class_pdc(by_drug, period_start, period_end)
    if result is None or not result.in_denominator:
        return None
    return result.percent


def class_fills(
    rows: Iterable[tuple[str, dt.date, int]], start: dt.date, end: dt.date
) -> dict[str, list[ClassFill]]:
    """(drug name, fill date, days' supply) rows -> the measured fills per therapy class.

    A class the table excludes for this patient (a fill of insulin for diabetes...) in
    [start, end] is left out.
    """
    rows = list(rows)
    per_class: dict[str, list[ClassFill]] = defaultdict(list)
    excluded: set[str] = set()
    for drug_name, fill_date, days_supply in rows:
        for match in therapy_classes.classify(drug_name):
            per_class[match.therapy_class].append(
                ClassFill(match.therapy_class, match.ingredient, fill_date, days_supply)
            )
    for drug_name in {name for name, fill_date, _ in rows if start <= fill_date <= end}:
        excluded |= {c for c in per_class if therapy_classes.excludes(c, drug_name)}
    return {c: fills for c, fills in per_class.items() if c not in excluded}


def patient_class_pdc(
    patient_id: int,
    external_id: str,
    fills: dict[str, list[ClassFill]],
    start: dt.date,
    end: dt.date,
    enrolled_on: dt.date | None,
) -> list[PatientClassPdc]:
    """Before/after PDC per class for one patient, by the definitions above."""
    rows = []
    order = therapy_classes.class_order()
    for therapy_class in sorted(fills, key=lambda c: order.get(c, 99)):
        class_rows = fills[therapy_class]
        if not any(start <= f.fill_date <= end for f in class_rows):
            continue
        if enrolled_on is None or enrolled_on > end:
            before, after = _percent(class_rows, start, end), None
        else:
            before = _percent(class_rows, start, enrolled_on - dt.timedelta(days=1))
            after = _percent(class_rows, max(start, enrolled_on), end)
        rows.append(PatientClassPdc(patient_id, external_id, therapy_class, before, after))
    return rows


def enrollment_dates(
    session: Session, pharmacy_id: int, patient_ids: Iterable[int] | None = None
) -> dict[int, dt.date]:
    """Active patients -> the local date of their latest enrollment consent."""
    tz = ZoneInfo(session.get_one(Pharmacy, pharmacy_id).timezone)
    query = (
        select(ConsentEvent.patient_id, func.max(ConsentEvent.created_at))
        .join(Enrollment, Enrollment.patient_id == ConsentEvent.patient_id)
        .join(Patient, Patient.id == ConsentEvent.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy_id,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            ConsentEvent.kind == ConsentKind.ENROLLMENT_ACCEPTED,
        )
        .group_by(ConsentEvent.patient_id)
    )
    if patient_ids is not None:
        query = query.where(ConsentEvent.patient_id.in_(list(patient_ids)))
    return {pid: at.astimezone(tz).date() for pid, at in session.execute(query)}


def _fill_rows(
    session: Session, pharmacy_id: int, start: dt.date, end: dt.date, patient_id: int | None
) -> dict[tuple[int, str], list[tuple[str, dt.date, int]]]:
    query = (
        select(
            Patient.id,
            Patient.external_id,
            Prescription.drug_name,
            Fill.fill_date,
            Fill.days_supply,
        )
        .join(Patient, Patient.id == Fill.patient_id)
        .join(
            Prescription,
            and_(
                Prescription.patient_id == Fill.patient_id,
                Prescription.rx_number == Fill.rx_number,
            ),
        )
        .where(
            Patient.pharmacy_id == pharmacy_id,
            Fill.fill_date.between(start, end),
            # Reversed fills and fills returned to stock were never the patient's supply.
            Fill.state.in_(COUNTED),
        )
        .order_by(Patient.external_id, Fill.fill_date)
    )
    if patient_id is not None:
        query = query.where(Patient.id == patient_id)
    per_patient: dict[tuple[int, str], list[tuple[str, dt.date, int]]] = defaultdict(list)
    for pid, external_id, drug_name, fill_date, days_supply in session.execute(query):
        per_patient[(pid, external_id)].append((drug_name, fill_date, days_supply))
    return per_patient


def program_adherence(
    session: Session, pharmacy_id: int, start: dt.date, end: dt.date
) -> ProgramAdherence:
    """Every patient of the pharmacy with a fill of a therapy class from `start` to `end`."""
    if end < start:
        raise ValueError("The period's end is before its start.")
    enrolled = enrollment_dates(session, pharmacy_id)
    rows: list[PatientClassPdc] = []
    for (pid, external_id), fill_rows in _fill_rows(session, pharmacy_id, start, end, None).items():
        fills = class_fills(fill_rows, start, end)
        rows += patient_class_pdc(pid, external_id, fills, start, end, enrolled.get(pid))
    return ProgramAdherence(start=start, end=end, rows=rows)


def patient_adherence(
    session: Session, patient: Patient, start: dt.date, end: dt.date
) -> list[PatientClassPdc]:
    """One patient's rows (for `medsync adherence` and outreach priority)."""
    enrolled = enrollment_dates(session, patient.pharmacy_id, [patient.id])
    fill_rows = _fill_rows(session, patient.pharmacy_id, start, end, patient.id)
    fills = class_fills(fill_rows.get((patient.id, patient.external_id), []), start, end)
    return patient_class_pdc(
        patient.id, patient.external_id, fills, start, end, enrolled.get(patient.id)
    )
