"""PDC for a therapy class (PQA): several drugs of one class count as one supply.

Supplies of the same drug (ingredient) that overlap are shifted forward, as in
dialogs.plan.adherence; supplies of different drugs of the class that overlap cover those
days once (PQA counts a day covered when any drug of the class is on hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from dialogs.plan.adherence import ADHERENT, MIN_DAYS_BEFORE_END, Fill, Pdc, covered_days


def covered_spans(
    fills: Sequence[Fill], start: dt.date, end: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """The (first, last) day spans from `start` to `end` one drug's fills cover, shifted."""
    spans: list[tuple[dt.date, dt.date]] = []
    next_free = start
    for fill in sorted(fills, key=lambda f: f.fill_date):
        begins = max(fill.fill_date, next_free)
        next_free = begins + dt.timedelta(days=fill.days_supply)
        first, last = max(begins, start), min(next_free - dt.timedelta(days=1), end)
        if last >= first:
            spans.append((first, last))
    return spans


def days_in_union(spans: Sequence[tuple[dt.date, dt.date]]) -> int:
    """Days covered by any of the spans, each day once."""
    total = 0
    reach: dt.date | None = None  # the last day counted so far
    for first, last in sorted(spans):
        if reach is not None and first <= reach:
            first = reach + dt.timedelta(days=1)
        if last >= first:
            total += (last - first).days + 1
            reach = last
    return total


def class_pdc(
    fills_by_drug: Mapping[str, Sequence[Fill]],
    period_start: dt.date,
    period_end: dt.date,
    threshold: Decimal = ADHERENT,
) -> Pdc | None:
    """PDC of a class over the fills dispensed from `period_start` to `period_end`.

    None when nothing of the class was dispensed in the period. The index date is the first
    fill of any drug of the class; the patient is in the denominator with fills on two or
    more dates and an index date at least 91 days before the period ends.
    """
    in_period = {
        drug: [f for f in fills if period_start <= f.fill_date <= period_end]
        for drug, fills in fills_by_drug.items()
    }
    all_fills = [f for fills in in_period.values() for f in fills]
    if not all_fills:
        return None
    index_date = min(f.fill_date for f in all_fills)
    drugs = [fills for fills in in_period.values() if fills]
    if len(drugs) == 1:
        days_covered = covered_days(drugs[0], index_date, period_end)
    else:
        days_covered = days_in_union(
            [span for fills in drugs for span in covered_spans(fills, index_date, period_end)]
        )
    return Pdc(
        index_date=index_date,
        period_end=period_end,
        days_in_period=(period_end - index_date).days + 1,
        days_covered=days_covered,
        in_denominator=(
            len({f.fill_date for f in all_fills}) >= 2
            and (period_end - index_date).days >= MIN_DAYS_BEFORE_END
        ),
        threshold=threshold,
    )
