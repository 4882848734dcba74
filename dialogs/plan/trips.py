"""Trips to the pharmacy until a patient is in sync, and the one sync visit that gets them there.

Every fill before the medicines line up has a window: from the first day the payer accepts the
claim (the refill-too-soon window; never before today) to the last day that leaves no day
without medicine (the due date, moved to an open day). Fills whose windows share a day can be
handed out together. `fewest_trips` finds the fewest days that serve every window (the classic
interval-stabbing greedy: take the earliest window's last day, serve every window holding it,
repeat), starting from the days the patient comes anyway (the anchor pickups). `one_visit` puts
every fill before the first pickup on one day, the first one any fill needs, and says which
claims would need an override there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from dialogs.plan.dates import format_date

FillKind = Literal["short_fill", "anchor_fill", "package"]


@dataclass(frozen=True)
class FillWindow:
    key: str  # the prescription (and the package's number, when several)
    earliest: dt.date  # the first day without a refill-too-soon override, not before today
    latest: dt.date  # the last open day that leaves no day without medicine

    @property
    def open(self) -> bool:
        """Whether any day serves it without an override."""
        return self.earliest <= self.latest


def fewest_trips(
    windows: Iterable[FillWindow], fixed: Iterable[dt.date] = ()
) -> dict[str, dt.date]:
    """The day each fill is handed out, using as few days as possible besides `fixed`.

    A window no day serves without an override (`earliest` after `latest`) gets its last day.
    Among days that serve a window, the latest is taken: the least early, the safest claim.
    """
    days = set(fixed)
    chosen: dict[str, dt.date] = {}
    for window in sorted(windows, key=lambda w: (w.latest, w.key)):
        serving = [d for d in days if window.earliest <= d <= window.latest]
        day = max(serving) if serving else window.latest
        days.add(day)
        chosen[window.key] = day
    return chosen


def one_visit(
    windows: Iterable[FillWindow], pickups: Iterable[dt.date] = ()
) -> tuple[dt.date | None, dict[str, dt.date]]:
    """Every fill before the first regular pickup on one visit: the first day any of them needs.

    A fill due on or after a regular pickup (`pickups`: the anchors where the patient comes
    anyway) is handed out on the last one before it is due. Returns the visit day (None when
    no fill comes before the first pickup) and each fill's day; the caller checks which need
    an override.
    """
    regular = sorted(pickups)
    pending = list(windows)
    visit = min((w.latest for w in pending if not regular or w.latest < regular[0]), default=None)
    chosen: dict[str, dt.date] = {}
    for window in pending:
        served = [d for d in regular if d <= window.latest]
        day = served[-1] if served else visit
        if day is not None:
            chosen[window.key] = day
    return visit, chosen


@dataclass(frozen=True)
class TripFill:
    rx_number: str
    drug_name: str
    kind: FillKind
    days: int  # the days' supply on the claim
    units: int | None  # whole units; None for a unit-of-use package (one package or more)
    needs_override: bool  # the claim needs a refill-too-soon override on this day
    cost: Decimal | None  # the patient's estimated cost


@dataclass(frozen=True)
class Trip:
    """One day the patient comes to the pharmacy, and what is handed out."""

    date: dt.date
    fills: tuple[TripFill, ...]
    on_anchor: bool  # a regular pickup day (possibly moved off a closed day)

    @property
    def needs_override(self) -> bool:
        return any(f.needs_override for f in self.fills)

    @property
    def cost(self) -> Decimal:
        return sum((f.cost for f in self.fills if f.cost is not None), Decimal("0.00"))


@dataclass(frozen=True)
class SyncVisit:
    """Every short fill on one day, each carrying its medicine to the anchor."""

    date: dt.date
    fills: tuple[TripFill, ...]
    # Prescriptions whose claim needs a refill-too-soon override to keep to one visit (at the
    # visit, or a medicine due after the anchor handed out on the anchor's pickup).
    overrides: tuple[str, ...]
    adopted: bool  # the plan's trips use it (False: overrides needed and not asked for)


def group_trips(
    fills: Mapping[dt.date, Sequence[TripFill]], anchor_days: Iterable[dt.date]
) -> tuple[Trip, ...]:
    anchors = set(anchor_days)
    return tuple(
        Trip(day, tuple(fills[day]), day in anchors) for day in sorted(fills) if fills[day]
    )


def trips_sentence(trips: Sequence[Trip], regular: str) -> str:
    """ "One visit on Dec 7, 2026, then on the 15th of every month from Dec 15, 2026." """
    if not trips:
        return f"Pickups {regular}."
    *before, first_synced = trips
    then = f"{regular} from {format_date(first_synced.date)}"
    if not before:
        return f"No extra visit: {then}."
    if len(before) == 1:
        return f"One visit on {format_date(before[0].date)}, then {then}."
    *most, last = (format_date(t.date) for t in before)
    return f"Visits on {', '.join(most)} and {last}, then {then}."
