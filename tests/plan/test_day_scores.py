"""The 28 days compared the lean way (`day_scores`) against the day plans themselves.

`day_plan(d, ..., detailed=True).score()` is the reference: for generated patients, days and
programs every day's score must be the same (the cost to the cent and its written form), the
recommendation `recommend` makes must be the one those scores make, and where a day plan
raises, the comparison raises the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.plan.anchor import DayScore, recommend_anchor
from dialogs.plan.dates import LAST_ANCHOR_DAY
from dialogs.plan.day_plan import day_plan
from dialogs.plan.day_scores import day_scores
from dialogs.plan.model import (
    AnchorPolicy,
    Cycle,
    Medication,
    Package,
    PayerKind,
    ProgramSettings,
    Schedule,
)
from dialogs.plan.open_days import ALWAYS_OPEN, OpenDays
from dialogs.plan.plan import recommend
from dialogs.plan.reconcile import Reconciliation, check_eligibility, reconcile_all
from tests.bench.plan import PROGRAMS
from tests.plan.factories import med
from tests.plan.sample_export import EXPORT_DAY, PATIENTS
from tests.plan.test_properties import dailies, open_days, supplies, todays

T = TypeVar("T")
Outcome = tuple[str, object]

MANY = settings(max_examples=300, deadline=None)


def _outcome(work: Callable[[], T]) -> Outcome:
    """What `work` returns, or the exception it raises (its type and sentence)."""
    try:
        return "returned", work()
    except Exception as error:  # compared, not swallowed: both sides must raise the same
        return "raised", (type(error), str(error))


def _reference(
    reconciliations: list[Reconciliation], today: dt.date, program: ProgramSettings
) -> dict[int, DayScore]:
    return {
        d: day_plan(d, reconciliations, today, program, detailed=True).score()
        for d in range(1, LAST_ANCHOR_DAY + 1)
    }


def _written(scores: object) -> object:
    """The scores with each cost as written, so 10.0 and 10.00 differ."""
    if not isinstance(scores, dict):
        return scores
    return {d: (s, str(s.cost)) for d, s in scores.items()}


def assert_same_as_the_day_plans(
    medications: list[Medication],
    today: dt.date,
    program: ProgramSettings,
    preferred_day: int | None = None,
) -> None:
    reconciliations = reconcile_all(medications, program)
    expected = _outcome(lambda: _reference(reconciliations, today, program))
    fast = _outcome(lambda: day_scores(reconciliations, today, program))
    assert fast[0] == expected[0], (fast, expected)
    assert _written(fast[1]) == _written(expected[1])
    if expected[0] == "raised":
        return
    reference = expected[1]
    assert isinstance(reference, dict)
    wanted = _outcome(
        lambda: recommend_anchor(reconciliations, today, program, preferred_day, reference)
    )
    fast_scores = fast[1]
    assert isinstance(fast_scores, dict)
    got = _outcome(
        lambda: recommend_anchor(reconciliations, today, program, preferred_day, fast_scores)
    )
    assert got == wanted
    if preferred_day is None and check_eligibility(reconciliations).eligible:
        assert _outcome(lambda: recommend(medications, today, program)) == wanted  # the offer's


@st.composite
def closed_near(draw: st.DrawFn, today: dt.date) -> OpenDays:
    """A calendar whose closed dates fall in the months being planned, so pickups, handouts and
    the staff's days move."""
    near = st.dates(today - dt.timedelta(days=20), today + dt.timedelta(days=200))
    return OpenDays(
        closed_weekdays=draw(st.frozensets(st.integers(0, 6), max_size=2)),
        closed_dates=draw(st.frozensets(near, max_size=40)),
        holiday_country=draw(st.sampled_from(["US", None])),
    )


