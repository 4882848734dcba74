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
from dialogs.plan.cycles import anchor_on_or_after, cycle_fills
from dialogs.plan.dates import first_anchor_date, refill_eligible_date
from dialogs.plan.model import AnchorPolicy, Cycle, Medication, ProgramSettings
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
program_settings = st.builds(
    ProgramSettings,
    preparation_days=st.integers(0, 7),
    refill_window_pct=st.integers(75, 90),
    anchor_policy=st.sampled_from(get_args(AnchorPolicy)),
    cycle=st.sampled_from(get_args(Cycle)),
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


@st.composite
def plans(draw: st.DrawFn) -> SyncPlan:
    today = draw(todays)
    return build_plan(
        draw(patients(today)),
        today,
        draw(program_settings),
        preferred_day=draw(st.none() | anchor_days),
        anchor_day=draw(st.none() | anchor_days),
    )


def _covered(start: dt.date, days: int, day: dt.date) -> bool:
    return start <= day < start + dt.timedelta(days=days)


@FAST
@given(plans())
def test_no_medicine_goes_a_day_without_supply_before_its_anchor(plan: SyncPlan) -> None:
    for line in plan.lines:
        if line.status is not SyncStatus.SYNCED:
            continue
        assert line.sync_date is not None
        assert line.sync_date >= plan.first_anchor
        assert anchor_on_or_after(plan.first_anchor, plan.cycle, line.sync_date) == line.sync_date
        fill = line.short_fill
        day = plan.today
        while day < line.sync_date:
            from_last_fill = day < line.due_date
            from_short_fill = fill is not None and _covered(fill.fill_date, fill.days, day)
            assert from_last_fill or from_short_fill, (line.rx_number, day)
            day += dt.timedelta(days=1)


@FAST
@given(plans())
def test_short_fills_are_never_negative_and_cover_their_days(plan: SyncPlan) -> None:
    assert plan.short_fills == tuple(sf for sf in plan.short_fills if sf.days > 0 and sf.units > 0)
    for line in plan.lines:
        sf = line.short_fill
        if sf is None:
            continue
        assert sf.fill_date >= plan.today
        assert sf.fill_date + dt.timedelta(days=sf.days) == line.sync_date
        assert line.short_fill_cost is not None
        assert Decimal(0) <= line.short_fill_cost <= line.full_fill_cost


@FAST
@given(plans())
def test_anchor_day_is_always_1_to_28(plan: SyncPlan) -> None:
    assert 1 <= plan.anchor_day <= 28
    assert 1 <= plan.recommendation.day <= 28
    assert all(1 <= day <= 28 for day, _ in plan.recommendation.alternatives)
    assert plan.first_anchor.day == plan.anchor_day
    assert plan.first_anchor >= plan.today


@FAST
@given(plans())
def test_aligned_packages_are_dispensed_without_a_gap_or_override(plan: SyncPlan) -> None:
    for line in plan.lines:
        if line.status is SyncStatus.ALIGNED_BY_ANCHOR:
            assert line.short_fill is None
            assert line.sync_date == plan.first_anchor


@st.composite
def aligned_patients(draw: st.DrawFn) -> tuple[dt.date, ProgramSettings, dt.date, list[Medication]]:
    today = draw(todays)
    program = draw(program_settings)
    anchor = first_anchor_date(draw(anchor_days), today, program.preparation_days)
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
    assert plan.anchor_day == anchor.day
    assert plan.first_anchor == anchor
    assert plan.short_fills == ()
    assert plan.short_fills_total == Decimal(0)
    assert {line.sync_date for line in plan.lines} == {anchor}


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
