"""One patient's sync plan: what joins, the anchor, the trips, the short fills, their cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from dialogs.plan.anchor import AnchorRecommendation, recommend_anchor
from dialogs.plan.dates import check_anchor_day, format_date, ordinal, plural
from dialogs.plan.day_plan import DayPlan, PlanLine, day_plan
from dialogs.plan.day_scores import day_scores
from dialogs.plan.model import Cycle, Medication, PlanError, ProgramSettings
from dialogs.plan.open_days import MovedDate
from dialogs.plan.plan_json import (
    JsonValue,
    calendar_dict,
    line_dict,
    moved_list,
    recommendation_dict,
    trips_list,
    visit_dict,
)
from dialogs.plan.reconcile import (
    CYCLE_NAMES,
    Eligibility,
    Reconciliation,
    SyncStatus,
    check_eligibility,
    reconcile_all,
)
from dialogs.plan.renewals import Renewal
from dialogs.plan.short_fill import ShortFill
from dialogs.plan.timeline import CycleCalendar
from dialogs.plan.trips import SyncVisit, Trip, trips_sentence

__all__ = ["NotEligible", "PlanLine", "SyncPlan", "build_plan", "recommend"]


class NotEligible(PlanError):
    """Fewer than two medicines can be synced; `reconciliations` says why for each one."""

    def __init__(self, eligibility: Eligibility, reconciliations: Sequence[Reconciliation]) -> None:
        super().__init__(eligibility.reason)
        self.eligibility = eligibility
        self.reconciliations = tuple(reconciliations)


@dataclass(frozen=True)
class SyncPlan:
    today: dt.date
    cycle: Cycle
    anchor_day: int
    anchor_reason: str
    recommendation: AnchorRecommendation
    # The first anchor's pickup, on the day it really happens; when every medicine has supply
    # past it nothing is handed out then: first_synced_pickup is the first that counts.
    first_anchor: dt.date
    calendar: CycleCalendar  # of the first pickup with regular fills
    lines: tuple[PlanLine, ...]
    # Every day at the pharmacy from today through the first synced pickup, what is handed out
    # and whether a claim needs an override: what the texts may tell the patient.
    trips: tuple[Trip, ...]
    sync_visit: SyncVisit | None  # every short fill on one day; None when none is needed
    first_synced_pickup: dt.date  # the first pickup with every medicine
    # Its anchor by the calendar: what an enrollment keeps as its next anchor date, since the
    # cycle counts from it (the pickup itself may be moved off a closed day).
    first_synced_anchor: dt.date
    moved_pickups: tuple[MovedDate, ...]  # pickups moved off closed days, in the trips

    @property
    def short_fills(self) -> tuple[ShortFill, ...]:
        return tuple(line.short_fill for line in self.lines if line.short_fill is not None)

    @property
    def renewals(self) -> tuple[Renewal, ...]:
        return tuple(line.renewal for line in self.lines if line.renewal is not None)

    @property
    def short_fills_total(self) -> Decimal:
        return sum(
            (line.short_fill_cost for line in self.lines if line.short_fill_cost is not None),
            Decimal("0.00"),
        )

    @property
    def first_pickup_total(self) -> Decimal:
        """The patient's estimated cost for the regular fills at the first synced pickup."""
        # A fill spanning several months (a 90-day supply, or any fill on an 84-day cycle) is
        # estimated at that many months' copays; plans that discount 90-day fills charge less.
        return sum(
            (
                f.cost
                for trip in self.trips
                if trip.date == self.first_synced_pickup
                for f in trip.fills
                if f.kind == "anchor_fill" and f.cost is not None
            ),
            Decimal("0.00"),
        )

    @property
    def visits_before_sync(self) -> tuple[Trip, ...]:
        """The trips before the first synced pickup (the sync visit, short fills on their own)."""
        return tuple(t for t in self.trips if t.date != self.first_synced_pickup)

    @property
    def cost_notes(self) -> tuple[str, ...]:
        """Sentences the patient's cost estimate must carry, each once."""
        notes = (line.cost_note for line in self.lines if line.cost_note is not None)
        return tuple(dict.fromkeys(notes))

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready: dates as ISO strings, money as decimal strings."""
        return {
            "today": self.today.isoformat(),
            "cycle": self.cycle,
            "anchor_day": self.anchor_day,
            "anchor_reason": self.anchor_reason,
            "recommendation": recommendation_dict(self.recommendation),
            "first_anchor": self.first_anchor.isoformat(),
            "first_synced_pickup": self.first_synced_pickup.isoformat(),
            "first_synced_anchor": self.first_synced_anchor.isoformat(),
            "moved_pickups": moved_list(self.moved_pickups),
            "calendar": calendar_dict(self.calendar),
            "trips": trips_list(self.trips),
            "sync_visit": visit_dict(self.sync_visit),
            "lines": [line_dict(line) for line in self.lines],
            "short_fills_total": str(self.short_fills_total),
            "first_pickup_total": str(self.first_pickup_total),
            "cost_notes": list(self.cost_notes),
        }

    def lines_for_display(self) -> list[str]:
        """Plain sentences for the pharmacist's screen, one medicine per line."""
        regular = _cycle_phrase(self.cycle, self.anchor_day)
        synced = self.first_synced_pickup
        shown = [
            f"First pickup {format_date(synced)}, then {regular}. {self.anchor_reason}",
            *(
                [
                    f"Nothing is handed out on the first anchor, {format_date(self.first_anchor)}:"
                    " every medicine has supply past it."
                ]
                if not any(t.date == self.first_anchor for t in self.trips)
                else []
            ),
            *(
                f"{format_date(m.planned)} is {m.because}, when the pharmacy is closed: that "
                f"pickup is on {format_date(m.actual)}."
                for m in self.moved_pickups
            ),
            f"Check-in {format_date(self.calendar.check_in)}; fills ready "
            f"{format_date(self.calendar.prepare)}.",
            f"Trips: {trips_sentence(self.trips, regular)}",
        ]
        visit = self.sync_visit
        if visit is not None and visit.overrides:
            who = ", ".join(visit.overrides)
            shown.append(
                f"The sync visit on {format_date(visit.date)} needs a refill-too-soon override "
                f"for {who}."
                if visit.adopted
                else f"One sync visit on {format_date(visit.date)} would need a refill-too-soon "
                f"override for {who}; the program asks for none, so it is not planned."
            )
        for line in self.lines:
            shown.append(f"{line.drug_name} ({line.rx_number}): {_line_summary(line)}")
            shown.extend(f"  Note: {note}" for note in line.notes)
            if line.renewal is not None:
                shown.append(
                    f"  Renewal: ask the prescriber by {format_date(line.renewal.request_on)}. "
                    f"{line.renewal.reason}"
                )
        shown.append(
            f"Short fills ${self.short_fills_total} in all; first pickup about "
            f"${self.first_pickup_total}."
        )
        shown.extend(f"  Note: {note}" for note in self.cost_notes)
        return shown


