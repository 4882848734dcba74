"""Worked examples 19-39 of docs/SYNC_PLAN.md (closed days, trips, payers, packs, cycles), each
a test named by its number. Examples 1-18 are DOMAIN.md's, in test_worked_examples.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from dialogs.plan.copay import short_fill_charge
from dialogs.plan.cycles import CycleFill, anchor_dates, cycle_fills
from dialogs.plan.model import PlanError, ProgramSettings
from dialogs.plan.open_days import US_FEDERAL_HOLIDAYS, OpenDays, pickup_day
from dialogs.plan.plan import SyncPlan, build_plan
from dialogs.plan.short_fill import short_fill
from dialogs.plan.timeline import cycle_calendar
from tests.plan.factories import due_on, med
from tests.plan.sample_export import PATIENTS

D = dt.date
HOLIDAYS = ProgramSettings(open_days=US_FEDERAL_HOLIDAYS)
CLOSED_SUNDAYS = OpenDays(closed_weekdays=frozenset({6}))
CLOSED_WEEKENDS = OpenDays(closed_weekdays=frozenset({5, 6}))


def _trips(plan: SyncPlan) -> list[tuple[dt.date, list[tuple[str, str, int, int | None, bool]]]]:
    return [
        (t.date, [(f.rx_number, f.kind, f.days, f.units, f.needs_override) for f in t.fills])
        for t in plan.trips
    ]


def _fill(plan: SyncPlan, rx: str) -> tuple[dt.date, int, int, bool]:
    (line,) = [line for line in plan.lines if line.rx_number == rx]
    sf = line.short_fill
    assert sf is not None
    return sf.fill_date, sf.days, sf.units, sf.needs_override


# Closed days ------------------------------------------------------------------------------


def test_example_19_first_pickup_on_christmas_is_handed_out_on_the_24th() -> None:
    meds = [due_on(D(2026, 12, 25), rx_number="RX1"), due_on(D(2026, 12, 25), rx_number="RX2")]
    plan = build_plan(meds, D(2026, 12, 1), HOLIDAYS, anchor_day=25)

    assert plan.first_anchor == D(2026, 12, 24)  # Thursday; Friday Dec 25 is Christmas Day
    assert plan.first_synced_anchor == D(2026, 12, 25)  # the cycle still counts from the 25th
    (moved,) = plan.moved_pickups
    assert (moved.planned, moved.actual, moved.because) == (
        D(2026, 12, 25),
        D(2026, 12, 24),
        "Christmas Day",
    )
    assert "Dec 25, 2026 is Christmas Day" in plan.lines_for_display()[1]
    # The texts count from the real pickup: check-in T-7, fills ready T-3, reminder T-1.
    c = plan.calendar
    assert (c.check_in, c.prepare, c.pickup_reminder) == (D(2026, 12, 17), D(2026, 12, 21),
                                                          D(2026, 12, 23))  # fmt: skip
    # Supply still counts to Dec 25: no short fill, a day in hand, the fill stays 31 days.
    assert plan.short_fills == ()
    assert plan.lines[0].next_fills[:2] == (CycleFill(D(2026, 12, 24), 31),
                                            CycleFill(D(2027, 1, 25), 31))  # fmt: skip


@pytest.mark.parametrize(
    ("open_days", "handed_out"),
    [
        pytest.param(CLOSED_SUNDAYS, D(2026, 12, 5), id="example_20_closed_sundays"),
        pytest.param(CLOSED_WEEKENDS, D(2026, 12, 4), id="example_20_closed_weekends"),
    ],
)
def test_example_20_short_fill_due_on_a_sunday_moves_to_the_previous_open_day(
    open_days: OpenDays, handed_out: dt.date
) -> None:
    meds = [due_on(D(2026, 12, 6), rx_number="RX1"), due_on(D(2026, 12, 15), rx_number="RX2")]
    plan = build_plan(meds, D(2026, 11, 29), ProgramSettings(open_days=open_days), anchor_day=15)
    # Still 9 days (Dec 6-14): the days in hand from the last fill are not billed twice.
    assert _fill(plan, "RX1") == (handed_out, 9, 9, False)
    assert "Due Dec 6, 2026, a Sunday, when the pharmacy is closed" in plan.lines[0].notes[0]
    assert [t.date for t in plan.trips] == [handed_out, D(2026, 12, 15)]


def test_example_21_fills_ready_and_the_call_list_never_on_a_closed_day() -> None:
    # Anchor Monday Jan 4, 2027: T-3 is Friday Jan 1, New Year's Day.
    calendar = cycle_calendar(D(2027, 1, 4), HOLIDAYS)
    assert calendar.prepare == D(2026, 12, 31)
    assert calendar.call_list == D(2026, 12, 31)
    assert calendar.check_in == D(2026, 12, 28)  # texts go any day
    # A pharmacy closed at weekends prepares Tuesday Dec 15's fills on Friday Dec 11.
    weekends = ProgramSettings(open_days=CLOSED_WEEKENDS)
    assert cycle_calendar(D(2026, 12, 15), weekends).prepare == D(2026, 12, 11)


@pytest.mark.parametrize(
    ("today", "first_pickup"),
    [
        pytest.param(D(2026, 12, 10), D(2026, 12, 31), id="example_22_chosen_dec_10"),
        pytest.param(D(2026, 12, 29), D(2027, 2, 1), id="example_22_chosen_dec_29"),
    ],
)
def test_example_22_the_first_on_new_years_day_and_the_days_to_prepare(
    today: dt.date, first_pickup: dt.date
) -> None:
    meds = [due_on(D(2027, 1, 1), rx_number="RX1"), due_on(D(2027, 1, 1), rx_number="RX2")]
    plan = build_plan(meds, today, HOLIDAYS, anchor_day=1)
    # Dec 31 is too close to prepare when chosen on Dec 29: the first is February's.
    assert plan.first_anchor == first_pickup
    assert plan.first_synced_pickup == first_pickup


# Trips --------------------------------------------------------------------------------------


def test_example_23_the_demo_patient_comes_once_before_the_15th_not_three_times() -> None:
    plan = build_plan(PATIENTS["P1001"], D(2026, 12, 7), ProgramSettings(), anchor_day=15)
    # Before: Dec 7 (metformin and lisinopril, both overdue), Dec 10 (atorvastatin), Dec 15.
    # Atorvastatin's refill window opened Dec 4, so it joins the Dec 7 visit, 3 days early.
    assert _trips(plan) == [
        (D(2026, 12, 7), [("RX700101", "short_fill", 8, 8, False),
                          ("RX700102", "short_fill", 5, 5, False),
                          ("RX700103", "short_fill", 8, 16, False)]),
        (D(2026, 12, 15), [("RX700101", "anchor_fill", 31, 31, False),
                           ("RX700102", "anchor_fill", 31, 31, False),
                           ("RX700103", "anchor_fill", 31, 62, False)]),
    ]  # fmt: skip
    assert plan.sync_visit is not None and plan.sync_visit.adopted
    assert (
        "One visit on Dec 7, 2026, then on the 15th of every month from Dec 15, 2026."
        in (plan.lines_for_display()[2])
    )


@pytest.mark.parametrize(
    ("overrides", "trips"),
    [
        pytest.param(False, [D(2026, 11, 29), D(2026, 12, 10), D(2026, 12, 15)],
                     id="example_24_no_overrides"),
        pytest.param(True, [D(2026, 11, 29), D(2026, 12, 15)], id="example_24_with_override"),
    ],
)  # fmt: skip
def test_example_24_a_sync_visit_the_refill_window_does_not_allow(
    overrides: bool, trips: list[dt.date]
) -> None:
    settings = ProgramSettings(sync_visit_overrides=overrides)
    plan = build_plan(PATIENTS["P1001"], D(2026, 11, 29), settings, anchor_day=15)
    assert [t.date for t in plan.trips] == trips
    visit = plan.sync_visit
    assert visit is not None and visit.date == D(2026, 11, 29)
    # Atorvastatin, filled Nov 10 for 30 days, is payable from Dec 4 (80%).
    assert visit.overrides == ("RX700102",) and visit.adopted is overrides
    assert _fill(plan, "RX700102") == (trips[-2], 5, 5, overrides)


def test_example_25_nothing_to_pick_up_on_the_first_anchor() -> None:
    meds = [due_on(D(2026, 12, 20), rx_number="RX1"), due_on(D(2026, 12, 28), rx_number="RX2")]
    plan = build_plan(meds, D(2026, 12, 7), ProgramSettings(), anchor_day=15)
    assert plan.first_anchor == D(2026, 12, 15)
    assert plan.first_synced_pickup == plan.first_synced_anchor == D(2027, 1, 15)
    assert [t.date for t in plan.trips] == [D(2026, 12, 20), D(2026, 12, 28), D(2027, 1, 15)]
    shown = plan.lines_for_display()
    assert shown[0].startswith("First pickup Jan 15, 2027")
    assert shown[1].startswith("Nothing is handed out on the first anchor, Dec 15, 2026")
    assert plan.calendar.check_in == D(2027, 1, 8)
    assert plan.first_pickup_total == Decimal("20.00")


@pytest.mark.parametrize(
    ("policy", "day", "trips", "short_fill_days", "cost"),
    [
        pytest.param("latest_due", 14, 2, 6, "1.98", id="example_26_latest_due"),
        pytest.param("fewest_trips", 10, 1, 56, "18.48", id="example_26_fewest_trips"),
    ],
)
def test_example_26_fewest_trips_against_latest_due(
    policy: Any, day: int, trips: int, short_fill_days: int, cost: str
) -> None:
    meds = [due_on(D(2026, 12, d), rx_number=f"RX{d}") for d in (10, 12, 14)]
    plan = build_plan(meds, D(2026, 11, 29), ProgramSettings(anchor_policy=policy))
    assert plan.anchor_day == day
    assert len(plan.trips) == trips == plan.recommendation.trips
    assert sum(sf.days for sf in plan.short_fills) == short_fill_days
    assert plan.short_fills_total == Decimal(cost)


# Payers: a 12-day short fill of a $10.00-a-month tablet, 30 for 30 days -----------------------

TEN = {"copay": Decimal("10.00")}
CASES = [
    ("example_27_part_d", {"payer": "medicare_d"}, None, "3.96", "part_d_daily_rate"),
    ("example_28_ny_commercial", {"payer": "commercial"}, "NY", "3.96", "state_law"),
    ("example_29_tx_commercial", {"payer": "commercial"}, "TX", "10.00", "no_law"),
    ("example_29_ny_medicaid", {"payer": "medicaid"}, "NY", "10.00", "no_law"),
    ("example_29_ky_commercial", {"payer": "commercial"}, "KY", "10.00", "no_law"),
    ("example_30_ky_medicaid", {"payer": "medicaid"}, "KY", "3.96", "state_law"),
    ("example_31_ok_schedule_iv", {"payer": "commercial", "dea_schedule": "CIV"}, "OK", "10.00",
     "schedule_excluded"),
    ("example_31_ok_schedule_v", {"payer": "commercial", "dea_schedule": "CV"}, "OK", "3.96",
     "state_law"),
    ("example_32_cash_12_of_30", {"payer": "cash"}, None, "4.00", "cash_per_unit"),
    ("example_32_cash_52_of_60", {"payer": "cash", "daily_quantity": Decimal(2),
     "quantity": Decimal(60), "copay": Decimal("5.00"), "days": 26}, None, "4.33",
     "cash_per_unit"),
    ("example_33_coinsurance_no_law", {"payer": "commercial", "coinsurance": Decimal("0.25"),
     "cost_per_day": Decimal("3.00")}, "TX", "9.00", "coinsurance"),
    ("example_34_payer_unknown", {}, "TX", "3.96", "part_d_daily_rate"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "state", "pays", "rule"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_examples_27_to_34_what_a_short_fill_costs_by_payer(
    fields: dict[str, Any], state: str | None, pays: str, rule: str
) -> None:
    fields = {**TEN, **fields}
    days = fields.pop("days", 12)
    charge = short_fill_charge(
        med(**fields),
        days,
        dispensing_fee=Decimal("1.75"),
        state=state,
        sync_laws=ProgramSettings().sync_laws,
    )
    assert (charge.patient_pays, charge.rule) == (Decimal(pays), rule)
    assert charge.dispensing_fee == Decimal("1.75")  # never prorated
    if rule in ("no_law", "schedule_excluded"):
        assert charge.note == "Your plan may charge a full copay for this shorter fill."
    elif not fields.get("payer"):
        assert charge.note == "The payer is not in the export: estimated with Part D's daily rate."
    else:
        assert charge.note is None


def test_example_29_the_plan_estimate_says_your_plan_may_charge_a_full_copay() -> None:
    meds = [due_on(D(2026, 12, 3), rx_number="RX1", payer="commercial"),
            due_on(D(2026, 12, 15), rx_number="RX2", payer="commercial")]  # fmt: skip
    plan = build_plan(meds, D(2026, 11, 29), ProgramSettings(state="TX"), anchor_day=15)
    assert plan.short_fills_total == Decimal("10.00")
    assert plan.cost_notes == ("Your plan may charge a full copay for this shorter fill.",)
    in_ny = build_plan(meds, D(2026, 11, 29), ProgramSettings(state="NY"), anchor_day=15)
    assert in_ny.short_fills_total == Decimal("3.96") and in_ny.cost_notes == ()


# Packages, weekly tablets, cycles -------------------------------------------------------------


@pytest.mark.parametrize(
    "days_supply",
    [pytest.param(28, id="example_35_28_day_pack"), pytest.param(84, id="example_35_84_day_pack")],
)
def test_example_35_a_28_day_pack_prorates_over_28_days(days_supply: int) -> None:
    pack = med(payer="medicare_d", days_supply=days_supply, copay=Decimal("28.00"))
    charge = short_fill_charge(pack, 10)
    assert charge.patient_pays == Decimal("10.00")  # $1.00 a day; over 30 days it was $9.30
    assert charge.basis == "$1.00 a day ($28.00 / 28 days) for 10 days."


ALENDRONATE = med(rx_number="RX701201", drug_name="Alendronate 70 mg tablet",
                  daily_quantity=Decimal("0.142857"), days_supply=28, quantity=Decimal(4),
                  last_fill_date=D(2026, 11, 13), copay=Decimal("6.00"))  # fmt: skip


@pytest.mark.parametrize(
    ("anchor", "payer", "tablets", "days", "pays"),
    [
        pytest.param(D(2026, 12, 17), "medicare_d", 1, 7, "1.47", id="example_36_six_days"),
        pytest.param(D(2026, 12, 19), "medicare_d", 2, 14, "2.94", id="example_36_eight_days"),
        pytest.param(D(2026, 12, 17), "cash", 1, 7, "1.50", id="example_36_cash"),
    ],
)
def test_example_36_a_weekly_tablet_is_billed_for_the_week_it_covers(
    anchor: dt.date, payer: Any, tablets: int, days: int, pays: str
) -> None:
    weekly = replace(ALENDRONATE, payer=payer)
    # Doses Nov 13, 20, 27, Dec 4: the next is due Dec 11.
    fill = short_fill(weekly, anchor, D(2026, 11, 29), 80)
    assert fill is not None
    assert (fill.fill_date, fill.units, fill.days) == (D(2026, 12, 11), tablets, days)
    assert fill.days_to_sync == (anchor - D(2026, 12, 11)).days
    # Part D: $6.00 / 28 days = $0.21 a day for the days billed.
    assert short_fill_charge(weekly, fill.days).patient_pays == Decimal(pays)


def test_example_36_the_sample_patient_p1012_through_the_whole_plan() -> None:
    plan = build_plan(PATIENTS["P1012"], D(2026, 11, 29), ProgramSettings())
    assert plan.first_anchor == D(2026, 12, 17)
    assert _fill(plan, "RX701201") == (D(2026, 12, 11), 7, 1, False)
    assert plan.lines[0].short_fill_cost == Decimal("1.47")


@pytest.mark.parametrize(
    ("cycle", "pickups"),
    [
        pytest.param("84_day", [D(2027, 1, 5), D(2027, 3, 30), D(2027, 6, 22), D(2027, 9, 14),
                                D(2027, 12, 7)], id="example_37_84_days"),
        pytest.param("91_day", [D(2027, 1, 5), D(2027, 4, 6), D(2027, 7, 6), D(2027, 10, 5)],
                     id="example_37_91_days"),
    ],
)  # fmt: skip
def test_example_37_ninety_day_cycles_are_whole_weeks(cycle: Any, pickups: list[dt.date]) -> None:
    assert anchor_dates(D(2027, 1, 5), cycle, D(2027, 12, 31)) == pickups
    assert {day.strftime("%A") for day in pickups} == {"Tuesday"}
    days = int(cycle.removesuffix("_day"))
    assert cycle_fills(D(2027, 1, 5), 30, cycle, 2, max_days_supply=91) == [
        CycleFill(pickups[0], days),
        CycleFill(pickups[1], days),
    ]


def test_example_37_a_91_day_cycle_needs_plans_that_pay_for_91_days() -> None:
    with pytest.raises(PlanError, match="choose the 84_day cycle"):
        ProgramSettings(cycle="91_day")
    assert ProgramSettings(cycle="91_day", max_days_supply=91).cycle == "91_day"


@pytest.mark.parametrize(
    ("maximum", "days"),
    [
        pytest.param(90, [90, 61, 61, 62], id="example_38_maximum_90"),
        pytest.param(92, [90, 92, 92, 91], id="example_38_maximum_92"),
    ],
)
def test_example_38_a_quarterly_fill_on_a_monthly_cycle_is_never_over_the_maximum(
    maximum: int, days: list[int]
) -> None:
    fills = cycle_fills(D(2026, 12, 15), 90, "monthly", 4, max_days_supply=maximum)
    assert [f.days for f in fills] == days
    # Mar 15 -> Jun 15 is 92 days: with a 90-day maximum the fill runs to May 15 instead.
    assert fills[1].fill_date + dt.timedelta(days=fills[1].days) == (
        D(2027, 5, 15) if maximum == 90 else D(2027, 6, 15)
    )


def test_example_39_a_prescriptions_own_30_day_maximum_on_a_monthly_cycle() -> None:
    capped = due_on(D(2027, 1, 5), rx_number="RX1", max_days_supply=30)
    plan = build_plan([capped, due_on(D(2027, 1, 5), rx_number="RX2")], D(2026, 12, 20),
                      ProgramSettings(), anchor_day=5)  # fmt: skip
    notes = [n for n in plan.lines[0].notes if "maximum" in n]
    assert notes == [
        "The Jan 5, 2027 fill is 31 days, over the 30-day maximum the plan pays for: ask the "
        "plan, or choose a cycle that fits.",
        "The Mar 5, 2027 fill is 31 days, over the 30-day maximum the plan pays for: ask the "
        "plan, or choose a cycle that fits.",
    ]
    assert not [n for n in plan.lines[1].notes if "maximum" in n]


def test_moved_dates_never_come_after_the_planned_day() -> None:
    # The one exception is a pharmacy closed from today past the planned day: nothing can be
    # handed out earlier, so the next open day.
    weekends = CLOSED_WEEKENDS
    assert pickup_day(D(2026, 12, 6), weekends, D(2026, 12, 1)).actual == D(2026, 12, 4)
    assert pickup_day(D(2026, 12, 6), weekends, D(2026, 12, 5)).actual == D(2026, 12, 7)
