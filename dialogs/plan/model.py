"""What a sync plan is computed from: one patient's prescriptions and the pharmacy's settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, get_args

from dialogs.plan.errors import PlanError as PlanError  # re-exported: callers import it here
from dialogs.plan.open_days import ALWAYS_OPEN, OpenDays

Schedule = Literal["CII", "CIII", "CIV", "CV"]
Package = Literal["inhaler", "insulin", "eye_drops", "patch", "liquid"]
AnchorPolicy = Literal["latest_due", "most_common_due", "unit_of_use_or_costliest", "fewest_trips"]
# 84_day and 91_day are the 90-day cycles: 12 or 13 whole weeks, so every pickup is on the same
# weekday and no fill is 92 days. 90_day (every 90 days) is kept for programs that chose it.
Cycle = Literal["monthly", "28_day", "84_day", "91_day", "90_day"]
PayerKind = Literal["medicare_d", "medicaid", "commercial", "cash"]

SCHEDULE_NAMES: Mapping[str, str] = MappingProxyType(
    {"CII": "Schedule II", "CIII": "Schedule III", "CIV": "Schedule IV", "CV": "Schedule V"}
)
PACKAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "inhaler": "inhaler",
        "insulin": "insulin",
        "eye_drops": "eye drops",
        "patch": "patch",
        "liquid": "liquid",
    }
)
PAYER_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "medicare_d": "Medicare Part D",
        "medicaid": "Medicaid",
        "commercial": "commercial",
        "cash": "cash",
    }
)


@dataclass(frozen=True)
class SyncLaw:
    """A state med sync law: the plans it binds must allow the short fill and prorate the copay
    (never the dispensing fee), except for the schedules it leaves out."""

    citation: str
    payers: frozenset[PayerKind]  # whose plans the law binds
    excluded_schedules: frozenset[Schedule] = frozenset()


def _default_sync_laws() -> Mapping[str, SyncLaw]:
    # The laws DOMAIN.md names. The insurance-code laws bind state-regulated commercial plans
    # (not self-funded employer plans, which ERISA keeps out of state insurance law); Kentucky's
    # is in its Medicaid chapter. New York also excludes hydrocodone products, which have been
    # Schedule II federally since 2014.
    return MappingProxyType(
        {
            "NY": SyncLaw("New York Insurance Law 3224-d", frozenset({"commercial"}),
                          frozenset({"CII"})),
            "OK": SyncLaw("Oklahoma 36 O.S. 3634.5", frozenset({"commercial"}),
                          frozenset({"CII", "CIII", "CIV"})),
            "ME": SyncLaw("Maine 2769", frozenset({"commercial"})),
            "CO": SyncLaw("Colorado 10-16-141", frozenset({"commercial"})),
            "KY": SyncLaw("Kentucky Medicaid 205.529", frozenset({"medicaid"})),
        }
    )  # fmt: skip


def _default_state_exclusions() -> Mapping[str, frozenset[str]]:
    return MappingProxyType(
        {
            state: frozenset(law.excluded_schedules)
            for state, law in _default_sync_laws().items()
            if law.excluded_schedules
        }
    )


@dataclass(frozen=True)
class Medication:
    """One active prescription as of its last fill (a row of the pharmacy export)."""

    rx_number: str
    drug_name: str
    daily_quantity: Decimal | None  # units a day; None for PRN and most unit-of-use packages
    days_supply: int
    quantity: Decimal
    last_fill_date: dt.date
    refills_remaining: int
    written_date: dt.date
    dea_schedule: Schedule | None
    prn: bool
    maintenance: bool
    package: Package | None
    copay: Decimal  # the patient's cost for a full month's supply
    cost_per_day: Decimal | None = None
    coinsurance: Decimal | None = None  # a fraction: 0.25 is 25%
    original_container: bool = False
    antibiotic: bool = False
    payer: PayerKind | None = None  # None: not in the export (estimated as Part D, and said so)
    max_days_supply: int | None = None  # the patient's plan's limit for this drug, if known

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.days_supply <= 0:
            problems.append(f"days' supply must be positive (got {self.days_supply})")
        if self.daily_quantity is not None and self.daily_quantity <= 0:
            problems.append(f"daily quantity must be positive (got {self.daily_quantity})")
        if self.quantity < 0:
            problems.append(f"quantity cannot be negative (got {self.quantity})")
        if self.refills_remaining < 0:
            problems.append(f"refills remaining cannot be negative (got {self.refills_remaining})")
        if self.dea_schedule is not None and self.dea_schedule not in get_args(Schedule):
            problems.append(f"unknown DEA schedule {self.dea_schedule!r}")
        if self.package is not None and self.package not in get_args(Package):
            problems.append(f"unknown package kind {self.package!r}")
        if self.copay < 0:
            problems.append(f"copay cannot be negative (got {self.copay})")
        if self.coinsurance is not None:
            if not Decimal(0) <= self.coinsurance <= Decimal(1):
                problems.append(f"coinsurance is a fraction 0-1 (got {self.coinsurance})")
            if self.cost_per_day is None:
                problems.append("coinsurance needs the drug's cost per day")
        if self.payer is not None and self.payer not in get_args(PayerKind):
            problems.append(f"unknown payer {self.payer!r}")
        if self.max_days_supply is not None and self.max_days_supply < 1:
            problems.append(f"maximum days' supply must be positive (got {self.max_days_supply})")
        if problems:
            raise PlanError(f"{self.rx_number}: " + "; ".join(problems) + ".")

    @property
    def next_due(self) -> dt.date:
        # A fill on F for D days covers F .. F+D-1, so the patient needs the next one on F+D.
        return self.last_fill_date + dt.timedelta(days=self.days_supply)

    @property
    def label(self) -> str:
        return f"{self.drug_name} ({self.rx_number})"


@dataclass(frozen=True)
class ProgramSettings:
    """The pharmacy's choices for its sync program; defaults follow docs/SYNC_PLAN.md."""

    checkin_lead_days: int = 7  # APhA says 3-7 days before pickup; a week leaves room to act
    preparation_days: int = 3  # fills ready T-3 so rejections and stock-outs surface in time
    reminder_days_before: int = 1
    no_answer_followup_hours: int = 48
    call_list_days_before: int = 3
    refill_window_pct: int = 80  # payers allow a refill after 75-90% of the supply is used
    sync_controlled_c3_c5: bool = False
    excluded_schedules_by_state: Mapping[str, frozenset[str]] = field(
        default_factory=_default_state_exclusions
    )
    state: str | None = None  # two-letter code of the pharmacy's state
    anchor_policy: AnchorPolicy = "latest_due"
    cycle: Cycle = "monthly"
    dropout_cycles: int = 3
    # A cycle not picked up this many days after its anchor is "not picked up" (issue 16).
    not_picked_up_days: int = 7
    adherence_threshold: Decimal = Decimal("0.80")
    month_supply_days: int = 30  # the plan's "month's supply" for Part D daily cost-sharing
    # The most days' supply plans pay for in one fill; a prescription's own limit may be lower.
    max_days_supply: int = 90
    # One sync visit for every short fill even where a claim needs a refill-too-soon override;
    # False: a medicine the refill window keeps out of the visit comes on its own trip.
    sync_visit_overrides: bool = False
    sync_laws: Mapping[str, SyncLaw] = field(default_factory=_default_sync_laws)
    open_days: OpenDays = ALWAYS_OPEN  # the pharmacy's calendar; bot/ passes its own

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 1 <= self.refill_window_pct <= 100:
            problems.append(f"refill window must be 1-100% (got {self.refill_window_pct})")
        if self.anchor_policy not in get_args(AnchorPolicy):
            problems.append(f"unknown anchor policy {self.anchor_policy!r}")
        if self.cycle not in get_args(Cycle):
            problems.append(f"unknown cycle {self.cycle!r}")
        for name in (
            "checkin_lead_days",
            "preparation_days",
            "reminder_days_before",
            "call_list_days_before",
            "no_answer_followup_hours",
        ):
            if getattr(self, name) < 0:
                problems.append(f"{name} cannot be negative")
        if self.dropout_cycles < 1:
            problems.append("dropout_cycles must be at least 1")
        if not 1 <= self.not_picked_up_days <= 14:
            problems.append("not_picked_up_days must be between 1 and 14")
        if self.month_supply_days < 1:
            problems.append("month_supply_days must be at least 1")
        if self.max_days_supply < 28:
            problems.append("max_days_supply must be at least 28 (a cycle's fill)")
        if self.cycle == "91_day" and self.max_days_supply < 91:
            problems.append(
                f"a 91-day cycle needs plans that pay for 91 days' supply (max_days_supply is "
                f"{self.max_days_supply}): choose the 84_day cycle"
            )
        if not Decimal(0) < self.adherence_threshold <= Decimal(1):
            problems.append("adherence_threshold is a fraction above 0, at most 1")
        if problems:
            raise PlanError("Program settings: " + "; ".join(problems) + ".")

    def sync_law(self) -> SyncLaw | None:
        """The pharmacy's state's med sync law, if it has one we know."""
        return None if self.state is None else self.sync_laws.get(self.state.upper())

    def max_days_for(self, medication: Medication) -> int:
        """The most days' supply one fill of this medicine may carry."""
        if medication.max_days_supply is None:
            return self.max_days_supply
        return min(medication.max_days_supply, self.max_days_supply)

    def state_exclusions(self) -> frozenset[str]:
        if self.state is None:
            return frozenset()
        law = self.sync_law()
        by_law: frozenset[str] = frozenset() if law is None else frozenset(law.excluded_schedules)
        return self.excluded_schedules_by_state.get(self.state.upper(), frozenset()) | by_law