def _cycle_phrase(cycle: Cycle, day: int) -> str:
    if cycle == "monthly":
        return f"on the {ordinal(day)} of every month"
    return f"every {CYCLE_NAMES[cycle].removesuffix('-day')} days"


def _line_summary(line: PlanLine) -> str:
    if line.sync_date is None:
        return line.reason
    every = "every anchor"
    if line.anchors_per_fill and line.anchors_per_fill > 1:
        every = f"every {ordinal(line.anchors_per_fill)} anchor"
    regular = (
        f"from {format_date(line.sync_date)} {every} (${line.full_fill_cost} a month's supply)"
    )
    if line.short_fill is not None:
        sf = line.short_fill
        override = ", needs a refill-too-soon override" if sf.needs_override else ""
        return (
            f"short fill {plural(sf.days, 'day')} ({plural(sf.units, 'unit')}) on "
            f"{format_date(sf.fill_date)} "
            f"(${line.short_fill_cost}{override}), then {regular}."
        )
    if line.status is SyncStatus.ALIGNED_BY_ANCHOR:
        return f"{line.reason} Filled {regular}."
    return f"no short fill needed; filled {regular}."


def _eligible_lines(
    medications: Sequence[Medication], settings: ProgramSettings
) -> list[Reconciliation]:
    """Each medicine reconciled, when two or more can be synced; raises otherwise."""
    numbers = [m.rx_number for m in medications]
    if len(set(numbers)) != len(numbers):
        raise PlanError("The same prescription number appears twice in one patient's list.")
    reconciliations = reconcile_all(medications, settings)
    eligibility = check_eligibility(reconciliations)
    if not eligibility.eligible:
        raise NotEligible(eligibility, reconciliations)
    return reconciliations


