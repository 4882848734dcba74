"""The 18 worked examples of /work/shared/docs/DOMAIN.md, one test each, exact figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dialogs.context import Context, PatientFacts
from dialogs.engine import step
from dialogs.parse import Vocabulary
from dialogs.plan.adherence import Fill, covered_days, pdc
from dialogs.plan.copay import daily_cost_share, prorated_copay, short_fill_charge
from dialogs.plan.cycles import CycleFill, anchor_dates, cycle_fills, due_dates
from dialogs.plan.dates import first_anchor_date, next_due, refill_eligible_date
from dialogs.plan.model import ProgramSettings
from dialogs.plan.plan import build_plan
from dialogs.plan.renewals import expiry_date, renewal_needed
from dialogs.plan.short_fill import short_fill, units_for_days
from dialogs.plan.timeline import cycle_calendar
from dialogs.plan.unit_of_use import eye_drop_days, inhaler_days, insulin_days
from dialogs.state import State
from dialogs.turn import Effect, OpenReviewItem, SaveCheckIn, Start, Text
from tests.plan.factories import due_on, med

D = dt.date
SETTINGS = ProgramSettings()


def test_example_01_next_due_is_fill_date_plus_days_supply() -> None:
    assert next_due(D(2026, 11, 3), 30) == D(2026, 12, 3)
    assert med(last_fill_date=D(2026, 11, 3), days_supply=30).next_due == D(2026, 12, 3)


def test_example_02_short_fill_12_tablets_on_dec_3_then_full_fills_from_dec_15() -> None:
    lisinopril = med(last_fill_date=D(2026, 11, 3), days_supply=30)
    today = D(2026, 11, 29)
    anchor = first_anchor_date(15, today, SETTINGS.preparation_days)
    assert anchor == D(2026, 12, 15)

    fill = short_fill(lisinopril, anchor, today, SETTINGS.refill_window_pct)
    assert fill is not None
    assert (fill.fill_date, fill.days, fill.units) == (D(2026, 12, 3), 12, 12)
    assert not fill.needs_override

    plan = build_plan(
        [lisinopril, due_on(D(2026, 12, 15), rx_number="RX2")], today, SETTINGS, anchor_day=15
    )
    line = plan.lines[0]
    assert line.sync_date == D(2026, 12, 15)
    assert line.next_fills[0].fill_date == D(2026, 12, 15)


def test_example_03_twice_daily_due_nov_19_short_fills_52_tablets_for_26_days() -> None:
    metformin = med(daily_quantity=Decimal(2), quantity=Decimal(60), last_fill_date=D(2026, 10, 20))
    today = D(2026, 11, 14)
    assert metformin.next_due == D(2026, 11, 19)
    anchor = first_anchor_date(15, today, SETTINGS.preparation_days)
    assert anchor == D(2026, 12, 15)

    fill = short_fill(metformin, anchor, today, SETTINGS.refill_window_pct)
    assert fill is not None
    assert (fill.fill_date, fill.days, fill.units) == (D(2026, 11, 19), 26, 52)


def test_example_04_half_tablet_for_13_days_dispenses_7_and_bills_13_days() -> None:
    assert units_for_days(13, Decimal("0.5")) == 7

    hctz = due_on(D(2026, 12, 2), daily_quantity=Decimal("0.5"), quantity=Decimal(15))
    fill = short_fill(hctz, D(2026, 12, 15), D(2026, 11, 29), 80)
    assert fill is not None
    assert (fill.days, fill.units) == (13, 7)


def test_example_05_latest_due_anchor_gives_short_fills_of_18_10_and_0_days() -> None:
    meds = [
        due_on(D(2026, 2, 1), rx_number="RX1"),
        due_on(D(2026, 2, 9), rx_number="RX2"),
        due_on(D(2026, 2, 19), rx_number="RX3"),
    ]
    plan = build_plan(meds, D(2026, 1, 20), SETTINGS)

    assert plan.anchor_day == 19
    assert plan.first_anchor == D(2026, 2, 19)
    assert "latest next due date" in plan.anchor_reason
    days = {line.rx_number: line.short_fill.days if line.short_fill else 0 for line in plan.lines}
    assert days == {"RX1": 18, "RX2": 10, "RX3": 0}
    assert plan.recommendation.total_short_fill_days == 28


def test_example_06_ninety_day_supply_due_nov_30_then_lines_up_on_mar_15() -> None:
    losartan = med(days_supply=90, quantity=Decimal(90), last_fill_date=D(2026, 9, 1))
    assert losartan.next_due == D(2026, 11, 30)

    fill = short_fill(losartan, D(2026, 12, 15), D(2026, 11, 29), 80)
    assert fill is not None
    assert (fill.fill_date, fill.days, fill.units) == (D(2026, 11, 30), 15, 15)

    assert due_dates(D(2026, 12, 15), 90, 1) == [D(2027, 3, 15)]
    assert due_dates(D(2026, 12, 15), 30, 3) == [D(2027, 1, 14), D(2027, 2, 13), D(2027, 3, 15)]
    # On a monthly cycle the 90-day medicine is filled every third anchor.
    assert cycle_fills(D(2026, 12, 15), 90, "monthly", 1) == [CycleFill(D(2026, 12, 15), 90)]


def test_example_07_due_the_day_before_the_anchor_gets_a_one_day_fill() -> None:
    medicine = med(last_fill_date=D(2026, 1, 15), days_supply=30)
    today = D(2026, 2, 1)
    anchor = first_anchor_date(15, today, SETTINGS.preparation_days)
    assert (medicine.next_due, anchor) == (D(2026, 2, 14), D(2026, 2, 15))

    fill = short_fill(medicine, anchor, today, SETTINGS.refill_window_pct)
    assert fill is not None
    assert (fill.fill_date, fill.days, fill.units, fill.needs_override) == (
        D(2026, 2, 14),
        1,
        1,
        False,
    )
    # The anchor fill is prepared on T-3, which is inside the refill window of the Jan 15 fill.
    assert refill_eligible_date(D(2026, 1, 15), 30, 80) == D(2026, 2, 8)
    assert cycle_calendar(anchor, SETTINGS).prepare == D(2026, 2, 12)
    # Afterwards each monthly fill lasts until the next anchor, so 31-day months leave no gap.
    assert cycle_fills(anchor, 30, "monthly", 3) == [
        CycleFill(D(2026, 2, 15), 28),
        CycleFill(D(2026, 3, 15), 31),
        CycleFill(D(2026, 4, 15), 30),
    ]


def test_example_08_twenty_eight_day_cycle_has_13_tuesday_pickups_in_2026() -> None:
    pickups = anchor_dates(D(2026, 1, 6), "28_day", D(2026, 12, 31))
    assert len(pickups) == 13
    assert pickups[:4] == [D(2026, 1, 6), D(2026, 2, 3), D(2026, 3, 3), D(2026, 3, 31)]
    assert pickups[-1] == D(2026, 12, 8)
    assert {day.strftime("%A") for day in pickups} == {"Tuesday"}


def test_example_09_unit_of_use_days_supply_rounds_down() -> None:
    assert inhaler_days(puffs=200, puffs_per_dose=2, doses_per_day=2) == 50
    assert eye_drop_days(Decimal(5), drops_per_dose=1, eyes=2, doses_per_day=2) == 25
    assert insulin_days(Decimal(1500), Decimal(40)) == 37


def test_example_10_check_in_t7_reminder_t1_call_list_t3() -> None:
    calendar = cycle_calendar(D(2026, 12, 15), SETTINGS)
    assert calendar.check_in == D(2026, 12, 8)
    assert calendar.no_answer_reminder == D(2026, 12, 10)  # 48 h after the check-in
    assert calendar.call_list == D(2026, 12, 12)
    assert calendar.prepare == D(2026, 12, 12)
    assert calendar.pickup_reminder == D(2026, 12, 14)


# Example 11 runs through the check-in dialog itself (the rule lives in its question
# definition, dialogs/check_in_definition.py), not through a copy of the rule.
ANSWERS_ALL_NO = ["no", "no", "no", "no", "yes"]


def _check_in(answers: list[str]) -> list[Effect]:
    patient = PatientFacts(id=1, first_name="Ann", enrollment="active", anchor_day=15)
    ctx = Context(
        today=D(2026, 12, 8),
        pharmacy_name="Main Street Pharmacy",
        pharmacy_phone="(212) 555-0199",
        patients=(patient,),
        vocab=Vocabulary(yes=frozenset({"yes"}), no=frozenset({"no"})),
    )
    turn = step(State(), Start("check_in", {"patient_id": 1, "anchor_date": D(2026, 12, 15)}), ctx)
    effects: list[Effect] = []
    for body in answers:
        turn = step(turn.state, Text(body), ctx)
        effects.extend(turn.effects)
    return effects


@pytest.mark.parametrize("question", [0, 1, 2])
def test_example_11_any_yes_holds_the_fill_and_all_no_lets_it_proceed(question: int) -> None:
    final = [e for e in _check_in(ANSWERS_ALL_NO) if isinstance(e, SaveCheckIn)][-1]
    assert final.status == "ready" and final.flags == ()
    assert not any(isinstance(e, OpenReviewItem) for e in _check_in(ANSWERS_ALL_NO))

    answers = list(ANSWERS_ALL_NO)
    answers[question] = "yes"
    effects = _check_in(answers)
    held = [e for e in effects if isinstance(e, SaveCheckIn)][-1]
    assert held.status == "flagged" and len(held.flags) == 1
    (item,) = [e for e in effects if isinstance(e, OpenReviewItem)]
    assert item.kind == "flagged_check_in" and "on hold" in item.summary


def test_example_12_prescription_expiring_before_the_anchor_needs_renewal_at_check_in() -> None:
    written = med(written_date=D(2025, 1, 10))
    assert expiry_date(written) == D(2026, 1, 10)

    renewal = renewal_needed(written, [D(2026, 1, 15)], check_in=D(2026, 1, 8), today=D(2026, 1, 1))
    assert renewal is not None
    assert renewal.request_on == D(2026, 1, 8)
    assert renewal.expires_on == D(2026, 1, 10)
    assert "Expires Jan 10, 2026" in renewal.reason

    # The same through a whole plan: the check-in before the Jan 15 anchor raises it.
    meds = [
        due_on(D(2026, 1, 15), rx_number="RX1", written_date=D(2025, 1, 10)),
        due_on(D(2026, 1, 15), rx_number="RX2", written_date=D(2025, 6, 1)),
    ]
    plan = build_plan(meds, D(2026, 1, 1), SETTINGS)
    assert plan.first_anchor == D(2026, 1, 15)
    assert [(r.rx_number, r.request_on) for r in plan.renewals] == [("RX1", D(2026, 1, 8))]


def test_example_13_part_d_daily_cost_sharing() -> None:
    assert daily_cost_share(Decimal("10.00"), 30) == Decimal("0.33")
    assert prorated_copay(Decimal("10.00"), 7, 30) == Decimal("2.31")
    assert daily_cost_share(Decimal("15.00"), 30) == Decimal("0.50")
    assert prorated_copay(Decimal("15.00"), 12, 30) == Decimal("6.00")
    assert daily_cost_share(Decimal("11.00"), 31) == Decimal("0.35")
    assert prorated_copay(Decimal("11.00"), 10, 31) == Decimal("3.50")


def test_example_14_coinsurance_applies_to_the_cost_dispensed() -> None:
    drug = med(coinsurance=Decimal("0.25"), cost_per_day=Decimal("3.00"))
    charge = short_fill_charge(drug, 12)
    assert charge.patient_pays == Decimal("9.00")
    assert charge.full_fill_cost == Decimal("22.50")


def test_example_15_dispensing_fee_is_paid_in_full_on_a_short_fill() -> None:
    charge = short_fill_charge(med(copay=Decimal("10.00")), 7, dispensing_fee=Decimal("1.75"))
    assert charge.dispensing_fee == Decimal("1.75")
    assert charge.patient_pays == Decimal("2.31")  # while the copay is prorated


def test_example_16_refill_window_at_75_80_and_90_percent() -> None:
    assert refill_eligible_date(D(2026, 6, 1), 30, 75) == D(2026, 6, 24)
    assert refill_eligible_date(D(2026, 6, 1), 30, 80) == D(2026, 6, 25)
    assert refill_eligible_date(D(2026, 6, 1), 30, 90) == D(2026, 6, 28)

    # A short fill dispensed on Jun 24 is too soon at 80% but fine at 75%.
    filled_jun_1 = med(last_fill_date=D(2026, 6, 1))
    too_soon = short_fill(filled_jun_1, D(2026, 7, 15), D(2026, 6, 20), 80, fill_on=D(2026, 6, 24))
    in_window = short_fill(filled_jun_1, D(2026, 7, 15), D(2026, 6, 20), 75, fill_on=D(2026, 6, 24))
    assert too_soon is not None and too_soon.needs_override
    assert in_window is not None and not in_window.needs_override


def test_example_17_pdc_shifts_overlap_forward_82_of_90_days_is_adherent() -> None:
    fills = [Fill(D(2026, 1, 1), 30), Fill(D(2026, 1, 25), 30), Fill(D(2026, 3, 10), 30)]
    # The Jan 25 fill starts Jan 31, the day after the first supply runs out.
    assert covered_days(fills[:2], D(2026, 1, 1), D(2026, 3, 1)) == 60

    result = pdc(fills, period_end=D(2026, 3, 31))
    assert result is not None
    assert result.index_date == D(2026, 1, 1)
    assert (result.days_covered, result.days_in_period) == (82, 90)
    assert result.percent == Decimal("91.1")
    assert result.adherent
    # The example's 90-day period is shorter than the measure's 91-day minimum, so PQA would
    # leave this patient out of the denominator; the arithmetic stands on its own.
    assert not result.in_denominator


def test_example_18_single_fill_or_late_index_date_is_not_in_the_denominator() -> None:
    end = D(2026, 12, 31)
    single = pdc([Fill(D(2026, 3, 1), 30)], end)
    assert single is not None and not single.in_denominator

    same_day = pdc([Fill(D(2026, 3, 1), 30), Fill(D(2026, 3, 1), 30)], end)
    assert same_day is not None and not same_day.in_denominator

    late = end - dt.timedelta(days=90)
    too_late = pdc([Fill(late, 30), Fill(late + dt.timedelta(days=30), 30)], end)
    assert too_late is not None and not too_late.in_denominator

    early_enough = end - dt.timedelta(days=91)
    counted = pdc([Fill(early_enough, 30), Fill(early_enough + dt.timedelta(days=30), 30)], end)
    assert counted is not None and counted.in_denominator
