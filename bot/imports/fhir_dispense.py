"""FHIR R4 MedicationDispense resources in a Bundle (JSON) as dispensing events.

Read with fhir.resources (its R4B models: R4B changed nothing MedicationDispense uses here).
The bundle as a whole must be JSON with "resourceType": "Bundle", else the file is refused
with a sentence; each entry is validated on its own, so one bad entry is answered by its
number ("entry 3") and the rest are kept.

| FHIR | event |
| --- | --- |
| identifier[0].value (else id) | the event id, with `#` and the kind added |
| status completed, whenHandedOver given | picked_up on whenHandedOver's day |
| status completed, no whenHandedOver | dispensed |
| status declined | returned_to_stock (not collected) |
| status entered-in-error | reversed |
| whenPrepared (else whenHandedOver) | the fill date |
| daysSupply.value, quantity.value | days_supply, quantity |
| subject.identifier.value | patient_id (the export's) |
| authorizingPrescription[0].identifier.value | rx_number |

One resource moves from prepared to handed over as it is updated, so its event id carries the
kind: `MD-1#dispensed`, then `MD-1#picked_up`; the same resource sent again is unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.medicationdispense import MedicationDispense
from pydantic import ValidationError

from bot.imports.dispensing_events import Event, Outcome
from bot.imports.import_report import ImportFileError
from store.dispensing import EventKind

READ_STATUSES = ("completed", "declined", "entered-in-error")


def looks_like_json(first_line: str) -> bool:
    return first_line.lstrip("\ufeff \t\r\n").startswith("{")


def events_from_bundle(text: str) -> tuple[list[Event], list[Outcome]]:
    """The bundle's MedicationDispense entries as events, and the entries that cannot be."""
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            f"The file is not JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "a FHIR import is one Bundle of MedicationDispense resources."
        ) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ImportFileError(
            'The JSON file is not a FHIR Bundle ("resourceType": "Bundle" is missing); '
            "a FHIR import is one Bundle of MedicationDispense resources."
        )
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise ImportFileError("The Bundle's entry is not a list of entries.")
    events: list[Event] = []
    rejected: list[Outcome] = []
    for number, entry in enumerate(entries, start=1):
        ref = f"entry {number}"
        try:
            events.append(_event(ref, entry))
        except _Bad as problem:
            why = str(problem)
            rejected.append(
                Outcome(ref, problem.event_id, problem.patient, problem.rx, "rejected", why)
            )
    return events, rejected


class _Bad(Exception):
    def __init__(self, reason: str, event_id: str | None = None, patient: str = "", rx: str = ""):
        super().__init__(reason)
        self.event_id, self.patient, self.rx = event_id, patient, rx


def _event(ref: str, entry: Any) -> Event:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict):
        raise _Bad("the entry has no resource")
    kind_name = resource.get("resourceType")
    if kind_name != "MedicationDispense":
        raise _Bad(f"a {str(kind_name)[:40]} is not read here (only MedicationDispense)")
    try:
        dispense = MedicationDispense.model_validate(resource)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the resource"
        raise _Bad(f"not a valid MedicationDispense: {where}: {first.get('msg')}") from None
    identifier = _first_value(dispense.identifier) or dispense.id
    patient = _reference_value(dispense.subject)
    rx = _first_reference_value(dispense.authorizingPrescription)
    fail = _Bad  # with what is known, for the answer

    def bad(reason: str) -> _Bad:
        return fail(reason, identifier, patient or "", rx or "")

    if not identifier:
        raise bad("the MedicationDispense has no identifier (nor id) to keep it once")
    if not patient:
        raise bad("subject.identifier.value (the patient's id in the export) is missing")
    if not rx:
        raise bad("authorizingPrescription[0].identifier.value (the rx_number) is missing")
    status = str(dispense.status)
    if status not in READ_STATUSES:
        raise bad(f"status '{status}' is not read (only {', '.join(READ_STATUSES)})")
    prepared = _day(dispense.whenPrepared)
    handed = _day(dispense.whenHandedOver)
    fill_date = prepared or handed
    if fill_date is None:
        raise bad("whenPrepared (or whenHandedOver) is needed for the fill's date")
    if status == "completed":
        kind = EventKind.PICKED_UP if handed else EventKind.DISPENSED
    elif status == "declined":
        kind = EventKind.RETURNED_TO_STOCK
    else:
        kind = EventKind.REVERSED
    occurred = handed if kind is EventKind.PICKED_UP and handed else fill_date
    if kind is EventKind.REVERSED:
        occurred = max(d for d in (prepared, handed, _day(_last_updated(dispense))) if d)
    days = _whole(dispense.daysSupply, "daysSupply", bad)
    quantity = _amount(dispense.quantity, "quantity", bad)
    if len(identifier) > 100:
        raise bad("the identifier is longer than 100 characters")
    if len(patient) > 64 or len(rx) > 64:
        raise bad("the patient or prescription identifier is longer than 64 characters")
    return Event(
        ref=ref,
        patient_id=patient,
        rx_number=rx,
        kind=kind,
        fill_date=fill_date,
        occurred_on=occurred,
        event_id=f"{identifier}#{kind.value}",
        days_supply=days,
        quantity=quantity,
    )


def _first_value(identifiers: Any) -> str | None:
    for identifier in identifiers or []:
        if identifier.value:
            return str(identifier.value).strip() or None
    return None


def _reference_value(reference: Any) -> str | None:
    if reference is None or reference.identifier is None:
        return None
    value = reference.identifier.value
    return str(value).strip() if value else None


def _first_reference_value(references: Any) -> str | None:
    for reference in references or []:
        value = _reference_value(reference)
        if value:
            return value
    return None


def _last_updated(dispense: MedicationDispense) -> Any:
    return dispense.meta.lastUpdated if dispense.meta is not None else None


def _day(value: Any) -> dt.date | None:
    """A FHIR dateTime's own calendar day (as written, in its own offset)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _whole(quantity: Any, name: str, bad: Any) -> int | None:
    if quantity is None or quantity.value is None:
        return None
    value = Decimal(quantity.value)
    if value != value.to_integral_value() or not 1 <= value <= 366:
        raise bad(f"{name} {value} must be a whole number of days from 1 to 366")
    return int(value)


def _amount(quantity: Any, name: str, bad: Any) -> Decimal | None:
    if quantity is None or quantity.value is None:
        return None
    value = Decimal(quantity.value)
    if value < 0 or value >= Decimal("1e9"):
        raise bad(f"{name} {value} must be between 0 and 999,999,999")
    return value.quantize(Decimal("0.001"))
