"""A medication with sensible defaults, so each test states only what it is about."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dialogs.plan.model import Medication

_DEFAULTS: dict[str, Any] = {
    "rx_number": "RX1",
    "drug_name": "Lisinopril 10 mg tablet",
    "daily_quantity": Decimal(1),
    "days_supply": 30,
    "quantity": Decimal(30),
    "last_fill_date": dt.date(2026, 11, 3),
    "refills_remaining": 5,
    "written_date": dt.date(2026, 6, 1),
    "dea_schedule": None,
    "prn": False,
    "maintenance": True,
    "package": None,
    "copay": Decimal("10.00"),
}


def med(**fields: Any) -> Medication:
    return Medication(**{**_DEFAULTS, **fields})


def due_on(due: dt.date, days_supply: int = 30, **fields: Any) -> Medication:
    """A medicine whose last fill runs out on `due`."""
    last_fill = due - dt.timedelta(days=days_supply)
    return med(last_fill_date=last_fill, days_supply=days_supply, **fields)
