"""One patient's sync plan: what joins, the anchor, the short fills, their cost, the renewals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from dialogs.plan.anchor import AnchorRecommendation, recommend_anchor
from dialogs.plan.copay import full_fill_cost, short_fill_charge
from dialogs.plan.cycles import CycleFill, cycle_fills, cycles_per_fill
from dialogs.plan.dates import check_anchor_day, first_anchor_date, format_date, ordinal, plural
from dialogs.plan.model import Cycle, Medication, PlanError, ProgramSettings
from dialogs.plan.reconcile import (
    CYCLE_NAMES,
    Eligibility,
    Reconciliation,
    SyncStatus,
    check_eligibility,
    reconcile_all,
    settle_unit_of_use,
)
from dialogs.plan.renewals import Renewal, renewal_needed
from dialogs.plan.short_fill import ShortFill, short_fill, supply_start, sync_date_for
from dialogs.plan.timeline import CycleCalendar, cycle_calendar

NEXT_FILLS_SHOWN = 3
JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class NotEligible(PlanError):
    """Fewer than two medicines can be synced; `reconciliations` says why for each one."""

    def __init__(self, eligibility: Eligibility, reconciliations: Sequence[Reconciliation]) -> None:
        super().__init__(eligibility.reason)
        self.eligibility = eligibility
        self.reconciliations = tuple(reconciliations)


@dataclass(frozen=True)
class PlanLine:
    rx_number: str
    drug_name: str
    status: SyncStatus
    reason: str
    due_date: dt.date  # when the last fill runs out, if taken as directed
    sync_date: dt.date | None  # the anchor it is first filled on, when it joins the sync
    short_fill: ShortFill | None
    short_fill_cost: Decimal | None  # what the patient pays for the short fill
    full_fill_cost: Decimal  # what the patient pays for a month's supply on the anchor
    anchors_per_fill: int | None  # 3 for a 90-day supply on a monthly cycle
    next_fills: tuple[CycleFill, ...]
    renewal: Renewal | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class SyncPlan:
    today: dt.date
    cycle: Cycle
    anchor_day: int
    anchor_reason: str
    recommendation: AnchorRecommendation
    first_anchor: dt.date
    calendar: CycleCalendar  # of the first anchor
    lines: tuple[PlanLine, ...]

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
        """The patient's estimated cost at the first anchor pickup."""
        # A fill spanning several anchors is estimated at that many months' copays; plans that
        # discount 90-day fills charge less.
        return sum(
            (
                line.full_fill_cost * (line.anchors_per_fill or 1)
                for line in self.lines
                if line.sync_date == self.first_anchor
            ),
            Decimal("0.00"),
        )

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready: dates as ISO strings, money as decimal strings."""
        c = self.calendar
        return {
            "today": self.today.isoformat(),
            "cycle": self.cycle,
            "anchor_day": self.anchor_day,
            "anchor_reason": self.anchor_reason,
            "recommendation": {
                "day": self.recommendation.day,
                "reason": self.recommendation.reason,
                "total_short_fill_days": self.recommendation.total_short_fill_days,
                "alternatives": [
                    {"day": day, "short_fill_days": days}
                    for day, days in self.recommendation.alternatives
                ],
            },
            "first_anchor": self.first_anchor.isoformat(),
            "calendar": {
                "check_in": c.check_in.isoformat(),
                "no_answer_reminder": c.no_answer_reminder.isoformat(),
                "call_list": c.call_list.isoformat(),
                "prepare": c.prepare.isoformat(),
                "pickup_reminder": c.pickup_reminder.isoformat(),
            },
            "lines": [_line_dict(line) for line in self.lines],
            "short_fills_total": str(self.short_fills_total),
            "first_pickup_total": str(self.first_pickup_total),
        }

    def lines_for_display(self) -> list[str]:
        """Plain sentences for the pharmacist's screen, one medicine per line."""
        shown = [
            f"First pickup {format_date(self.first_anchor)}, then "
            f"{_cycle_phrase(self.cycle, self.anchor_day)}. {self.anchor_reason}",
            f"Check-in {format_date(self.calendar.check_in)}; fills ready "
            f"{format_date(self.calendar.prepare)}.",
        ]
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


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _line_dict(line: PlanLine) -> dict[str, JsonValue]:
    sf = line.short_fill
    renewal = line.renewal
    return {
        "rx_number": line.rx_number,
        "drug_name": line.drug_name,
        "status": line.status.value,
        "reason": line.reason,
        "due_date": line.due_date.isoformat(),
        "sync_date": _iso(line.sync_date),
        "short_fill": None
        if sf is None
        else {
            "fill_date": sf.fill_date.isoformat(),
            "days": sf.days,
            "units": sf.units,
            "eligible_on": sf.eligible_on.isoformat(),
            "needs_override": sf.needs_override,
        },
        "short_fill_cost": _money(line.short_fill_cost),
        "full_fill_cost": str(line.full_fill_cost),
        "anchors_per_fill": line.anchors_per_fill,
        "next_fills": [{"date": f.fill_date.isoformat(), "days": f.days} for f in line.next_fills],
        "renewal": None
        if renewal is None
        else {
            "request_on": renewal.request_on.isoformat(),
            "expires_on": renewal.expires_on.isoformat(),
            "reason": renewal.reason,
        },
        "notes": list(line.notes),
    }


