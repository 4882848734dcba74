"""What a dispensing event is, as the doors hand it in and get it back.

`Event` is one event as read from the fills file, the API or a FHIR bundle, before it is
checked against the store; `Outcome` is the answer for it (recorded, unchanged, or rejected
with a reason); `Reject` carries such a reason. `KINDS` are the event kinds a door accepts.
The one code path that checks and keeps them is bot/imports/dispensing.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from store.dispensing import EventKind

KINDS: tuple[str, ...] = tuple(k.value for k in EventKind)
Source = Literal["file", "api", "fhir"]
Status = Literal["recorded", "unchanged", "rejected"]


@dataclass(slots=True)
class Event:
    """One event as read from a door, before it is checked against the store.

    `ref` names it in the answer ("line 5", "item 2", "entry 3"); `occurred_on` is the day
    of the event (the pickup day for `picked_up`; the fill date when not given)."""

    ref: str
    patient_id: str
    rx_number: str
    kind: EventKind
    fill_date: dt.date
    occurred_on: dt.date
    event_id: str | None = None
    days_supply: int | None = None
    quantity: Decimal | None = None


@dataclass(slots=True)
class Outcome:
    ref: str
    event_id: str | None
    patient_id: str
    rx_number: str
    status: Status
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "event_id": self.event_id,
            "patient_id": self.patient_id,
            "rx_number": self.rx_number,
            "status": self.status,
            "reason": self.reason,
        }


class Reject(Exception):
    """A reason an event cannot be used, for the per-event answer."""
