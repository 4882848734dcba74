"""Invariants of the plan arithmetic, checked on generated patients."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.plan.adherence import Fill, pdc
from dialogs.plan.copay import prorated_copay
from dialogs.plan.cycles import cycle_fills
from dialogs.plan.dates import first_anchor_date, refill_eligible_date
from dialogs.plan.day_plan import first_pickup
from dialogs.plan.model import AnchorPolicy, Cycle, Medication, ProgramSettings
from dialogs.plan.open_days import OpenDays
from dialogs.plan.plan import SyncPlan, build_plan
from dialogs.plan.reconcile import SyncStatus
from dialogs.plan.short_fill import units_for_days
from dialogs.plan.unit_of_use import projected_due
from tests.plan.factories import med

FAST = settings(max_examples=150, deadline=None)

todays = st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31))
anchor_days = st.integers(1, 28)
dailies = st.sampled_from(
    [Decimal("0.5"), Decimal(1), Decimal(2), Decimal(3), Decimal("0.142857"), Decimal("0.25")]
)
supplies = st.sampled_from([7, 14, 28, 30, 31, 60, 90]) | st.integers(1, 120)


@st.composite
def program_settings(draw: st.DrawFn) -> ProgramSettings:
    cycle = draw(st.sampled_from(get_args(Cycle)))
    return ProgramSettings(
        preparation_days=draw(st.integers(0, 7)),
        refill_window_pct=draw(st.integers(75, 90)),
        anchor_policy=draw(st.sampled_from(get_args(AnchorPolicy))),
        cycle=cycle,
        max_days_supply=draw(st.integers(91 if cycle == "91_day" else 28, 120)),
        sync_visit_overrides=draw(st.booleans()),
        open_days=draw(open_days),
    )


open_days = st.builds(
    OpenDays,
    closed_weekdays=st.frozensets(st.integers(0, 6), max_size=2),
    closed_dates=st.frozensets(st.dates(dt.date(2024, 1, 1), dt.date(2031, 12, 31)), max_size=30),
    holiday_country=st.sampled_from(["US", None]),
)


@st.composite
def patients(draw: st.DrawFn, today: dt.date) -> list[Medication]:
    """Two to six short-fillable medicines, some overdue, plus maybe a package and a PRN."""
    meds: list[Medication] = []
    for n in range(draw(st.integers(2, 6))):
        days_supply = draw(supplies)
        meds.append(
            med(
                rx_number=f"RX{n}",
                days_supply=days_supply,
                daily_quantity=draw(dailies),
                last_fill_date=today - dt.timedelta(days=draw(st.integers(0, days_supply + 20))),
                copay=draw(st.decimals(0, 60, places=2)),
            )
        )
    if draw(st.booleans()):
        days_supply = draw(st.sampled_from([25, 28, 30, 37, 50]))
        meds.append(
            med(
                rx_number="RXPKG",
                package=draw(st.sampled_from(["inhaler", "insulin", "eye_drops"])),
                days_supply=days_supply,
                daily_quantity=None,
                last_fill_date=today - dt.timedelta(days=draw(st.integers(0, days_supply))),
            )
        )
    if draw(st.booleans()):
        meds.append(med(rx_number="RXPRN", prn=True, daily_quantity=None))
    return meds


Case = tuple[SyncPlan, ProgramSettings]


@st.composite
def plans(draw: st.DrawFn) -> Case:
    today = draw(todays)
    program = draw(program_settings())
    plan = build_plan(
        draw(patients(today)),
        today,
        program,
        preferred_day=draw(st.none() | anchor_days),
        anchor_day=draw(st.none() | anchor_days),
    )
    return plan, program


def _closed_since_today(day: dt.date, today: dt.date, open_days: OpenDays) -> bool:
    """Whether the pharmacy is closed every day from `today` through `day`."""
    return all(
        not open_days.is_open(today + dt.timedelta(days=n)) for n in range((day - today).days + 1)
    )


@FAST
@given(plans())
def test_no_medicine_runs_out_before_its_fills_through_three_cycles(case: Case) -> None:
    """Each fill is handed out before the supply before it runs out: the short fill (at the
    sync visit or on its own) before the due date, each regular fill before the one before it
    ends. The only exception is a pharmacy closed from today past the due date."""
    plan, program = case
    for line in plan.lines:
        if line.status not in (SyncStatus.SYNCED, SyncStatus.ALIGNED_BY_ANCHOR):
            continue
        assert line.sync_date is not None
        assert line.sync_date >= plan.first_anchor
        fill = line.short_fill
        if fill is None:
            runs_out = max(line.due_date, plan.today)
        else:
            start = max(line.due_date, plan.today)
            assert fill.supply_from == start or (
                fill.supply_from > start
                and _closed_since_today(fill.supply_from - dt.timedelta(1), plan.today,
                                        program.open_days)
            )  # fmt: skip
            assert plan.today <= fill.fill_date <= fill.supply_from, line.rx_number
            assert fill.days >= fill.days_to_sync > 0
            runs_out = fill.sync_date
        if line.status is SyncStatus.ALIGNED_BY_ANCHOR:
            # Whole packages carry it to the anchor; their lengths need not match the cycle
            # (the pharmacist adjusts the count), so only the first pickup is checked.
            assert line.next_fills[0].fill_date == line.sync_date
            continue
        for n, regular in enumerate(line.next_fills):
            late = fill is None and n == 0 and regular.fill_date > runs_out
            if late:  # out already, and no open day to hand anything out before this one
                closed = regular.fill_date - dt.timedelta(1)
                assert _closed_since_today(closed, plan.today, program.open_days)
                runs_out = regular.fill_date
            assert plan.today <= regular.fill_date <= runs_out, (line.rx_number, regular)
            runs_out += dt.timedelta(days=regular.days)


@FAST
@given(plans())
def test_short_fills_are_never_negative_and_cost_at_most_the_full_copay(case: Case) -> None:
    plan, _ = case
    assert plan.short_fills == tuple(sf for sf in plan.short_fills if sf.days > 0 and sf.units > 0)
    for line in plan.lines:
        sf = line.short_fill
        if sf is None:
            continue
        assert line.short_fill_cost is not None
        assert Decimal(0) <= line.short_fill_cost <= line.full_fill_cost


@FAST
@given(plans())
def test_trips_are_open_days_through_the_first_synced_pickup(case: Case) -> None:
    plan, program = case
    days = [t.date for t in plan.trips]
    assert days == sorted(set(days))
    assert days[-1] == plan.first_synced_pickup
    assert program.open_days.open_on_or_before(plan.first_synced_anchor) == days[-1]
    assert all(program.open_days.is_open(d) for d in days)
    assert days[0] >= plan.today
    handed = {(f.rx_number, f.kind, t.date) for t in plan.trips for f in t.fills}
    for sf in plan.short_fills:
        if sf.fill_date <= plan.first_synced_pickup:
            assert (sf.rx_number, "short_fill", sf.fill_date) in handed
    visit = plan.sync_visit
    if visit is not None:
        assert program.open_days.is_open(visit.date)
        assert plan.today <= visit.date <= plan.first_synced_pickup
        if visit.adopted:
            assert visit.date in days
        assert not visit.adopted or not visit.overrides or program.sync_visit_overrides


@FAST
@given(plans())
def test_moved_pickups_are_never_later_and_are_open(case: Case) -> None:
    plan, program = case
    assert program.open_days.is_open(plan.first_anchor)
    for moved in plan.moved_pickups:
        assert moved.actual < moved.planned
        assert not program.open_days.is_open(moved.planned)
        assert program.open_days.is_open(moved.actual)
    for line in plan.lines:
        assert all(program.open_days.is_open(f.fill_date) for f in line.next_fills)


@FAST
@given(plans())
def test_no_regular_fill_runs_past_the_maximum_without_a_note(case: Case) -> None:
    plan, program = case
    for line in plan.lines:
        for regular in line.next_fills:
            if regular.days > program.max_days_supply:
                assert any("maximum" in note for note in line.notes)


@FAST
@given(plans())
def test_anchor_day_is_always_1_to_28(case: Case) -> None:
    plan, _ = case
    assert 1 <= plan.anchor_day <= 28
    assert 1 <= plan.recommendation.day <= 28
    assert all(1 <= s.day <= 28 for s in plan.recommendation.alternatives)
    assert plan.first_anchor >= plan.today


@FAST
@given(plans())
def test_aligned_packages_are_dispensed_without_a_gap_or_override(case: Case) -> None:
    plan, _ = case
    for line in plan.lines:
        if line.status is SyncStatus.ALIGNED_BY_ANCHOR:
            assert line.short_fill is None
            assert line.sync_date == plan.first_anchor


@st.composite
def aligned_patients(draw: st.DrawFn) -> tuple[dt.date, ProgramSettings, dt.date, list[Medication]]:
    today = draw(todays)
    program = draw(program_settings())
    first = first_pickup(draw(anchor_days), today, program)
    anchor = first.planned  # supply counts to the calendar's anchor; the pickup may be earlier
    gap = (anchor - today).days
    meds = [
        med(
            rx_number=f"RX{n}",
            days_supply=(supply := draw(st.integers(max(gap, 1), 120))),
            last_fill_date=anchor - dt.timedelta(days=supply),
            daily_quantity=draw(dailies),
            copay=draw(st.decimals(0, 60, places=2)),
        )
        for n in range(draw(st.integers(2, 5)))
    ]
    return today, program, anchor, meds


@FAST
@given(aligned_patients())
def test_a_patient_already_due_on_one_day_gets_no_short_fills(
    case: tuple[dt.date, ProgramSettings, dt.date, list[Medication]],
) -> None:
    today, program, anchor, meds = case
    plan = build_plan(meds, today, program)
    pickup = program.open_days.open_on_or_before(anchor)
    assert plan.anchor_day == anchor.day
    assert plan.first_anchor == pickup
    assert plan.short_fills == ()
    assert plan.short_fills_total == Decimal(0)
    assert {line.sync_date for line in plan.lines} == {pickup}
    assert [t.date for t in plan.trips] == [pickup]


@FAST
@given(
    copay=st.decimals(0, 500, places=2),
    days=st.integers(0, 120),
    month=st.integers(28, 34),
)
def test_prorated_copay_never_exceeds_the_full_copay(copay: Decimal, days: int, month: int) -> None:
    prorated = prorated_copay(copay, days, month)
    assert Decimal(0) <= prorated <= copay
    assert prorated == prorated.quantize(Decimal("0.01"))


@FAST
@given(days=st.integers(0, 400), daily=dailies)
def test_units_cover_the_days_and_waste_less_than_one_unit(days: int, daily: Decimal) -> None:
    units = units_for_days(days, daily)
    assert units >= days * daily - Decimal("0.005")
    assert units < days * daily + 1


@FAST
@given(day=anchor_days, today=todays, prep=st.integers(0, 10))
def test_first_anchor_is_the_first_such_day_after_preparation(
    day: int, today: dt.date, prep: int
) -> None:
    first = first_anchor_date(day, today, prep)
    ready = today + dt.timedelta(days=prep)
    assert first.day == day
    assert ready <= first < ready + dt.timedelta(days=31)


@FAST
@given(fill=todays, days=st.integers(1, 120), pct=st.integers(1, 100))
def test_refill_window_falls_within_the_supply(fill: dt.date, days: int, pct: int) -> None:
    eligible = refill_eligible_date(fill, days, pct)
    assert fill < eligible <= fill + dt.timedelta(days=days)


@FAST
@given(
    start=todays,
    day=anchor_days,
    supply=supplies,
    cycle=st.sampled_from(get_args(Cycle)),
)
def test_cycle_fills_follow_each_other_without_a_gap(
    start: dt.date, day: int, supply: int, cycle: Cycle
) -> None:
    anchor = start.replace(day=day)
    fills = cycle_fills(anchor, supply, cycle, 4)
    for current, following in itertools.pairwise(fills):
        assert current.fill_date + dt.timedelta(days=current.days) == following.fill_date
    assert all(f.days >= 28 for f in fills)


@FAST
@given(
    index=todays,
    supplies_and_gaps=st.lists(st.tuples(st.integers(1, 90), st.integers(0, 60)), max_size=8),
    tail=st.integers(0, 400),
)
def test_pdc_is_a_proportion(
    index: dt.date, supplies_and_gaps: list[tuple[int, int]], tail: int
) -> None:
    fills = [Fill(index, 30)]
    day = index
    for supply, gap in supplies_and_gaps:
        day += dt.timedelta(days=gap)
        fills.append(Fill(day, supply))
    result = pdc(fills, day + dt.timedelta(days=tail))
    assert result is not None
    assert 0 <= result.days_covered <= result.days_in_period
    assert Decimal(0) <= result.ratio <= Decimal(1)


@FAST
@given(today=todays, supply=st.sampled_from([25, 28, 30, 37, 90]), since=st.integers(0, 120))
def test_projected_package_due_is_never_before_asked(
    today: dt.date, supply: int, since: int
) -> None:
    package = med(package="insulin", days_supply=supply, last_fill_date=today - dt.timedelta(since))
    not_before = today + dt.timedelta(days=3)
    due = projected_due(package, today, not_before)
    assert not_before <= due < not_before + dt.timedelta(days=supply)
