"""One patient's plan for one anchor day: each medicine's fills, and the trips they make.

Supply is counted on the calendar's anchor dates (the 15th, or every 28 days); what the patient
is handed is given on the real day, the previous open day when the pharmacy is closed. A pickup
moved earlier leaves the patient with supply to spare, never a gap, and no fill grows longer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from dialogs.plan.anchor import DayScore
from dialogs.plan.copay import full_fill_cost, short_fill_charge
from dialogs.plan.cycles import (
    CycleFill,
    anchor_dates,
    cycle_fills,
    cycle_fills_through,
    cycles_per_fill,
    next_anchor,
)
from dialogs.plan.dates import (
    add_months,
    first_anchor_date,
    format_date,
    plural,
    refill_eligible_date,
)
from dialogs.plan.model import Medication, ProgramSettings
from dialogs.plan.open_days import LONGEST_CLOSURE_DAYS, MovedDate, pickup_day
from dialogs.plan.reconcile import Reconciliation, SyncStatus, settle_unit_of_use
from dialogs.plan.renewals import Renewal, renewal_needed
from dialogs.plan.short_fill import (
    ShortFill,
    short_fill,
    supply_start,
    sync_date_for,
    units_for_days,
)
from dialogs.plan.timeline import CycleCalendar, cycle_calendar
from dialogs.plan.trips import (
    FillWindow,
    SyncVisit,
    Trip,
    TripFill,
    fewest_trips,
    group_trips,
    one_visit,
)

NEXT_FILLS_SHOWN = 3
JOINED = (SyncStatus.SYNCED, SyncStatus.ALIGNED_BY_ANCHOR)


@dataclass(frozen=True)
class PlanLine:
    rx_number: str
    drug_name: str
    status: SyncStatus
    reason: str
    due_date: dt.date  # when the last fill runs out, if taken as directed
    sync_date: dt.date | None  # the day of its first regular fill, when it joins the sync
    short_fill: ShortFill | None
    short_fill_cost: Decimal | None  # what the patient pays for the short fill
    full_fill_cost: Decimal  # what the patient pays for a month's supply on the anchor
    anchors_per_fill: int | None  # 3 for a 90-day supply on a monthly cycle
    next_fills: tuple[CycleFill, ...]
    renewal: Renewal | None
    notes: tuple[str, ...]
    # Why the short fill costs what it does, by payer, and a sentence for the patient's
    # estimate when the amount is not assured ("Your plan may charge a full copay...").
    cost_basis: str | None = None
    cost_note: str | None = None


@dataclass(frozen=True)
class DayPlan:
    day: int
    first_anchor: MovedDate  # the first pickup by the calendar and the day it happens
    lines: tuple[PlanLine, ...]
    trips: tuple[Trip, ...]  # every day at the pharmacy through the first synced pickup
    sync_visit: SyncVisit | None  # every short fill on one day; None when none is needed
    first_synced_pickup: dt.date  # from here every medicine is picked up together
    calendar: CycleCalendar  # of the first pickup with regular fills
    pickups: tuple[MovedDate, ...]  # the anchors' pickups through the first synced one

    @property
    def moved_pickups(self) -> tuple[MovedDate, ...]:
        return tuple(p for p in self.pickups if p.moved)

    @property
    def first_synced_anchor(self) -> dt.date:
        """The calendar's anchor of the first synced pickup (which may be a day or two before)."""
        return next(p.planned for p in self.pickups if p.actual == self.first_synced_pickup)

    @property
    def visits_before_sync(self) -> tuple[Trip, ...]:
        """The trips before the first synced pickup (as SyncPlan.visits_before_sync)."""
        return tuple(t for t in self.trips if t.date != self.first_synced_pickup)

    @property
    def short_fills_total(self) -> Decimal:
        return sum(
            (line.short_fill_cost for line in self.lines if line.short_fill_cost is not None),
            Decimal("0.00"),
        )

    def score(self) -> DayScore:
        return DayScore(
            self.day,
            len(self.trips),
            sum(line.short_fill.days for line in self.lines if line.short_fill is not None),
            self.short_fills_total,
            self.first_anchor.actual,
            self.first_synced_pickup,
        )


