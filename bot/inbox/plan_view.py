"""The sync plan as the item and patient pages show it: what is synced and why not,
the recommended anchor, the short fills and the renewals due."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from bot.program.plans import plan_for
from dialogs.plan.model import PlanError
from dialogs.plan.plan import NotEligible
from dialogs.plan.reconcile import SyncStatus
from store.models import Patient

log = logging.getLogger(__name__)

STATUS_WORDS: dict[SyncStatus, str] = {
    SyncStatus.SYNCED: "Synced",
    SyncStatus.ALIGNED_BY_ANCHOR: "Synced (whole package on the anchor)",
    SyncStatus.FLAG_UNIT_OF_USE: "Pharmacist decides (unit of use)",
    SyncStatus.NOT_SYNCED: "Not synced",
    SyncStatus.NEEDS_REVIEW: "Needs review",
}


@dataclass(frozen=True)
class MedicineLine:
    drug_name: str
    rx_number: str
    status: str
    synced: bool
    reason: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShortFillLine:
    drug_name: str
    rx_number: str
    fill_date: dt.date
    days: int
    units: int
    cost: Decimal | None
    needs_override: bool


@dataclass(frozen=True)
class RenewalLine:
    drug_name: str
    rx_number: str
    request_on: dt.date
    expires_on: dt.date
    reason: str


@dataclass(frozen=True)
class PlanView:
    available: bool
    problem: str = ""  # why there is no plan, as a sentence for the pharmacist
    eligible: bool = True
    medicines: tuple[MedicineLine, ...] = ()
    anchor_day: int | None = None
    anchor_reason: str = ""
    recommended_day: int | None = None
    recommended_reason: str = ""
    first_anchor: dt.date | None = None
    short_fills: tuple[ShortFillLine, ...] = ()
    renewals: tuple[RenewalLine, ...] = ()
    short_fills_total: Decimal | None = None
    first_pickup_total: Decimal | None = None
    lines: tuple[str, ...] = field(default=())


def plan_view(patient: Patient, today: dt.date, anchor_day: int | None) -> PlanView:
    """Never raises: a plan that cannot be made is a sentence, not a broken page."""
    try:
        plan = plan_for(patient, today, anchor_day=anchor_day)
    except NotEligible as error:
        return PlanView(
            available=False,
            eligible=False,
            problem=f"Not eligible for med sync: {error.eligibility.reason}",
            medicines=tuple(
                MedicineLine(
                    r.medication.drug_name,
                    r.medication.rx_number,
                    STATUS_WORDS.get(r.status, r.status.value),
                    r.status in (SyncStatus.SYNCED, SyncStatus.ALIGNED_BY_ANCHOR),
                    r.reason,
                )
                for r in error.reconciliations
            ),
        )
    except PlanError as error:
        return PlanView(available=False, problem=f"No sync plan: {error}")
    except Exception:
        # A fault in the arithmetic must not keep a pharmacist from the rest of the item.
        log.exception("sync plan failed for patient %s", patient.id)
        return PlanView(available=False, problem="The sync plan could not be worked out.")
    by_rx = {line.rx_number: line for line in plan.lines}
    return PlanView(
        available=True,
        medicines=tuple(
            MedicineLine(
                line.drug_name,
                line.rx_number,
                STATUS_WORDS.get(line.status, line.status.value),
                line.status in (SyncStatus.SYNCED, SyncStatus.ALIGNED_BY_ANCHOR),
                line.reason,
                line.notes,
            )
            for line in plan.lines
        ),
        anchor_day=plan.anchor_day,
        anchor_reason=plan.anchor_reason,
        recommended_day=plan.recommendation.day,
        recommended_reason=plan.recommendation.reason,
        first_anchor=plan.first_anchor,
        short_fills=tuple(
            ShortFillLine(
                by_rx[line.rx_number].drug_name,
                line.rx_number,
                line.short_fill.fill_date,
                line.short_fill.days,
                line.short_fill.units,
                line.short_fill_cost,
                line.short_fill.needs_override,
            )
            for line in plan.lines
            if line.short_fill is not None
        ),
        renewals=tuple(
            RenewalLine(r.drug_name, r.rx_number, r.request_on, r.expires_on, r.reason)
            for r in plan.renewals
        ),
        short_fills_total=plan.short_fills_total,
        first_pickup_total=plan.first_pickup_total,
        lines=tuple(plan.lines_for_display()),
    )
