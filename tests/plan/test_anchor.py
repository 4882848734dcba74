"""Anchor recommendations under each policy, and the days 29-31."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dialogs.plan.anchor import recommend_anchor, total_short_fill_days
from dialogs.plan.model import Medication, PlanError, ProgramSettings
from dialogs.plan.reconcile import reconcile_all
from tests.plan.factories import due_on

D = dt.date
TODAY = D(2026, 11, 29)
LATEST = ProgramSettings()
MOST_COMMON = ProgramSettings(anchor_policy="most_common_due")
COSTLIEST = ProgramSettings(anchor_policy="unit_of_use_or_costliest")


def _recommend(
    meds: list[Medication], settings: ProgramSettings = LATEST, **kw: int
) -> tuple[int, str]:
    result = recommend_anchor(reconcile_all(meds, settings), TODAY, settings, **kw)
    return result.day, result.reason


def _due(*dates: dt.date) -> list[Medication]:
    return [due_on(d, rx_number=f"RX{n}") for n, d in enumerate(dates)]


def test_latest_due_on_the_30th_rolls_to_the_1st_so_nothing_runs_out_early() -> None:
    day, reason = _recommend(_due(D(2026, 12, 10), D(2026, 12, 30)))
    assert day == 1
    assert "It falls on the 30th" in reason
    assert "the 1st, so nothing runs out early" in reason


def test_latest_due_before_the_pharmacy_can_prepare_uses_the_first_ready_day() -> None:
    day, reason = _recommend(_due(D(2026, 11, 30), D(2026, 12, 1)))
    assert day == 2  # Nov 29 + 3 days' preparation
    assert "the pharmacy needs 3 days" in reason
    assert total_short_fill_days(2, _due(D(2026, 11, 30), D(2026, 12, 1)), TODAY, LATEST) == 3


def test_most_common_due_day_wins_and_ties_go_to_the_later_date() -> None:
    assert _recommend(_due(D(2026, 12, 5), D(2026, 12, 5), D(2026, 12, 20)), MOST_COMMON)[0] == 5
    assert _recommend(_due(D(2026, 12, 5), D(2026, 12, 20)), MOST_COMMON)[0] == 20


def test_costliest_medicine_sets_the_anchor_when_there_is_no_package() -> None:
    meds = [
        due_on(D(2026, 12, 8), rx_number="RX1", copay=Decimal("40.00")),
        due_on(D(2026, 12, 20), rx_number="RX2", copay=Decimal("3.00")),
    ]
    day, reason = _recommend(meds, COSTLIEST)
    assert day == 8
    assert "the costliest medicine" in reason
    # The drug's own cost beats the copay when the export has it.
    meds.append(due_on(D(2026, 12, 14), rx_number="RX3", cost_per_day=Decimal("9.00")))
    assert _recommend(meds, COSTLIEST)[0] == 14


def test_package_sets_the_anchor_under_the_unit_of_use_policy() -> None:
    meds = [*_due(D(2026, 12, 4), D(2026, 12, 20)), due_on(D(2026, 12, 9), rx_number="PEN",
            package="insulin", daily_quantity=None)]  # fmt: skip
    day, reason = _recommend(meds, COSTLIEST)
    assert day == 9
    assert "unit-of-use package that cannot be short-filled" in reason


def test_package_due_on_the_31st_is_dispensed_a_few_days_early_on_the_28th() -> None:
    meds = [*_due(D(2026, 12, 4), D(2026, 12, 20)), due_on(D(2026, 12, 31), rx_number="PEN",
            package="insulin", daily_quantity=None)]  # fmt: skip
    day, reason = _recommend(meds, COSTLIEST)
    assert day == 28
    assert "the 28th, a whole package a few days early" in reason


def test_with_only_one_short_fillable_medicine_the_anchor_follows_the_package() -> None:
    meds = [due_on(D(2026, 12, 4), rx_number="RX1"), due_on(D(2026, 12, 12), rx_number="PEN",
            package="eye_drops", daily_quantity=None, days_supply=25)]  # fmt: skip
    day, reason = _recommend(meds)
    assert day == 12
    assert "Fewer than two medicines can be short-filled" in reason


def test_preferred_day_is_taken_and_alternatives_rank_by_short_fill_days() -> None:
    meds = _due(D(2026, 12, 10), D(2026, 12, 12))
    result = recommend_anchor(reconcile_all(meds, LATEST), TODAY, LATEST, preferred_day=20)
    assert result.day == 20
    assert result.reason == "The 20th: the patient's preferred day. 18 short-fill days in all."
    assert [(s.day, s.short_fill_days) for s in result.alternatives] == [(12, 2), (13, 4), (14, 6)]


@pytest.mark.parametrize("day", [0, 29, 31])
def test_preferred_day_outside_1_to_28_is_refused(day: int) -> None:
    with pytest.raises(PlanError, match="1-28"):
        _recommend(_due(D(2026, 12, 10), D(2026, 12, 12)), preferred_day=day)


def test_medicine_with_supply_past_the_anchor_is_counted_to_the_next_anchor() -> None:
    meds = _due(D(2026, 12, 5), D(2026, 12, 20))
    # Anchor the 10th: RX0 needs 5 days to Dec 10; RX1 waits until Dec 20 then 21 days to Jan 10.
    assert total_short_fill_days(10, meds, TODAY, LATEST) == 5 + 21