def first_pickup(day: int, today: dt.date, settings: ProgramSettings) -> MovedDate:
    """The first anchor on `day` whose real pickup day leaves the preparation days."""
    ready = today + dt.timedelta(days=settings.preparation_days)
    planned = first_anchor_date(day, today, settings.preparation_days)
    while True:
        # Supply is counted to `planned`: a pickup after it, even a day, would leave a gap, so
        # one too close to prepare waits for the next anchor.
        actual = settings.open_days.open_on_or_before(planned)
        if actual >= ready:
            return MovedDate(planned, actual, settings.open_days.closed_because(planned) or "")
        # The day of the month sets the first anchor of every cycle: the next month's.
        planned = add_months(planned, 1)


@dataclass(frozen=True)
class _Pending:
    """A medicine before its fills get their days: what it needs, and by when."""

    reconciliation: Reconciliation
    sync_planned: dt.date | None  # the anchor it joins, by the calendar
    sync_actual: dt.date | None  # the day that anchor's pickup happens
    supply_from: dt.date | None  # a short fill's first day; None when none is needed
    windows: tuple[FillWindow, ...]  # fills before the anchor, each to be given a day


def _package_fills(medication: Medication, anchor: dt.date, today: dt.date) -> list[dt.date]:
    """Whole-package fills due before the anchor (an overdue one is filled today)."""
    fills: list[dt.date] = []
    due = supply_start(medication, today)
    while due < anchor:
        fills.append(due)
        due += dt.timedelta(days=medication.days_supply)
    return fills


def _package_key(rx_number: str, n: int) -> str:
    return f"{rx_number}#{n}"


def _pending(
    reconciliation: Reconciliation, first: MovedDate, today: dt.date, settings: ProgramSettings
) -> _Pending:
    medication = reconciliation.medication
    pct = settings.refill_window_pct
    open_days = settings.open_days
    none = _Pending(reconciliation, None, None, None, ())
    if reconciliation.status is SyncStatus.ALIGNED_BY_ANCHOR:
        dues = _package_fills(medication, first.actual, today)
        windows = tuple(
            FillWindow(
                _package_key(medication.rx_number, n),
                max(today, refill_eligible_date(previous, medication.days_supply, pct)),
                pickup_day(due, open_days, today).actual,
            )
            for n, (previous, due) in enumerate(
                zip([medication.last_fill_date, *dues], dues, strict=False)
            )
        )
        return _Pending(reconciliation, first.planned, first.actual, None, windows)
    if reconciliation.status is not SyncStatus.SYNCED:
        return none
    sync_planned = sync_date_for(medication, first.planned, settings.cycle, today)
    sync_actual = open_days.open_on_or_before(sync_planned)
    start = supply_start(medication, today)
    handout = pickup_day(start, open_days, today).actual
    # Closed from today until after the due date: the days until it opens are lost, as they
    # are for an overdue medicine.
    supply_from = max(start, handout)
    if sync_planned <= supply_from:
        return _Pending(reconciliation, sync_planned, sync_actual, None, ())
    earliest = refill_eligible_date(medication.last_fill_date, medication.days_supply, pct)
    window = FillWindow(medication.rx_number, max(today, earliest), handout)
    return _Pending(reconciliation, sync_planned, sync_actual, supply_from, (window,))


def _overdue_note(medication: Medication, today: dt.date) -> tuple[str, ...]:
    due = medication.next_due
    if due >= today:
        return ()
    ago = plural((today - due).days, "day")
    return (
        f"Overdue: ran out {format_date(due)} if taken as directed ({ago} ago); "
        "ask about missed doses.",
    )