def plan_on_day(
    medications: Sequence[Medication], today: dt.date, settings: ProgramSettings, anchor_day: int
) -> DayPlan:
    """`build_plan(..., anchor_day=anchor_day)`'s lines, trips and sync visit (the same
    `day_plan`), without planning the 27 other days to recommend one: what a dialog tells about
    a day the patient may choose (its trips and cost). Raises as build_plan does."""
    reconciliations = _eligible_lines(medications, settings)
    return day_plan(check_anchor_day(anchor_day), reconciliations, today, settings)


def recommend(
    medications: Sequence[Medication], today: dt.date, settings: ProgramSettings
) -> AnchorRecommendation:
    """The pickup day `build_plan` recommends, and why, without the chosen day's detailed plan
    (the offer names the day only). Raises as build_plan does."""
    return _recommended(_eligible_lines(medications, settings), today, settings, None)


def _recommended(
    reconciliations: Sequence[Reconciliation],
    today: dt.date,
    settings: ProgramSettings,
    preferred_day: int | None,
) -> AnchorRecommendation:
    # Every day is scored: the days are compared by the trips, short fills and cost they need
    # (`day_plan(d, ...).score()`'s numbers, without building the plans).
    scores = day_scores(reconciliations, today, settings)
    return recommend_anchor(reconciliations, today, settings, preferred_day, scores)


def build_plan(
    medications: Sequence[Medication],
    today: dt.date,
    settings: ProgramSettings,
    preferred_day: int | None = None,
    anchor_day: int | None = None,
) -> SyncPlan:
    """The sync plan for one patient's active prescriptions as of `today`.

    `preferred_day` steers the recommendation; `anchor_day` overrides it (the patient's or the
    pharmacist's final choice). Raises NotEligible when fewer than two medicines can be synced.
    """
    reconciliations = _eligible_lines(medications, settings)
    recommendation = _recommended(reconciliations, today, settings, preferred_day)
    if anchor_day is None:
        day, reason = recommendation.day, recommendation.reason
    else:
        day = check_anchor_day(anchor_day)
        reason = recommendation.reason
        if day != recommendation.day:
            reason = (
                f"The {ordinal(day)}: chosen (MedSync recommended the "
                f"{ordinal(recommendation.day)})."
            )
    chosen = day_plan(day, reconciliations, today, settings)
    return SyncPlan(
        today=today,
        cycle=settings.cycle,
        anchor_day=day,
        anchor_reason=reason,
        recommendation=recommendation,
        first_anchor=chosen.first_anchor.actual,
        calendar=chosen.calendar,
        lines=chosen.lines,
        trips=chosen.trips,
        sync_visit=chosen.sync_visit,
        first_synced_pickup=chosen.first_synced_pickup,
        first_synced_anchor=chosen.first_synced_anchor,
        moved_pickups=chosen.moved_pickups,
    )
