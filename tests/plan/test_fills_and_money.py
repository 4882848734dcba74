"""Short fills, packages, copays, renewals, cycles and PDC beyond the worked examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dialogs.plan.adherence import ADHERENT_ANTIRETROVIRAL, Fill, patient_adherence, pdc
from dialogs.plan.copay import package_month_days, prorated_copay, short_fill_charge
from dialogs.plan.cycles import CycleFill, anchor_on_or_after, cycle_fills, cycles_per_fill
from dialogs.plan.dates import add_months, day_of_month_on_or_after, first_anchor_date, ordinal
from dialogs.plan.model import PlanError
from dialogs.plan.renewals import expiry_date, refills_left, renewal_needed
from dialogs.plan.short_fill import days_per_unit, short_fill, units_for_days
from dialogs.plan.unit_of_use import unit_of_use_days
from tests.plan.factories import due_on, med

D = dt.date
TODAY = D(2026, 11, 29)


# Short fills


def test_overdue_medicine_is_short_filled_from_today() -> None:
    fill = short_fill(due_on(D(2026, 11, 19)), D(2026, 12, 15), TODAY, 80)
    assert fill is not None
    assert (fill.fill_date, fill.days, fill.due_date) == (TODAY, 16, D(2026, 11, 19))


def test_medicine_due_on_the_anchor_needs_no_short_fill() -> None:
    assert short_fill(due_on(D(2026, 12, 15)), D(2026, 12, 15), TODAY, 80) is None


def test_supply_past_the_anchor_is_refused_not_made_negative() -> None:
    with pytest.raises(PlanError, match="past the Dec 15, 2026 anchor"):
        short_fill(due_on(D(2026, 12, 20)), D(2026, 12, 15), TODAY, 80)


def test_filling_after_the_due_date_would_leave_a_gap_and_is_refused() -> None:
    with pytest.raises(PlanError, match="without medicine"):
        short_fill(due_on(D(2026, 12, 3)), D(2026, 12, 15), TODAY, 80, fill_on=D(2026, 12, 5))


def test_all_short_fills_at_one_visit_flags_the_ones_too_soon() -> None:
    visit = D(2026, 11, 30)
    early = short_fill(due_on(D(2026, 12, 10)), D(2026, 12, 15), TODAY, 80, fill_on=visit)
    assert early is not None
    assert (early.days, early.fill_date, early.needs_override) == (5, visit, True)
    assert early.eligible_on == D(2026, 12, 4)


def test_prn_without_daily_quantity_has_no_short_fill() -> None:
    with pytest.raises(PlanError, match="no daily quantity"):
        short_fill(med(daily_quantity=None), D(2026, 12, 15), TODAY, 80)


@pytest.mark.parametrize(
    ("days", "daily", "units"),
    [(28, "0.142857", 4), (28, "0.142858", 4), (6, "0.142857", 1), (3, "0.333333", 1),
     (13, "0.5", 7), (12, "0.25", 3), (10, "1.5", 15), (0, "2", 0)],
)  # fmt: skip
def test_units_round_up_after_snapping_rounded_daily_quantities(
    days: int, daily: str, units: int
) -> None:
    assert units_for_days(days, Decimal(daily)) == units


def test_unit_of_use_days_refuses_a_zero_dose() -> None:
    with pytest.raises(PlanError):
        unit_of_use_days(Decimal(100), Decimal(0))


# Money


def test_prorated_copay_is_capped_at_the_full_copay() -> None:
    # $0.50 / 30 rounds up to $0.02 a day; 29 days of that would be $0.58.
    assert prorated_copay(Decimal("0.50"), 29) == Decimal("0.50")
    assert prorated_copay(Decimal("10.00"), 30) == Decimal("10.00")
    assert prorated_copay(Decimal("10.00"), 0) == Decimal("0.00")


@pytest.mark.parametrize("field", ["antibiotic", "original_container"])
def test_part_d_exceptions_pay_the_full_copay(field: str) -> None:
    charge = short_fill_charge(med(copay=Decimal("10.00"), **{field: True}), 7)
    assert charge.patient_pays == Decimal("10.00")
    assert not charge.prorated
    assert "daily cost-sharing does not apply" in charge.basis


def test_charge_explains_its_basis() -> None:
    assert short_fill_charge(med(copay=Decimal("10.00")), 7).basis == (
        "$0.33 a day ($10.00 / 30 days) for 7 days."
    )
    coinsurance = med(coinsurance=Decimal("0.25"), cost_per_day=Decimal("3.00"))
    assert short_fill_charge(coinsurance, 12).basis == "25% coinsurance on 12 days at $3.00 a day."


# Renewals


def test_controlled_iii_to_v_expire_after_six_months_and_five_refills() -> None:
    alprazolam = med(dea_schedule="CIV", written_date=D(2026, 8, 31), refills_remaining=9)
    assert expiry_date(alprazolam) == D(2027, 2, 28)
    assert refills_left(alprazolam) == 5


def test_short_fill_blocked_by_refills_is_raised_today() -> None:
    none_left = med(refills_remaining=0)
    renewal = renewal_needed(none_left, [D(2026, 12, 3), D(2026, 12, 15)], D(2026, 12, 8), TODAY)
    assert renewal is not None
    assert renewal.request_on == TODAY
    assert renewal.reason == "0 refills left for 2 planned fills: none for the Dec 3, 2026 fill."


def test_enough_refills_and_time_need_no_renewal() -> None:
    assert renewal_needed(med(), [D(2026, 12, 3), D(2026, 12, 15)], D(2026, 12, 8), TODAY) is None
    assert renewal_needed(med(), [], D(2026, 12, 8), TODAY) is None


# Dates and cycles


def test_add_months_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2026, 11, 15), 3) == D(2027, 2, 15)


def test_first_anchor_needs_the_preparation_days() -> None:
    assert first_anchor_date(1, TODAY, 3) == D(2027, 1, 1)  # Dec 1 is only 2 days away
    assert first_anchor_date(2, TODAY, 3) == D(2026, 12, 2)
    assert day_of_month_on_or_after(28, D(2027, 2, 28)) == D(2027, 2, 28)
    with pytest.raises(PlanError):
        day_of_month_on_or_after(29, TODAY)


@pytest.mark.parametrize(
    ("day", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (11, "11th"), (12, "12th"), (21, "21st"), (28, "28th")],
)
def test_ordinals(day: int, text: str) -> None:
    assert ordinal(day) == text


def test_anchor_on_or_after_for_each_cycle() -> None:
    first = D(2026, 12, 15)
    assert anchor_on_or_after(first, "monthly", D(2026, 12, 16)) == D(2027, 1, 15)
    assert anchor_on_or_after(first, "28_day", D(2026, 12, 16)) == D(2027, 1, 12)
    assert anchor_on_or_after(first, "90_day", D(2026, 12, 16)) == D(2027, 3, 15)
    assert anchor_on_or_after(first, "monthly", D(2026, 1, 1)) == first


def test_ninety_day_cycle_dispenses_ninety_days_of_a_thirty_day_medicine() -> None:
    assert cycles_per_fill(30, "90_day") == 1
    assert cycles_per_fill(45, "monthly") == 2
    assert cycle_fills(D(2026, 12, 15), 30, "90_day", 2) == [
        CycleFill(D(2026, 12, 15), 90),
        CycleFill(D(2027, 3, 15), 90),
    ]
    assert cycle_fills(D(2026, 12, 15), 30, "28_day", 1) == [CycleFill(D(2026, 12, 15), 28)]


# Adherence


def test_patient_adherence_is_the_weakest_counted_medicine() -> None:
    end = D(2026, 12, 31)
    regular = pdc([Fill(D(2026, 1, 1) + dt.timedelta(days=30 * n), 30) for n in range(13)], end)
    patchy = pdc([Fill(D(2026, 1, 1), 30), Fill(D(2026, 6, 1), 90)], end)
    single = pdc([Fill(D(2026, 1, 1), 30)], end)
    result = patient_adherence([regular, patchy, single, None])
    assert result.measured == 2
    assert result.adherent is False
    assert patchy is not None and result.lowest == patchy.ratio
    assert patient_adherence([single]).adherent is None


def test_antiretrovirals_need_ninety_percent() -> None:
    fills = [Fill(D(2026, 1, 1), 30), Fill(D(2026, 2, 10), 30), Fill(D(2026, 3, 15), 30)]
    end = D(2026, 4, 14)
    usual = pdc(fills, end)
    strict = pdc(fills, end, threshold=ADHERENT_ANTIRETROVIRAL)
    assert usual is not None and strict is not None
    assert (usual.days_covered, usual.days_in_period) == (90, 104)
    assert usual.percent == Decimal("86.5")
    assert usual.adherent and not strict.adherent


def test_pdc_ignores_fills_outside_the_period() -> None:
    fills = [Fill(D(2025, 12, 1), 30), Fill(D(2026, 1, 1), 30), Fill(D(2027, 1, 5), 30)]
    result = pdc(fills, D(2026, 12, 31), period_start=D(2026, 1, 1))
    assert result is not None
    assert (result.index_date, result.days_covered) == (D(2026, 1, 1), 30)
    assert pdc([], D(2026, 12, 31)) is None


@pytest.mark.parametrize(
    ("daily", "per_unit"),
    [("1", None), ("0.5", None), ("0.25", None), ("0.285714", None), ("0.142857", 7),
     ("0.142858", 7), ("0.071429", 14), ("0.033333", 30)],
)  # fmt: skip
def test_a_unit_is_a_whole_dose_from_once_a_week(daily: str, per_unit: int | None) -> None:
    # Half a tablet a day is a day's dose (example 4); a weekly tablet is a week's.
    assert days_per_unit(Decimal(daily)) == per_unit


@pytest.mark.parametrize(
    ("days_supply", "month"),
    [(28, 28), (56, 28), (84, 28), (30, 30), (31, 31), (90, 30), (91, 30), (25, 30), (37, 30)],
)
def test_a_package_month_is_its_own_when_it_divides_into_28_to_31_days(
    days_supply: int, month: int
) -> None:
    assert package_month_days(days_supply) == month