def _supply_note(medication: Medication) -> tuple[str, ...]:
    """A last fill whose units run out before its days' supply at the directions' daily
    quantity (the dose went up on a later export, or a typo): the due date counted from the
    days' supply is too late, so the pharmacist checks."""
    daily = medication.daily_quantity
    if daily is None or medication.package is not None or medication.quantity <= 0:
        return ()
    if medication.quantity >= units_for_days(medication.days_supply, daily):
        return ()
    lasts = int(medication.quantity / daily)
    return (
        f"The last fill's {_number(medication.quantity)} units last {plural(lasts, 'day')} at "
        f"{_number(daily)} a day, not its {medication.days_supply} days' supply: check the "
        "directions (a dose change?); it may be due sooner.",
    )


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _handout_note(fill: ShortFill, settings: ProgramSettings, today: dt.date) -> str | None:
    if fill.fill_date >= fill.supply_from:
        return None
    moved = pickup_day(fill.supply_from, settings.open_days, today)
    if moved.moved and fill.fill_date == moved.actual:
        return (
            f"Due {format_date(fill.supply_from)}, {moved.because}, when the pharmacy is "
            f"closed: handed out {format_date(fill.fill_date)}."
        )
    early = plural((fill.supply_from - fill.fill_date).days, "day")
    how = (
        "the claim needs a refill-too-soon override"
        if fill.needs_override
        else "inside the refill window"
    )
    return f"Handed out {format_date(fill.fill_date)} with the other fills, {early} early: {how}."


def _over_maximum(
    fills: Sequence[CycleFill], medication: Medication, settings: ProgramSettings
) -> tuple[str, ...]:
    limit = settings.max_days_for(medication)
    return tuple(
        f"The {format_date(f.fill_date)} fill is {f.days} days, over the {limit}-day maximum "
        "the plan pays for: ask the plan, or choose a cycle that fits."
        for f in fills
        if f.days > limit
    )


def _line(
    pending: _Pending,
    days: Mapping[str, dt.date],
    first: MovedDate,
    today: dt.date,
    settings: ProgramSettings,
    detailed: bool,
) -> PlanLine:
    """The medicine's fills; with `detailed`, its notes and renewal too (the chosen day only:
    the other days are planned to be compared, by their fills)."""
    reconciliation = pending.reconciliation
    medication = reconciliation.medication
    status = reconciliation.status
    line = PlanLine(
        rx_number=medication.rx_number,
        drug_name=medication.drug_name,
        status=status,
        reason=reconciliation.reason,
        due_date=medication.next_due,
        sync_date=None,
        short_fill=None,
        short_fill_cost=None,
        full_fill_cost=full_fill_cost(medication, settings.month_supply_days),
        anchors_per_fill=None,
        next_fills=(),
        renewal=None,
        notes=(_overdue_note(medication, today) + _supply_note(medication)) if detailed else (),
    )
    if pending.sync_planned is None or pending.sync_actual is None:
        return line
    fill: ShortFill | None = None
    charge = None
    if pending.supply_from is not None:
        fill = short_fill(
            medication,
            pending.sync_planned,
            pending.supply_from,
            settings.refill_window_pct,
            fill_on=days[medication.rx_number],
        )
    if fill is not None:
        charge = short_fill_charge(
            medication,
            fill.days,
            settings.month_supply_days,
            state=settings.state,
            sync_laws=settings.sync_laws,
        )
    line = replace(
        line,
        sync_date=pending.sync_actual,
        short_fill=fill,
        short_fill_cost=None if charge is None else charge.patient_pays,
        anchors_per_fill=cycles_per_fill(medication.days_supply, settings.cycle),
        next_fills=tuple(
            cycle_fills(
                pending.sync_planned,
                medication.days_supply,
                settings.cycle,
                NEXT_FILLS_SHOWN,
                settings.max_days_for(medication),
                settings.open_days,
            )
        ),
        cost_basis=None if charge is None else charge.basis,
        cost_note=None if charge is None else charge.note,
    )
    return _with_details(line, pending, days, first, today, settings) if detailed else line


