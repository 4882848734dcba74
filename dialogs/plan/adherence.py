"""Proportion of Days Covered (PQA): how much of the time a patient had medicine on hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

MIN_DAYS_BEFORE_END = 91  # index date at least 91 days before the period ends
ADHERENT = Decimal("0.80")
ADHERENT_ANTIRETROVIRAL = Decimal("0.90")


@dataclass(frozen=True)
class Fill:
    fill_date: dt.date
    days_supply: int


@dataclass(frozen=True)
class Pdc:
    index_date: dt.date  # the first fill in the period: the period starts here
    period_end: dt.date
    days_in_period: int
    days_covered: int
    in_denominator: bool  # whether the measure counts this patient at all
    threshold: Decimal

    @property
    def ratio(self) -> Decimal:
        return Decimal(self.days_covered) / Decimal(self.days_in_period)

    @property
    def adherent(self) -> bool:
        return self.ratio >= self.threshold

    @property
    def percent(self) -> Decimal:
        return (self.ratio * 100).quantize(Decimal("0.1"))


def covered_days(fills: Sequence[Fill], start: dt.date, end: dt.date) -> int:
    """Days from `start` to `end` (both included) with medicine on hand.

    A fill before the previous supply runs out starts the day after it does (PQA shifting).
    """
    covered = 0
    next_free = start
    for fill in sorted(fills, key=lambda f: f.fill_date):
        begins = max(fill.fill_date, next_free)
        ends = begins + dt.timedelta(days=fill.days_supply)  # exclusive
        next_free = ends
        first, last = max(begins, start), min(ends - dt.timedelta(days=1), end)
        if last >= first:
            covered += (last - first).days + 1
    return covered


def pdc(
    fills: Sequence[Fill],
    period_end: dt.date,
    period_start: dt.date | None = None,
    threshold: Decimal = ADHERENT,
) -> Pdc | None:
    """PDC for one medicine from its first fill in the period; None when nothing was filled.

    Pass ADHERENT_ANTIRETROVIRAL (or the program's setting) as `threshold` where it applies.
    """
    in_period = [
        f
        for f in fills
        if f.fill_date <= period_end and (period_start is None or f.fill_date >= period_start)
    ]
    if not in_period:
        return None
    index_date = min(f.fill_date for f in in_period)
    distinct_dates = {f.fill_date for f in in_period}
    return Pdc(
        index_date=index_date,
        period_end=period_end,
        days_in_period=(period_end - index_date).days + 1,
        days_covered=covered_days(in_period, index_date, period_end),
        in_denominator=(
            len(distinct_dates) >= 2 and (period_end - index_date).days >= MIN_DAYS_BEFORE_END
        ),
        threshold=threshold,
    )


@dataclass(frozen=True)
class PatientAdherence:
    measured: int  # medicines in the PDC denominator
    lowest: Decimal | None  # the weakest medicine's PDC, the one to talk about
    adherent: bool | None  # every measured medicine at its threshold; None if none measured


def patient_adherence(per_medicine: Sequence[Pdc | None]) -> PatientAdherence:
    """A patient is adherent when every medicine the measure counts is at its threshold."""
    measured = [p for p in per_medicine if p is not None and p.in_denominator]
    if not measured:
        return PatientAdherence(0, None, None)
    return PatientAdherence(
        measured=len(measured),
        lowest=min(p.ratio for p in measured),
        adherent=all(p.adherent for p in measured),
    )
