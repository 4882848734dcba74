"""The pharmacy's open days, and the scheduling of fills into trips, on their own."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.plan.model import PlanError
from dialogs.plan.open_days import ALWAYS_OPEN, US_FEDERAL_HOLIDAYS, OpenDays, pickup_day
from dialogs.plan.trips import FillWindow, fewest_trips, one_visit

D = dt.date

# Open days


@pytest.mark.parametrize(
    ("day", "because"),
    [
        (D(2026, 12, 25), "Christmas Day"),
        (D(2026, 11, 26), "Thanksgiving Day"),
        (D(2027, 1, 1), "New Year's Day"),
        (D(2026, 7, 4), "Independence Day"),  # a Saturday
        (D(2026, 7, 3), None),  # federal offices observe it on Friday; a shop opens
        (D(2026, 12, 24), None),
    ],
)
def test_us_federal_holidays_close_the_pharmacy(day: dt.date, because: str | None) -> None:
    assert US_FEDERAL_HOLIDAYS.closed_because(day) == because


def test_observed_holidays_and_holidays_the_pharmacy_works() -> None:
    observed = OpenDays(observed=True)
    assert observed.closed_because(D(2026, 7, 3)) == "Independence Day (observed)"
    works_columbus_day = OpenDays(open_on_holidays=frozenset({"Columbus Day"}))
    assert US_FEDERAL_HOLIDAYS.closed_because(D(2026, 10, 12)) == "Columbus Day"
    assert works_columbus_day.is_open(D(2026, 10, 12))


def test_a_state_adds_its_own_holidays_only_when_asked() -> None:
    lincoln = D(2026, 2, 12)
    assert US_FEDERAL_HOLIDAYS.is_open(lincoln)
    assert OpenDays(holiday_subdivision="NY").closed_because(lincoln) == "Lincoln's Birthday"


def test_weekly_closed_days_and_the_pharmacys_own_dates() -> None:
    own = OpenDays(closed_weekdays=frozenset({6}), closed_dates=frozenset({D(2026, 12, 26)}))
    assert own.closed_because(D(2026, 12, 27)) == "a Sunday"
    assert own.closed_because(D(2026, 12, 26)) == "the pharmacy's closed date"
    # Christmas (Fri), its own Saturday, then Sunday: three closed days in a row.
    assert own.open_on_or_before(D(2026, 12, 27)) == D(2026, 12, 24)
    assert own.open_on_or_after(D(2026, 12, 25)) == D(2026, 12, 28)
    assert ALWAYS_OPEN.open_on_or_before(D(2026, 12, 25)) == D(2026, 12, 25)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"closed_weekdays": frozenset({7})}, "weekdays are 0 (Monday) to 6 (Sunday)"),
        ({"closed_weekdays": frozenset(range(7))}, "closed every day of the week"),
        ({"holiday_country": "XX"}, "no holiday calendar for country 'XX'"),
        ({"holiday_subdivision": "ZZ"}, "no holiday calendar for US subdivision 'ZZ'"),
        ({"holiday_country": None, "holiday_subdivision": "NY"}, "needs a holiday country"),
    ],
)
def test_bad_open_days_are_refused_with_a_sentence(fields: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        OpenDays(**fields)


def test_a_closure_longer_than_two_weeks_is_a_settings_mistake() -> None:
    shut = OpenDays(closed_dates=frozenset(D(2026, 8, 1) + dt.timedelta(n) for n in range(20)))
    with pytest.raises(PlanError, match="closed for more than 14 days"):
        shut.open_on_or_before(D(2026, 8, 19))


@settings(max_examples=200, deadline=None)
@given(
    planned=st.dates(D(2025, 1, 1), D(2030, 12, 31)),
    before=st.integers(0, 20),
    weekdays=st.frozensets(st.integers(0, 6), max_size=3),
)
def test_a_pickup_moves_earlier_to_an_open_day_unless_closed_since_today(
    planned: dt.date, before: int, weekdays: frozenset[int]
) -> None:
    open_days = OpenDays(closed_weekdays=weekdays)
    today = planned - dt.timedelta(days=before)
    moved = pickup_day(planned, open_days, not_before=today)
    assert open_days.is_open(moved.actual)
    assert moved.actual >= today
    if moved.actual > planned:  # only when every day from today to the planned day is closed
        assert all(not open_days.is_open(today + dt.timedelta(n)) for n in range(before + 1))
    else:
        assert all(
            not open_days.is_open(moved.actual + dt.timedelta(n))
            for n in range(1, (planned - moved.actual).days + 1)
        )


# Trips


def _w(key: str, earliest: int, latest: int) -> FillWindow:
    return FillWindow(key, D(2026, 12, earliest), D(2026, 12, latest))


def test_fewest_trips_merges_what_the_windows_allow() -> None:
    windows = [_w("A", 1, 3), _w("B", 2, 8), _w("C", 6, 10), _w("D", 9, 12)]
    days = fewest_trips(windows)
    assert days == {"A": D(2026, 12, 3), "B": D(2026, 12, 3), "C": D(2026, 12, 10),
                    "D": D(2026, 12, 10)}  # fmt: skip
    # The anchor, where the patient comes anyway, serves what it can.
    assert fewest_trips(windows, fixed=[D(2026, 12, 9)])["C"] == D(2026, 12, 9)


def test_one_visit_is_the_first_day_any_fill_needs() -> None:
    windows = [_w("A", 1, 3), _w("B", 5, 8), _w("LATE", 14, 20)]
    visit, days = one_visit(windows, pickups=[D(2026, 12, 15)])
    assert visit == D(2026, 12, 3)
    assert days == {"A": visit, "B": visit, "LATE": D(2026, 12, 15)}
    assert one_visit([], pickups=[D(2026, 12, 15)]) == (None, {})


windows_lists = st.lists(
    st.tuples(st.integers(1, 20), st.integers(0, 6)).map(lambda t: (t[0], t[0] + t[1])),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(spans=windows_lists)
def test_fewest_trips_is_as_few_as_any_choice_of_days(spans: list[tuple[int, int]]) -> None:
    windows = [_w(f"W{n}", a, b) for n, (a, b) in enumerate(spans)]
    days = fewest_trips(windows)
    assert all(w.earliest <= days[w.key] <= w.latest for w in windows)
    # Brute force: the fewest days of December 1-26 that serve every window.
    candidates = [D(2026, 12, d) for d in range(1, 27)]
    best = next(
        size
        for size in range(1, len(windows) + 1)
        for chosen in itertools.combinations(candidates, size)
        if all(any(w.earliest <= d <= w.latest for d in chosen) for w in windows)
    )
    assert len(set(days.values())) == best
