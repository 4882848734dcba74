"""The 28 anchor days compared: each day's trips, short-fill days and cost, worked out lean.

`day_plan(d, ..., detailed=False).score()` is the reference: these are its numbers, without the
plan lines, trips and calendar it builds around them. What does not depend on the day (each
medicine's due date, its handout day and refill window, its charge rule) is worked out once for
the 28 days; tests/plan/test_day_scores.py checks the scores are the same for every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from dialogs.plan.anchor import DayScore
from dialogs.plan.copay import ChargeRule, charge_rule, patient_pays
from dialogs.plan.cycles import NOMINAL_CYCLE_DAYS, anchor_on_or_after
from dialogs.plan.dates import LAST_ANCHOR_DAY, refill_eligible_date
from dialogs.plan.day_plan import _anchor_pickups, _pending, day_plan, first_pickup, regular_pickups
from dialogs.plan.model import Medication, ProgramSettings
from dialogs.plan.open_days import LONGEST_CLOSURE_DAYS, OpenDays, pickup_day
from dialogs.plan.reconcile import Reconciliation, SyncStatus, settle_unit_of_use
from dialogs.plan.short_fill import days_per_unit, supply_start, units_for_days
from dialogs.plan.trips import FillWindow, fewest_trips, one_visit


class _ShortFillable(NamedTuple):
    """A synced medicine's facts that do not depend on the day (day_plan's `_pending` and
    `short_fill` work them out again for every day)."""

    medication: Medication
    start: dt.date  # its due date, or today when overdue
    supply_from: dt.date  # a short fill's first day (the handout, when closed until after)
    window: FillWindow  # the short fill's window, when it needs one
    days_per_unit: int | None  # a weekly dose's: its short fill bills whole units' days
    max_days: int
    rule: ChargeRule  # how its payer charges a short fill


def _short_fillable(
    medication: Medication, today: dt.date, settings: ProgramSettings
) -> _ShortFillable:
    start = supply_start(medication, today)
    handout = pickup_day(start, settings.open_days, today).actual
    earliest = refill_eligible_date(
        medication.last_fill_date, medication.days_supply, settings.refill_window_pct
    )
    assert medication.daily_quantity is not None  # reconcile syncs none without one
    return _ShortFillable(
        medication,
        start,
        max(start, handout),
        FillWindow(medication.rx_number, max(today, earliest), handout),
        days_per_unit(medication.daily_quantity),
        settings.max_days_for(medication),
        charge_rule(medication, settings.state, settings.sync_laws),
    )


class _Joining(NamedTuple):
    """One medicine on one day: the anchor it joins, and its short fill's window if any."""

    medication: Medication
    max_days: int
    sync_planned: dt.date
    sync_actual: dt.date
    windows: tuple[FillWindow, ...]  # a short fill's, or a package's before the anchor
    short: _ShortFillable | None  # set when it is short-filled


def day_scores(
    reconciliations: Sequence[Reconciliation], today: dt.date, settings: ProgramSettings
) -> dict[int, DayScore]:
    """`day_plan(d, reconciliations, today, settings, detailed=False).score()` for d in 1-28."""
    days = range(1, LAST_ANCHOR_DAY + 1)
    if not _no_long_closures(reconciliations, today, settings):
        # day_plan raises for a pharmacy closed for weeks: the reference says where.
        return {
            d: day_plan(d, reconciliations, today, settings, detailed=False).score() for d in days
        }
    synced = {
        n: _short_fillable(r.medication, today, settings)
        for n, r in enumerate(reconciliations)
        if r.status is SyncStatus.SYNCED
    }
    return {d: _score(d, reconciliations, synced, today, settings) for d in days}


