"""Choosing the anchor day: the day of the month the patient picks up everything."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from dialogs.plan.dates import (
    LAST_ANCHOR_DAY,
    check_anchor_day,
    first_anchor_date,
    format_date,
    ordinal,
    plural,
)
from dialogs.plan.model import Medication, ProgramSettings
from dialogs.plan.reconcile import Reconciliation, SyncStatus
from dialogs.plan.short_fill import supply_start, sync_date_for
from dialogs.plan.unit_of_use import projected_due

ALTERNATIVES_SHOWN = 3


class DayScore(NamedTuple):
    """What getting in sync on a day costs the patient, compared day against day."""

    day: int
    trips: int  # days at the pharmacy until every medicine is picked up together
    short_fill_days: int  # days' supply of all the short fills
    cost: Decimal  # the patient's cost of the short fills
    first_anchor: dt.date  # the first pickup on that day
    first_synced_pickup: dt.date  # the first pickup with every medicine

    @property
    def rank(self) -> tuple[int, int, Decimal, dt.date, int]:
        # Trips first (each is a journey for the patient), then the short-fill days, the cost,
        # the sooner synced pickup, and no first anchor with nothing to pick up.
        empty = (self.first_synced_pickup - self.first_anchor).days
        return (self.trips, self.short_fill_days, self.cost, self.first_synced_pickup, empty)


@dataclass(frozen=True)
class AnchorRecommendation:
    day: int  # 1-28
    reason: str
    total_short_fill_days: int
    alternatives: tuple[DayScore, ...]  # the next best days, fewest trips first
    trips: int = 0  # trips to get in sync on the recommended day (0: not worked out)


def total_short_fill_days(
    day: int, medications: Sequence[Medication], today: dt.date, settings: ProgramSettings
) -> int:
    """Days of short fills needed to bring every medicine onto anchor `day`."""
    first = first_anchor_date(day, today, settings.preparation_days)
    return sum(
        (sync_date_for(m, first, settings.cycle, today) - supply_start(m, today)).days
        for m in medications
    )


def _day_for(due: dt.date, short_fillable: bool) -> tuple[int, str]:
    """The anchor day for a due date, with a note when the date is the 29th-31st."""
    if due.day <= LAST_ANCHOR_DAY:
        return due.day, ""
    if short_fillable:
        # The 1st after the due date keeps "nothing runs out early": a 1-3 day short fill.
        return 1, (
            f" It falls on the {ordinal(due.day)}, and pickups are on days 1-28 so every month "
            "has one: the 1st, so nothing runs out early."
        )
    # A package cannot be short-filled, but dispensing it 1-3 days early is inside any window.
    return LAST_ANCHOR_DAY, (
        f" It falls on the {ordinal(due.day)}, and pickups are on days 1-28 so every month has "
        f"one: the {ordinal(LAST_ANCHOR_DAY)}, a whole package a few days early."
    )


def _cost_rank(medication: Medication) -> tuple[Decimal, str]:
    # The drug's own cost when the export has it, else the patient's copay as the best proxy.
    monthly = medication.cost_per_day * 30 if medication.cost_per_day else medication.copay
    return (monthly, medication.rx_number)


def _follow_package(
    packages: Sequence[Medication], today: dt.date, earliest: dt.date, forced: bool
) -> tuple[int, str]:
    package = max(packages, key=_cost_rank)
    due = projected_due(package, today, earliest)
    day, note = _day_for(due, short_fillable=False)
    why = (
        " Fewer than two medicines can be short-filled, so the anchor follows the package."
        if forced
        else ""
    )
    return day, (
        f"The {ordinal(day)}: {package.drug_name} is a unit-of-use package that cannot be "
        f"short-filled and is next due {format_date(due)}.{note}{why}"
    )


def _most_common_due(short: Sequence[Medication], today: dt.date) -> tuple[int, str]:
    starts = [supply_start(m, today) for m in short]
    counts = Counter(d.day for d in starts)
    # Ties go to the latest date: fewer medicines run out before the first pickup.
    best = max(starts, key=lambda d: (counts[d.day], d))
    day, note = _day_for(best, short_fillable=True)
    return day, (
        f"The {ordinal(day)}: {counts[best.day]} of {len(short)} medicines are due on the "
        f"{ordinal(best.day)}.{note}"
    )


def _costliest_due(
    short: Sequence[Medication], today: dt.date, earliest: dt.date
) -> tuple[int, str]:
    costliest = max(short, key=_cost_rank)
    due = projected_due(costliest, today, earliest)
    day, note = _day_for(due, short_fillable=True)
    return day, (
        f"The {ordinal(day)}: {costliest.drug_name}, the costliest medicine, is due "
        f"{format_date(due)}; the anchor follows it so it is not short-filled.{note}"
    )


def _latest_due(
    short: Sequence[Medication], today: dt.date, earliest: dt.date, preparation_days: int
) -> tuple[int, str]:
    latest = max(short, key=lambda m: (supply_start(m, today), m.rx_number))
    latest_due = supply_start(latest, today)
    if latest_due < earliest:
        day, note = _day_for(earliest, short_fillable=True)
        return day, (
            f"The {ordinal(day)}: every medicine is due by {format_date(latest_due)}, and "
            f"the pharmacy needs {preparation_days} days to have fills ready.{note}"
        )
    day, note = _day_for(latest_due, short_fillable=True)
    return day, (
        f"The {ordinal(day)}: the latest next due date ({latest.drug_name}, "
        f"{format_date(latest_due)}), so no medicine runs out before the first pickup.{note}"
    )


def _fewest_trips(scores: Mapping[int, DayScore]) -> tuple[int, str]:
    best = min(scores.values(), key=lambda s: s.rank)
    trips = plural(best.trips, "trip")
    return best.day, (
        f"The {ordinal(best.day)}: {trips} to get in sync, the fewest of any day "
        "(then the fewest short-fill days, then the lowest cost)."
    )


def _short_fill_scores(
    short: Sequence[Medication], today: dt.date, settings: ProgramSettings
) -> dict[int, DayScore]:
    """Scores from the short-fill days alone, for callers that have no day plans."""
    return {
        d: DayScore(
            d,
            0,
            total_short_fill_days(d, short, today, settings),
            Decimal(0),
            first := first_anchor_date(d, today, settings.preparation_days),
            first,
        )
        for d in range(1, LAST_ANCHOR_DAY + 1)
    }


def recommend_anchor(
    reconciliations: Sequence[Reconciliation],
    today: dt.date,
    settings: ProgramSettings,
    preferred_day: int | None = None,
    scores: Mapping[int, DayScore] | None = None,
) -> AnchorRecommendation:
    """The anchor day MedSync suggests, why, and the next best days.

    `scores` (every day 1-28, from the day plans) ranks the alternatives by trips, short-fill
    days and cost, and is what the `fewest_trips` policy chooses by; without them the days
    are ranked by short-fill days alone.
    """
    short = [r.medication for r in reconciliations if r.status is SyncStatus.SYNCED]
    packages = [
        r.medication
        for r in reconciliations
        if r.status in (SyncStatus.FLAG_UNIT_OF_USE, SyncStatus.ALIGNED_BY_ANCHOR)
    ]
    earliest = today + dt.timedelta(days=settings.preparation_days)
    policy = settings.anchor_policy

    ranked = scores if scores is not None else _short_fill_scores(short, today, settings)
    if preferred_day is not None:
        day = check_anchor_day(preferred_day)
        reason = f"The {ordinal(day)}: the patient's preferred day."
    elif packages and (policy == "unit_of_use_or_costliest" or len(short) < 2):
        forced = policy != "unit_of_use_or_costliest"
        day, reason = _follow_package(packages, today, earliest, forced)
    elif not short:
        day = earliest.day if earliest.day <= LAST_ANCHOR_DAY else 1
        reason = f"The {ordinal(day)}: the first day the pharmacy can have fills ready."
    elif policy == "fewest_trips":
        day, reason = _fewest_trips(ranked)
    elif policy == "most_common_due":
        day, reason = _most_common_due(short, today)
    elif policy == "unit_of_use_or_costliest":
        day, reason = _costliest_due(short, today, earliest)
    else:
        day, reason = _latest_due(short, today, earliest, settings.preparation_days)

    chosen = ranked[day]
    others = sorted((s for s in ranked.values() if s.day != day), key=lambda s: s.rank)
    in_all = "No short fills needed."
    if chosen.short_fill_days:
        in_all = f"{plural(chosen.short_fill_days, 'short-fill day')} in all."
    return AnchorRecommendation(
        day=day,
        reason=f"{reason} {in_all}",
        total_short_fill_days=chosen.short_fill_days,
        alternatives=tuple(others[:ALTERNATIVES_SHOWN]),
        trips=chosen.trips,
    )
