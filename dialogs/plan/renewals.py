"""Prescriptions that need the prescriber before the anchor: expired, or out of refills."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.plan.dates import add_months, format_date, plural
from dialogs.plan.model import Medication

CONTROLLED_VALID_MONTHS = 6  # 21 CFR 1306.22: C-III to C-V, 6 months and 5 refills
CONTROLLED_MAX_REFILLS = 5
VALID_MONTHS = 12  # non-controlled: one year in most states


@dataclass(frozen=True)
class Renewal:
    rx_number: str
    drug_name: str
    request_on: dt.date  # at the check-in, or today when a planned fill is already blocked
    expires_on: dt.date
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def expiry_date(medication: Medication) -> dt.date:
    """The first day the prescription can no longer be filled."""
    # Judgment: the anniversary itself is not fillable; asking a day early costs nothing.
    months = CONTROLLED_VALID_MONTHS if medication.dea_schedule else VALID_MONTHS
    return add_months(medication.written_date, months)


def refills_left(medication: Medication) -> int:
    if medication.dea_schedule is not None:
        return min(medication.refills_remaining, CONTROLLED_MAX_REFILLS)
    return medication.refills_remaining


def renewal_needed(
    medication: Medication, fill_dates: Sequence[dt.date], check_in: dt.date, today: dt.date
) -> Renewal | None:
    """Whether the fills planned through the next anchor (`fill_dates`) need a new prescription.

    Raised at the check-in before that anchor, or today if one of those fills is due sooner.
    """
    fills = sorted(fill_dates)
    if not fills:
        return None
    expires = expiry_date(medication)
    refills = refills_left(medication)
    reasons: list[str] = []
    blocked: list[dt.date] = []
    expired_fills = [day for day in fills if day >= expires]
    if expired_fills:
        verb = "Expired" if expires <= today else "Expires"
        reasons.append(
            f"{verb} {format_date(expires)} (written {format_date(medication.written_date)}), "
            f"before the {format_date(expired_fills[0])} fill."
        )
        blocked.append(expired_fills[0])
    if refills < len(fills):
        reasons.append(
            f"{plural(refills, 'refill')} left for {plural(len(fills), 'planned fill')}: "
            f"none for the {format_date(fills[refills])} fill."
        )
        blocked.append(fills[refills])
    elif refills == len(fills):
        reasons.append(f"No refills left after the {format_date(fills[-1])} fill.")
    if not reasons:
        return None
    request_on = max(today, check_in)
    if blocked and min(blocked) <= request_on:
        request_on = today
    return Renewal(
        rx_number=medication.rx_number,
        drug_name=medication.drug_name,
        request_on=request_on,
        expires_on=expires,
        reasons=tuple(reasons),
    )