def _score(
    day: int,
    reconciliations: Sequence[Reconciliation],
    synced: dict[int, _ShortFillable],
    today: dt.date,
    settings: ProgramSettings,
) -> DayScore:
    first = first_pickup(day, today, settings)
    cycle, open_days = settings.cycle, settings.open_days
    joining: list[_Joining] = []
    for n, reconciliation in enumerate(reconciliations):
        sf = synced.get(n)
        if sf is not None:
            planned = anchor_on_or_after(first.planned, cycle, sf.start)
            needs_fill = planned > sf.supply_from
            joining.append(
                _Joining(
                    sf.medication,
                    sf.max_days,
                    planned,
                    open_days.open_on_or_before(planned),
                    (sf.window,) if needs_fill else (),
                    sf if needs_fill else None,
                )
            )
            continue
        settled = settle_unit_of_use(reconciliation, first.actual, today, settings)
        if settled.status is not SyncStatus.ALIGNED_BY_ANCHOR:
            continue  # nothing handed out before the sync, and it joins none
        pending = _pending(settled, first, today, settings)
        assert pending.sync_planned is not None and pending.sync_actual is not None
        medication = settled.medication
        joining.append(
            _Joining(
                medication,
                settings.max_days_for(medication),
                pending.sync_planned,
                pending.sync_actual,
                pending.windows,
                None,
            )
        )
    if not joining:  # no medicine joins: day_plan says why (the eligibility check does first)
        return day_plan(day, reconciliations, today, settings, detailed=False).score()

    windows = [w for j in joining for w in j.windows]
    # The regular fills' days through the last window (where the patient comes anyway) and
    # through the first synced pickup, which is no later than the last medicine's anchor.
    last_window = max((w.latest for w in windows), default=today)
    last_join = max(j.sync_actual for j in joining)
    in_sync = ((j.sync_planned, j.medication, j.max_days) for j in joining)
    regulars = regular_pickups(in_sync, settings, max(last_window, last_join))
    fixed = {d for d in regulars if d <= last_window}
    _, at_visit = one_visit(windows, fixed)
    earliest = {w.key: w.earliest for w in windows}
    overrides = any(d < earliest[key] for key, d in at_visit.items())
    handed = (
        at_visit if not overrides or settings.sync_visit_overrides else fewest_trips(windows, fixed)
    )

    anchor_days = _anchor_pickups(first, settings, last_join)
    short_days = 0
    cost = Decimal("0.00")
    joined: list[dt.date] = []
    for j in joining:
        sf = j.short
        if sf is None:
            joined.append(j.sync_actual)
            continue
        fill_date = handed[j.medication.rx_number]
        billed = _billed_days((j.sync_planned - sf.supply_from).days, sf)
        short_days += billed
        cost += patient_pays(sf.medication, sf.rule, billed, settings.month_supply_days)
        joined.append(fill_date if fill_date in anchor_days else j.sync_actual)
    synced_on = max(joined)

    trips = {handed[w.key] for w in windows if handed[w.key] <= synced_on}
    trips.update(d for d in regulars if d <= synced_on)
    return DayScore(day, len(trips), short_days, cost, first.actual, synced_on)


def _no_long_closures(
    reconciliations: Sequence[Reconciliation], today: dt.date, settings: ProgramSettings
) -> bool:
    """Whether the pharmacy is open at least every LONGEST_CLOSURE_DAYS + 1 days over every date
    a day plan may look at, so that no day plan raises for a closure the scores do not read."""
    open_days = settings.open_days
    if open_days.never_closed:
        return True
    # Generous bounds: the staff's days before the first pickup; the first pickup (a month
    # later when too close), each medicine's due date, the anchor it joins and four fills on.
    longest_fill = max(settings.max_days_supply, *NOMINAL_CYCLE_DAYS.values())
    starts = [supply_start(r.medication, today) for r in reconciliations]
    latest_first = today + dt.timedelta(days=settings.preparation_days + 62)
    lowest = today - dt.timedelta(
        days=max(settings.call_list_days_before, settings.preparation_days)
        + 2 * LONGEST_CLOSURE_DAYS
    )
    highest = max(latest_first, *starts) + dt.timedelta(
        days=max(NOMINAL_CYCLE_DAYS.values()) + 4 * longest_fill + 2 * LONGEST_CLOSURE_DAYS
    )
    return not any(
        _closed_for_weeks(open_days, year) for year in range(lowest.year, highest.year + 1)
    )


@lru_cache(maxsize=256)
def _closed_for_weeks(open_days: OpenDays, year: int) -> bool:
    """Whether a run of more than LONGEST_CLOSURE_DAYS closed days touches `year`."""
    day = dt.date(year, 1, 1) - dt.timedelta(days=LONGEST_CLOSURE_DAYS + 1)
    last = dt.date(year, 12, 31) + dt.timedelta(days=LONGEST_CLOSURE_DAYS + 1)
    run = 0
    while day <= last:
        run = 0 if open_days.is_open(day) else run + 1
        if run > LONGEST_CLOSURE_DAYS:
            return True
        day += dt.timedelta(days=1)
    return False


def _billed_days(days: int, sf: _ShortFillable) -> int:
    """`short_fill(...).days`: the days, or whole units' days for a weekly dose."""
    if sf.days_per_unit is None:
        return days
    assert sf.medication.daily_quantity is not None
    return units_for_days(days, sf.medication.daily_quantity) * sf.days_per_unit