@st.composite
def programs(draw: st.DrawFn, today: dt.date) -> ProgramSettings:
    cycle = draw(st.sampled_from(get_args(Cycle)))
    return ProgramSettings(
        preparation_days=draw(st.integers(0, 7)),
        checkin_lead_days=draw(st.integers(0, 10)),
        call_list_days_before=draw(st.integers(0, 5)),
        refill_window_pct=draw(st.integers(70, 100)),
        anchor_policy=draw(st.sampled_from(get_args(AnchorPolicy))),
        cycle=cycle,
        max_days_supply=draw(st.integers(91 if cycle == "91_day" else 28, 120)),
        sync_visit_overrides=draw(st.booleans()),
        sync_controlled_c3_c5=draw(st.booleans()),
        state=draw(st.sampled_from([None, "NY", "ok", "ME", "CO", "KY", "TX"])),
        month_supply_days=draw(st.integers(28, 31)),
        open_days=draw(st.just(ALWAYS_OPEN) | open_days | closed_near(today)),
    )


@st.composite
def medicines(draw: st.DrawFn, today: dt.date, n: int) -> Medication:
    """Tablets mostly; now and then a package, a PRN, an acute course, a controlled one, a
    weekly dose, a payer, coinsurance, a plan's own maximum."""
    days_supply = draw(supplies)
    package: Package | None = draw(st.none() | st.sampled_from(get_args(Package)))
    coinsurance = draw(st.none() | st.decimals("0.05", "0.5", places=2))
    payer: PayerKind | None = draw(st.none() | st.sampled_from(get_args(PayerKind)))
    schedule: Schedule | None = draw(st.sampled_from([None, None, None, *get_args(Schedule)]))
    if package is not None:
        days_supply = draw(st.sampled_from([25, 28, 30, 37, 50, 84, 90]))
    return med(
        rx_number=f"RX{n}",
        days_supply=days_supply,
        daily_quantity=None if package is not None else draw(dailies),
        quantity=Decimal(draw(st.integers(1, 200))),
        last_fill_date=today - dt.timedelta(days=draw(st.integers(-10, days_supply + 30))),
        copay=draw(st.decimals(0, 60, places=draw(st.sampled_from([0, 2])))),
        prn=draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()),
        maintenance=not (draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())),
        dea_schedule=schedule,
        package=package,
        payer=payer,
        coinsurance=coinsurance,
        cost_per_day=None if coinsurance is None else draw(st.decimals("0.10", "20", places=2)),
        antibiotic=draw(st.booleans()) and draw(st.booleans()),
        original_container=draw(st.booleans()) and draw(st.booleans()),
        max_days_supply=draw(st.none() | st.integers(28, 120)),
    )


@st.composite
def patients(draw: st.DrawFn) -> tuple[list[Medication], dt.date, ProgramSettings]:
    today = draw(todays)
    count = draw(st.integers(1, 7))
    meds = [draw(medicines(today, n)) for n in range(count)]
    return meds, today, draw(programs(today))


@MANY
@given(patients(), st.none() | st.integers(1, LAST_ANCHOR_DAY))
def test_every_day_scores_as_its_day_plan(
    case: tuple[list[Medication], dt.date, ProgramSettings], preferred_day: int | None
) -> None:
    medications, today, program = case
    assert_same_as_the_day_plans(medications, today, program, preferred_day)


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
@pytest.mark.parametrize("patient", PATIENTS.keys())
def test_the_sample_export_scores_as_its_day_plans(patient: str, program: ProgramSettings) -> None:
    assert_same_as_the_day_plans(PATIENTS[patient], EXPORT_DAY, program)


@pytest.mark.parametrize("weeks_from_today", range(-6, 160, 4))
@pytest.mark.parametrize("cycle", ["monthly", "84_day"])
def test_a_pharmacy_closed_for_weeks_raises_as_the_day_plans_do(
    weeks_from_today: int, cycle: Cycle
) -> None:
    """Three weeks closed, from a month before today to three years on: where a day plan
    raises for it (and where none does), the comparison does the same."""
    closed_from = EXPORT_DAY + dt.timedelta(weeks=weeks_from_today)
    closed = frozenset(closed_from + dt.timedelta(days=n) for n in range(21))
    program = ProgramSettings(cycle=cycle, open_days=OpenDays(closed_dates=closed))
    for patient in ("P1001", "P1002", "P1003"):
        assert_same_as_the_day_plans(PATIENTS[patient], EXPORT_DAY, program)