def _with_details(
    line: PlanLine,
    pending: _Pending,
    days: Mapping[str, dt.date],
    first: MovedDate,
    today: dt.date,
    settings: ProgramSettings,
) -> PlanLine:
    """Notes for the pharmacist, and the renewal the planned fills need."""
    medication = pending.reconciliation.medication
    assert pending.sync_planned is not None and line.sync_date is not None
    notes = list(line.notes)
    fill = line.short_fill
    if line.status is SyncStatus.SYNCED:
        fill_dates = [line.sync_date] if fill is None else [fill.fill_date, line.sync_date]
        if pending.sync_planned != first.planned:
            notes.append(
                f"Has supply past the first anchor: joins on {format_date(line.sync_date)}."
            )
    else:
        fill_dates = [*(days[w.key] for w in pending.windows), line.sync_date]
    if fill is not None and (handed := _handout_note(fill, settings, today)) is not None:
        notes.append(handed)
    notes.extend(_over_maximum(line.next_fills, medication, settings))
    check_in = cycle_calendar(line.sync_date, settings, not_before=today).check_in
    return replace(
        line,
        renewal=renewal_needed(medication, fill_dates, check_in, today),
        notes=tuple(notes),
    )


def _trip_fills(
    lines: Sequence[PlanLine],
    pending: Sequence[_Pending],
    days: Mapping[str, dt.date],
    until: dt.date,
    settings: ProgramSettings,
) -> dict[dt.date, list[TripFill]]:
    """What is handed out on each day through `until`: short fills, packages, regular fills."""
    by_day: dict[dt.date, list[TripFill]] = {}
    for line, waiting in zip(lines, pending, strict=True):
        medication = waiting.reconciliation.medication

        def add(day: dt.date, fill: TripFill) -> None:
            if day <= until:
                by_day.setdefault(day, []).append(fill)

        sf = line.short_fill
        if sf is not None:
            day = days.get(line.rx_number, sf.fill_date)
            add(
                day,
                TripFill(
                    line.rx_number,
                    line.drug_name,
                    "short_fill",
                    sf.days,
                    sf.units,
                    day < sf.eligible_on,
                    line.short_fill_cost,
                ),
            )
        elif line.status is SyncStatus.ALIGNED_BY_ANCHOR:
            for window in waiting.windows:
                day = days[window.key]
                add(
                    day,
                    TripFill(
                        line.rx_number,
                        line.drug_name,
                        "package",
                        medication.days_supply,
                        None,
                        day < window.earliest,
                        line.full_fill_cost,
                    ),
                )
        # A package is counted in packages by the pharmacist, not in doses.
        daily = None if medication.package is not None else medication.daily_quantity
        if waiting.sync_planned is None:
            continue
        regulars = cycle_fills_through(
            waiting.sync_planned,
            medication.days_supply,
            settings.cycle,
            until,
            settings.max_days_for(medication),
            settings.open_days,
        )
        for regular in regulars:
            months = cycles_per_fill(regular.days, "monthly")
            add(
                regular.fill_date,
                TripFill(
                    line.rx_number,
                    line.drug_name,
                    "anchor_fill",
                    regular.days,
                    None if daily is None else units_for_days(regular.days, daily),
                    False,
                    line.full_fill_cost * months,
                ),
            )
    return by_day  # fmt: skip


def _first_synced_pickup(lines: Sequence[PlanLine], anchor_days: set[dt.date]) -> dt.date:
    """The first pickup with every medicine: the day the last one joins. A short fill handed out
    on an anchor's pickup joins there (it is picked up with the others)."""
    joined = [
        sf.fill_date
        if (sf := line.short_fill) is not None and sf.fill_date in anchor_days
        else line.sync_date
        for line in lines
        if line.status in JOINED and line.sync_date is not None
    ]
    return max(joined)


