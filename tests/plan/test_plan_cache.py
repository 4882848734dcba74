"""The sync plan a dialog offers is worked out once per set of inputs (issue 19): a patient's
texts while choosing a day reuse it, and any change to a prescription, the program or the
day works it out again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.program import plans
from store.models import Patient, Pharmacy, Prescription

TODAY = dt.date(2026, 11, 29)


def patient() -> Patient:
    pharmacy = Pharmacy(name="Main Street", state="NY", program={})
    person = Patient(id=4242, pharmacy=pharmacy)
    for n, (days, last) in enumerate([(30, dt.date(2026, 11, 10)), (30, dt.date(2026, 11, 20))]):
        person.prescriptions.append(
            Prescription(
                rx_number=f"RX{n}",
                drug_name=f"Medicine {n}",
                daily_quantity=Decimal(1),
                days_supply=days,
                quantity=Decimal(days),
                last_fill_date=last,
                refills_remaining=5,
                written_date=dt.date(2026, 6, 1),
                dea_schedule=None,
                prn=False,
                maintenance=True,
                package=None,
                copay=Decimal("5.00"),
                status="active",
            )
        )
    return person


def test_the_plan_is_worked_out_once_and_again_on_any_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[int] = []
    real = plans.recommend

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plans, "recommend", counted)
    monkeypatch.setattr(plans, "_plans", type(plans._plans)())
    person = patient()
    first = plans.proposal(person, TODAY)
    assert plans.proposal(person, TODAY) == first and len(made) == 1
    assert plans.proposal(patient(), TODAY) == first and len(made) == 1  # the same inputs
    person.prescriptions[1].last_fill_date = dt.date(2026, 11, 25)  # a fill
    plans.proposal(person, TODAY)
    assert len(made) == 2
    plans.proposal(person, TODAY + dt.timedelta(days=1))  # another day
    assert len(made) == 3
    person.pharmacy.program = {"preparation_days": 2}  # the pharmacy's program
    plans.proposal(person, TODAY + dt.timedelta(days=1))
    assert len(made) == 4


def test_the_cache_keeps_a_bounded_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plans, "_plans", type(plans._plans)())
    monkeypatch.setattr(plans, "PLANS_KEPT", 3)
    person = patient()
    for day in range(6):
        plans.proposal(person, TODAY + dt.timedelta(days=day))
    assert len(plans._plans) == 3


def test_a_day_the_patient_may_choose_is_planned_alone_as_the_full_plan_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The anchor dialog's trips and cost for a day (`DayPlans`) come from that day's plan
    only (issue 19): the same lines, trips and sync visit as `plan_for` with that anchor day,
    without `build_plan` planning all 28 days to recommend one."""
    person = patient()
    full = {day: plans.plan_for(person, TODAY, day) for day in (1, 10, 15, 28)}
    made: list[int] = []
    monkeypatch.setattr(plans, "build_plan", lambda *a, **k: made.append(1))
    days = plans.DayPlans(person, TODAY)
    for day, plan in full.items():
        alone = days.get(day)
        assert alone is not None
        assert alone.lines == plan.lines and alone.trips == plan.trips
        assert alone.sync_visit == plan.sync_visit
        assert alone.visits_before_sync == plan.visits_before_sync
        assert alone.first_synced_anchor == plan.first_synced_anchor
        assert plans.trip_plan(alone) == plans.trip_plan(plan)
    assert made == [] and days.get(29) is None


@pytest.mark.parametrize("last_fill", [dt.date(2026, 11, 3), dt.date(2026, 11, 20), TODAY])
def test_the_offer_recommends_the_day_the_whole_plan_does(last_fill: dt.date) -> None:
    """`recommend` (the offer's day) skips the chosen day's detailed plan, nothing else."""
    person = patient()
    person.prescriptions[0].last_fill_date = last_fill
    meds = [plans.medication(rx) for rx in person.prescriptions]
    settings = plans.program_settings(person)
    whole = plans.build_plan(meds, TODAY, settings)
    assert plans.recommend(meds, TODAY, settings) == whole.recommendation
    assert plans.proposal(person, TODAY).day == whole.anchor_day
