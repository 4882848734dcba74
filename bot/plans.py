"""The sync plan for a stored patient: prescriptions in, dialogs.plan arithmetic out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import cast

from dialogs.plan.model import Medication, Package, Schedule
from store.models import Patient, Prescription


def medication(rx: Prescription) -> Medication:
    return Medication(
        rx_number=rx.rx_number,
        drug_name=rx.drug_name,
        daily_quantity=rx.daily_quantity,
        days_supply=rx.days_supply,
        quantity=rx.quantity,
        last_fill_date=rx.last_fill_date,
        refills_remaining=rx.refills_remaining,
        written_date=rx.written_date,
        dea_schedule=cast(Schedule | None, rx.dea_schedule),
        prn=rx.prn,
        maintenance=rx.maintenance,
        package=cast(Package | None, rx.package),
        copay=rx.copay,
    )


def proposed_anchor_day(patient: Patient, today: dt.date) -> int:
    """The pickup day to suggest: the day most synced medicines fall due (1-28)."""
    days = [
        min(m.next_due.day, 28)
        for m in map(medication, patient.prescriptions)
        if m.maintenance and not m.prn and m.dea_schedule is None and m.package is None
    ]
    if not days:
        return 15
    counts = Counter(days)
    return max(sorted(counts), key=lambda d: counts[d])