def regular_pickups(
    joined: Iterable[tuple[dt.date, Medication, int]], settings: ProgramSettings, through: dt.date
) -> set[dt.date]:
    """The days through `through` on which some medicine has a regular fill; `joined`: each
    medicine in sync as (its planned sync date, the medicine, its largest days' supply)."""
    return {
        fill.fill_date
        for planned, medication, max_days in joined
        for fill in cycle_fills_through(
            planned, medication.days_supply, settings.cycle, through, max_days, settings.open_days
        )
    }


def _anchor_pickups(first: MovedDate, settings: ProgramSettings, through: dt.date) -> set[dt.date]:
    """The real days of the anchor pickups from the first through `through`."""
    # A later anchor moved off a closed day can land on or before `through`: look a closure
    # further (LONGEST_CLOSURE_DAYS) and keep what lands in time.
    horizon = through + dt.timedelta(days=LONGEST_CLOSURE_DAYS)
    pickups = {
        settings.open_days.open_on_or_before(a)
        for a in anchor_dates(first.planned, settings.cycle, horizon)
    }
    return {day for day in pickups if day <= through}


def _pickups_through(
    first: MovedDate, until: dt.date, settings: ProgramSettings, today: dt.date
) -> tuple[MovedDate, ...]:
    """Every anchor's pickup from the first through `until`: the calendar's day and the real one."""
    pickups: list[MovedDate] = []
    planned = first.planned
    while (pickup := pickup_day(planned, settings.open_days, today)).actual <= until:
        pickups.append(pickup)
        planned = next_anchor(planned, settings.cycle)
    return tuple(pickups)


def day_plan(
    day: int,
    reconciliations: Sequence[Reconciliation],
    today: dt.date,
    settings: ProgramSettings,
    detailed: bool = True,
) -> DayPlan:
    """The plan with `day` as the anchor day: lines, trips, the sync visit, the first pickup.

    Without `detailed` the lines lack notes and renewals: enough to compare the days.
    """
    first = first_pickup(day, today, settings)
    settled = [settle_unit_of_use(r, first.actual, today, settings) for r in reconciliations]
    pending = [_pending(r, first, today, settings) for r in settled]
    windows = [w for p in pending for w in p.windows]
    by_key = {w.key: w for w in windows}
    # The anchor pickups where the patient comes anyway, for a medicine already in sync.
    joined = (
        (p.sync_planned, medication, settings.max_days_for(medication))
        for p in pending
        if p.sync_planned is not None
        for medication in (p.reconciliation.medication,)
    )
    fixed = regular_pickups(joined, settings, max((w.latest for w in windows), default=today))
    visit_day, at_visit = one_visit(windows, fixed)
    overrides = sorted(
        {key.split("#")[0] for key, d in at_visit.items() if d < by_key[key].earliest}
    )
    adopted = not overrides or settings.sync_visit_overrides
    days = at_visit if adopted else fewest_trips(windows, fixed)
    lines = tuple(_line(p, days, first, today, settings, detailed) for p in pending)

    last_join = max(line.sync_date for line in lines if line.sync_date is not None)
    anchor_days = _anchor_pickups(first, settings, last_join)
    synced = _first_synced_pickup(lines, anchor_days)
    trips = group_trips(_trip_fills(lines, pending, days, synced, settings), anchor_days)
    visit = None
    if visit_day is not None:
        # The visit as it would be, adopted or not: what is handed out that day.
        visit_fills = _trip_fills(lines, pending, at_visit, visit_day, settings).get(visit_day, [])
        visit = SyncVisit(visit_day, tuple(visit_fills), tuple(overrides), adopted)
    return DayPlan(
        day=day,
        first_anchor=first,
        lines=lines,
        trips=trips,
        sync_visit=visit,
        first_synced_pickup=synced,
        # The check-in before the first pickup that hands out regular fills: the first anchor's,
        # unless every medicine has supply past it.
        calendar=cycle_calendar(
            next(t.date for t in trips if t.on_anchor), settings, not_before=today
        ),
        pickups=_pickups_through(first, synced, settings, today),
    )