def _package_fills(medication: Medication, anchor: dt.date, today: dt.date) -> list[dt.date]:
    """Whole-package fills from now through the anchor (an overdue one is filled today)."""
    fills: list[dt.date] = []
    due = supply_start(medication, today)
    while due < anchor:
        fills.append(due)
        due += dt.timedelta(days=medication.days_supply)
    return [*fills, anchor]


def _overdue_note(medication: Medication, today: dt.date) -> tuple[str, ...]:
    due = medication.next_due
    if due >= today:
        return ()
    ago = plural((today - due).days, "day")
    return (
        f"Overdue: ran out {format_date(due)} if taken as directed ({ago} ago); "
        "ask about missed doses.",
    )


def _plan_line(
    reconciliation: Reconciliation,
    first_anchor: dt.date,
    today: dt.date,
    settings: ProgramSettings,
) -> PlanLine:
    medication = reconciliation.medication
    status = reconciliation.status
    full = full_fill_cost(medication, settings.month_supply_days)
    line = PlanLine(
        rx_number=medication.rx_number,
        drug_name=medication.drug_name,
        status=status,
        reason=reconciliation.reason,
        due_date=medication.next_due,
        sync_date=None,
        short_fill=None,
        short_fill_cost=None,
        full_fill_cost=full,
        anchors_per_fill=None,
        next_fills=(),
        renewal=None,
        notes=(),
    )
    if status is SyncStatus.FLAG_UNIT_OF_USE:
        return replace(line, notes=_overdue_note(medication, today))
    if status not in (SyncStatus.SYNCED, SyncStatus.ALIGNED_BY_ANCHOR):
        return line

    notes = list(_overdue_note(medication, today))
    fill: ShortFill | None = None
    cost: Decimal | None = None
    if status is SyncStatus.SYNCED:
        sync_date = sync_date_for(medication, first_anchor, settings.cycle, today)
        fill = short_fill(medication, sync_date, today, settings.refill_window_pct)
        if fill is not None:
            cost = short_fill_charge(medication, fill.days, settings.month_supply_days).patient_pays
        fills = [sync_date] if fill is None else [fill.fill_date, sync_date]
        if sync_date != first_anchor:
            notes.append(f"Has supply past the first anchor: joins on {format_date(sync_date)}.")
    else:
        sync_date = first_anchor
        fills = _package_fills(medication, first_anchor, today)
    check_in = cycle_calendar(sync_date, settings, not_before=today).check_in
    return replace(
        line,
        sync_date=sync_date,
        short_fill=fill,
        short_fill_cost=cost,
        anchors_per_fill=cycles_per_fill(medication.days_supply, settings.cycle),
        next_fills=tuple(
            cycle_fills(sync_date, medication.days_supply, settings.cycle, NEXT_FILLS_SHOWN)
        ),
        renewal=renewal_needed(medication, fills, check_in, today),
        notes=tuple(notes),
    )


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
    numbers = [m.rx_number for m in medications]
    if len(set(numbers)) != len(numbers):
        raise PlanError("The same prescription number appears twice in one patient's list.")
    reconciliations = reconcile_all(medications, settings)
    eligibility = check_eligibility(reconciliations)
    if not eligibility.eligible:
        raise NotEligible(eligibility, reconciliations)

    recommendation = recommend_anchor(reconciliations, today, settings, preferred_day)
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
    first = first_anchor_date(day, today, settings.preparation_days)
    settled = [settle_unit_of_use(r, first, today, settings) for r in reconciliations]
    return SyncPlan(
        today=today,
        cycle=settings.cycle,
        anchor_day=day,
        anchor_reason=reason,
        recommendation=recommendation,
        first_anchor=first,
        calendar=cycle_calendar(first, settings, not_before=today),
        lines=tuple(_plan_line(r, first, today, settings) for r in settled),
    )
