"""build_plan as a whole: overrides, medicines joining later, other cycles, JSON, calendar."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from dialogs.plan.model import Medication, PlanError, ProgramSettings
from dialogs.plan.plan import NotEligible, build_plan
from dialogs.plan.reconcile import SyncStatus
from dialogs.plan.timeline import cycle_calendar, disenrolls
from tests.bench import plan as plan_bench
from tests.plan.factories import due_on, med

D = dt.date
TODAY = D(2026, 11, 29)
DEFAULTS = ProgramSettings()


def _two() -> list[Medication]:
    return [due_on(D(2026, 12, 5), rx_number="RX1"), due_on(D(2026, 12, 20), rx_number="RX2")]


def test_anchor_override_says_what_was_recommended() -> None:
    plan = build_plan(_two(), TODAY, DEFAULTS, anchor_day=10)
    assert plan.anchor_day == 10
    assert plan.recommendation.day == 20
    assert plan.anchor_reason == "The 10th: chosen (MedSync recommended the 20th)."


def test_medicine_with_supply_past_the_first_anchor_joins_on_the_next() -> None:
    plan = build_plan(_two(), TODAY, DEFAULTS, anchor_day=10)
    later = plan.lines[1]
    assert later.sync_date == D(2027, 1, 10)
    assert later.short_fill is not None
    assert (later.short_fill.fill_date, later.short_fill.days) == (D(2026, 12, 20), 21)
    assert later.notes == ("Has supply past the first anchor: joins on Jan 10, 2027.",)
    # It cannot be paid for on the Dec 10 pickup (its refill window opens Dec 14), so it comes
    # on its own trip, and everything is picked up together from Jan 10.
    assert [t.date for t in plan.trips] == [D(2026, 12, 5), D(2026, 12, 10), D(2026, 12, 20),
                                            D(2027, 1, 10)]  # fmt: skip
    assert plan.first_synced_pickup == D(2027, 1, 10)
    assert plan.trips[1].cost == Decimal("10.00")  # the first anchor: RX1 only
    assert plan.first_pickup_total == Decimal("20.00")  # the first synced pickup: both
    assert plan.sync_visit is not None and plan.sync_visit.overrides == ("RX2",)


def test_twenty_eight_day_cycle_keeps_the_weekday() -> None:
    plan = build_plan(_two(), TODAY, ProgramSettings(cycle="28_day"))
    first = plan.lines[0]
    assert plan.first_anchor == D(2026, 12, 20)
    assert [f.fill_date for f in first.next_fills] == [
        D(2026, 12, 20),
        D(2027, 1, 17),
        D(2027, 2, 14),
    ]
    assert {f.days for f in first.next_fills} == {28}
    assert "every 28 days" in plan.lines_for_display()[0]


def test_plan_is_json_serialisable_with_iso_dates_and_decimal_strings() -> None:
    plan = build_plan(_two(), TODAY, DEFAULTS)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["first_anchor"] == "2026-12-20"
    assert data["lines"][0]["short_fill"]["fill_date"] == "2026-12-05"
    assert data["lines"][0]["short_fill_cost"] == "4.95"  # $0.33 x 15 days
    assert data["short_fills_total"] == "4.95"
    assert data["first_pickup_total"] == "20.00"


def test_first_anchor_calendar_never_lies_in_the_past() -> None:
    plan = build_plan([due_on(D(2026, 12, 2), rx_number="A"), due_on(D(2026, 12, 2))], TODAY,
                      DEFAULTS)  # fmt: skip
    assert plan.first_anchor == D(2026, 12, 2)
    assert plan.calendar.check_in == TODAY
    assert plan.calendar.no_answer_reminder == TODAY
    assert plan.calendar.pickup_reminder == D(2026, 12, 1)


def test_duplicate_prescription_numbers_are_refused() -> None:
    with pytest.raises(PlanError, match="appears twice"):
        build_plan([med(), med()], TODAY, DEFAULTS)


def test_not_eligible_carries_each_medicine_reason() -> None:
    with pytest.raises(NotEligible) as raised:
        build_plan([med(), med(rx_number="RX2", prn=True)], TODAY, DEFAULTS)
    assert [r.status for r in raised.value.reconciliations] == [
        SyncStatus.SYNCED,
        SyncStatus.NOT_SYNCED,
    ]
    assert not raised.value.eligibility.eligible


def test_aligned_package_renewal_counts_its_whole_package_fills() -> None:
    # The pen ran out Nov 25: one pen today, another on the Dec 20 anchor, two refills.
    pen = med(rx_number="PEN", package="insulin", daily_quantity=None, days_supply=25,
              last_fill_date=D(2026, 10, 31), refills_remaining=2)  # fmt: skip
    plan = build_plan([*_two(), pen], TODAY, DEFAULTS)
    line = plan.lines[2]
    assert line.status is SyncStatus.ALIGNED_BY_ANCHOR
    assert line.renewal is not None
    assert line.renewal.reason == "No refills left after the Dec 20, 2026 fill."


def test_calendar_with_other_settings() -> None:
    settings = ProgramSettings(checkin_lead_days=3, call_list_days_before=2, preparation_days=2)
    calendar = cycle_calendar(D(2026, 12, 15), settings)
    assert calendar.check_in == D(2026, 12, 12)
    # The 48 h reminder would fall after the call list; the call list comes first.
    assert calendar.no_answer_reminder == D(2026, 12, 13)
    assert calendar.prepare == D(2026, 12, 13)


def test_three_missed_cycles_disenroll() -> None:
    assert not disenrolls(2, DEFAULTS)
    assert disenrolls(3, DEFAULTS)


def test_the_plan_benchmark_runs_and_reports_each_program() -> None:
    printed: list[str] = []
    plan_bench.main(["--rounds", "1"], printed.append)
    assert len(printed) == 12
    assert all(" 10 plans " in line and " ms a plan" in line for line in printed[1:4])
    assert printed[4].startswith("recommend (the offer's day)")
    assert printed[9].startswith("recommend, each of")
    assert all(line.endswith(" ms a call") for line in printed[5:9] + printed[10:])


def test_a_ninety_day_medicine_joins_months_later_and_every_pickup_until_then_is_a_trip() -> None:
    monthly = due_on(D(2026, 12, 10), rx_number="RX1")
    quarterly = med(rx_number="RX2", days_supply=90, quantity=Decimal(90),
                    last_fill_date=D(2026, 12, 20))  # fmt: skip
    plan = build_plan([monthly, quarterly], TODAY, DEFAULTS, anchor_day=10)
    # Due Mar 20, payable from Mar 2: handed out with RX1 on the Mar 10 pickup, 21 days to Apr 10.
    assert [t.date for t in plan.trips] == [D(2026, 12, 10), D(2027, 1, 10), D(2027, 2, 10),
                                            D(2027, 3, 10)]  # fmt: skip
    assert plan.first_synced_pickup == D(2027, 3, 10)
    last = plan.trips[-1]
    assert [(f.rx_number, f.kind, f.days) for f in last.fills] == [
        ("RX1", "anchor_fill", 31),
        ("RX2", "short_fill", 21),
    ]


def test_a_last_fill_that_does_not_last_its_days_supply_is_noted() -> None:
    """QA: a re-import doubled losartan to 2 a day while the last fill stayed 30 tablets for
    30 days; the plan still counted 30 days of supply (due Dec 20) with no word, though at the
    new dose the tablets ran out on Dec 5. The pharmacist is now told to check."""
    meds = [
        med(rx_number="RX1", daily_quantity=Decimal(2), last_fill_date=D(2026, 11, 20)),
        due_on(D(2026, 12, 28), rx_number="RX2"),
    ]
    plan = build_plan(meds, D(2026, 12, 7), DEFAULTS)
    [line] = [x for x in plan.lines if x.rx_number == "RX1"]
    assert (
        "The last fill's 30 units last 15 days at 2 a day, not its 30 days' supply: check "
        "the directions (a dose change?); it may be due sooner."
    ) in line.notes
    # Consistent fills say nothing: 4 weekly tablets for 28 days (0.142857 or 0.1429 a day),
    # half a tablet a day, 90 days of 90.
    for fine in (
        med(daily_quantity=Decimal("0.142857"), days_supply=28, quantity=Decimal(4)),
        med(daily_quantity=Decimal("0.1429"), days_supply=28, quantity=Decimal(4)),
        med(daily_quantity=Decimal("0.5"), quantity=Decimal(15)),
        med(days_supply=90, quantity=Decimal(90)),
    ):
        plan = build_plan([fine, due_on(D(2026, 12, 28), rx_number="RX2")], TODAY, DEFAULTS)
        assert not any("last fill's" in n for x in plan.lines for n in x.notes)
