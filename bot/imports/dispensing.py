"""Dispensing events in: one code path for the fills file, the API and FHIR bundles.

An event says what happened to one fill (patient, rx_number, fill date): `dispensed`,
`picked_up`, `returned_to_stock` or `reversed`. `record_events` checks every event, answers
each one (recorded, unchanged, or rejected with a reason), keeps the good ones and moves the
fills they concern (store/fills.py `state`, `picked_up_on`):

- An event with an `event_id` is kept once per pharmacy: the same event again is
  "unchanged" and changes nothing; the same id with other content is rejected.
- A `dispensed` row without an event id (the fills file as it always was) is the fill itself:
  a changed days' supply or quantity updates it, never doubles it.
- Another kind without an event id gets one from its content (patient, rx, fill date, kind,
  day), so the same row imported again is still "unchanged".
- A fill dated after today at the pharmacy (its timezone) is rejected, whatever the kind: a
  typo in the year, as the export refuses a last fill in the future. Today itself is kept.

Writing is set-based (the stored events and fills of the batch are read as plain rows, new and
changed ones written with executemany a chunk at a time: bot/imports/dispensing_rows.py), so
100,000 events are a few hundred statements. Afterwards the pickup cycles of the patients
touched are looked at again (bot/program/pickups.py): a late pickup closes a cycle, a reversed
fill reopens it. Flushes, never commits.

The events and their answers are in bot/imports/dispensing_events.py, the report in
bot/imports/dispensing_report.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.imports.dispensing_events import Event, Outcome, Reject, Source
from bot.imports.dispensing_report import DispensingReport
from bot.imports.dispensing_rows import (
    read_patients,
    read_prescriptions,
    read_stored_events,
    read_stored_fills,
    write_batch,
)
from bot.program import pickups
from store.dispensing import EventKind
from store.models import Pharmacy

# Applied in this order when several events of one fill fall on the same day.
_RANK = {
    EventKind.DISPENSED: 0,
    EventKind.PICKED_UP: 1,
    EventKind.RETURNED_TO_STOCK: 2,
    EventKind.REVERSED: 3,
}
_DISPENSED = EventKind.DISPENSED


# ------------------------------------------------------------------ the one code path


def record_events(
    session: Session,
    pharmacy: Pharmacy,
    events: Iterable[Event],
    now: dt.datetime,
    source: Source,
    *,
    require_prescription: bool = True,
    rejected: Iterable[Outcome] = (),
) -> DispensingReport:
    """Check and keep `events` for `pharmacy`; one outcome per event, in the order given.

    `rejected` are outcomes the door already decided (a row that did not parse): they are
    reported in their place. `require_prescription=False` keeps the fills file's old rule (a
    fill of an rx_number not in the export is stored, for no therapy class)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    report = DispensingReport()
    batch = list(events)
    answers: dict[int, Outcome] = {}
    if pharmacy.id is None or session.new or session.dirty:
        session.flush()
    # A NUL cannot be stored (PostgreSQL refuses it): such an event is answered, not looked up.
    unreadable = {
        i for i, e in enumerate(batch) if "\x00" in f"{e.patient_id}{e.rx_number}{e.event_id}"
    }
    wanted = {e.patient_id for i, e in enumerate(batch) if i not in unreadable}
    patients = read_patients(session, pharmacy.id, wanted)
    known_rx = read_prescriptions(session, set(patients.values())) if require_prescription else None

    def reject(index: int, event: Event, reason: str) -> None:
        answers[index] = Outcome(
            event.ref, event.event_id, event.patient_id, event.rx_number, "rejected", reason
        )

    # 1. When, who and what: a fill not after today at the pharmacy (a later one is a typo in
    # the year, as in the export: bot/imports/export_rows.py), the patient and the
    # prescription the pharmacy's.
    today = now.astimezone(ZoneInfo(pharmacy.timezone)).date()
    checked: list[tuple[int, Event, int, str]] = []  # (index, event, patient.id, event id)
    for index, event in enumerate(batch):
        if index in unreadable:
            reject(index, event, "an id contains a NUL character")
            continue
        if event.fill_date > today:
            reject(index, event, future_fill(event.fill_date, today))
            continue
        if event.occurred_on > today:
            reject(index, event, future_event(event.occurred_on, today))
            continue
        patient_id = patients.get(event.patient_id)
        if patient_id is None:
            reject(
                index,
                event,
                f"patient_id '{event.patient_id}' is not a patient of {pharmacy.name} "
                "(import the patients' export first)",
            )
            continue
        if known_rx is not None and (patient_id, event.rx_number) not in known_rx:
            reject(
                index,
                event,
                f"rx_number '{event.rx_number}' is not a prescription of patient "
                f"'{event.patient_id}' (import the patients' export first)",
            )
            continue
        checked.append((index, event, patient_id, event.event_id or _derived_id(event)))

    # 2. Once per event id: the stored ones, then repeats inside the batch.
    stored_events = read_stored_events(
        session, pharmacy.id, [c[3] for c in checked if c[1].event_id]
    )
    fresh: list[tuple[int, Event, int, str]] = []
    seen: dict[str, tuple[Any, ...]] = {}
    for index, event, patient_id, event_id in checked:
        content = _content(event, patient_id)
        corrects_fill = event.event_id is None and event.kind is _DISPENSED
        before = stored_events.get(event_id) if event.event_id else None
        if before is None:
            before = seen.get(event_id)
            if before is not None and corrects_fill:
                before = None  # a later row of the same fill wins, as it always did
        if before is not None:
            if before == content:
                answers[index] = Outcome(
                    event.ref, event.event_id, event.patient_id, event.rx_number, "unchanged"
                )
            else:
                reject(
                    index,
                    event,
                    f"event_id '{event_id}' was recorded before with other content "
                    f"({_describe(before)}); send a new event_id for a new event",
                )
            continue
        seen[event_id] = content
        fresh.append((index, event, patient_id, event_id))

    # 3. The fills: apply the fresh events in the order they happened.
    fills = read_stored_fills(session, {(p, e.rx_number, e.fill_date) for _, e, p, _ in fresh})
    original = {key: dict(value) for key, value in fills.items()}
    new_events: list[dict[str, Any]] = []
    touched: set[int] = set()
    order = sorted(fresh, key=lambda f: (f[1].occurred_on, _RANK[f[1].kind], f[0]))
    for index, event, patient_id, event_id in order:
        key = (patient_id, event.rx_number, event.fill_date)
        try:
            fills[key] = _apply(event, fills.get(key))
        except Reject as problem:
            reject(index, event, str(problem))
            continue
        answers[index] = Outcome(
            event.ref, event.event_id, event.patient_id, event.rx_number, "recorded"
        )
        touched.add(patient_id)
        if event.event_id is not None or event.kind is not _DISPENSED:
            new_events.append(
                {
                    "pharmacy_id": pharmacy.id,
                    "event_id": event_id,
                    "patient_id": patient_id,
                    "rx_number": event.rx_number,
                    "kind": str(event.kind),
                    "fill_date": event.fill_date,
                    "occurred_on": event.occurred_on,
                    "days_supply": event.days_supply,
                    "quantity": event.quantity,
                    "source": source,
                    "recorded_at": now,
                }
            )
    write_batch(session, fills, original, new_events, now, report)

    # 4. The answers in the order given, the door's own rejections first in their place.
    outcomes = list(rejected) + [answers[i] for i in range(len(batch))]
    report.outcomes = outcomes
    if touched:
        report.cycles_changed = pickups.recheck(session, pharmacy, touched, now)
    return report


def future_fill(fill_date: dt.date, today: dt.date) -> str:
    """Why a fill dated after `today` (the pharmacy's date) is refused."""
    return (
        f"fill_date '{fill_date.isoformat()}' is after today ({today.isoformat()}): a fill "
        "cannot be in the future (a typo in the year?)"
    )


def future_event(occurred_on: dt.date, today: dt.date) -> str:
    """Why an event (a pickup, a return to stock) dated after `today` is refused."""
    return (
        f"event_date '{occurred_on.isoformat()}' is after today ({today.isoformat()}): an "
        "event cannot be in the future (a typo in the year?)"
    )


def _derived_id(event: Event) -> str:
    return (
        f"{event.kind.value}:{event.patient_id}:{event.rx_number}:"
        f"{event.fill_date.isoformat()}:{event.occurred_on.isoformat()}"
    )[:128]


def _content(event: Event, patient_id: int) -> tuple[Any, ...]:
    quantity = (
        None if event.quantity is None else Decimal(event.quantity).quantize(Decimal("0.001"))
    )
    return (
        patient_id,
        event.rx_number,
        str(event.kind),
        event.fill_date,
        event.occurred_on,
        event.days_supply,
        quantity,
    )


def _describe(content: tuple[Any, ...]) -> str:
    _, rx, kind, fill_date, occurred_on, days, quantity = content
    text = f"{kind} of {rx} filled {fill_date.isoformat()} on {occurred_on.isoformat()}"
    if days is not None:
        text += f", {days} days"
    if quantity is not None:
        text += f", quantity {quantity.normalize():f}"
    return text


def _apply(event: Event, fill: dict[str, Any] | None) -> dict[str, Any]:
    """The fill after `event` (a new dict), or Reject with the reason."""
    when = event.fill_date.isoformat()
    if fill is None:
        if event.kind in (EventKind.RETURNED_TO_STOCK, EventKind.REVERSED):
            raise Reject(
                f"there is no fill of {event.rx_number} on {when} to mark {event.kind.value}"
            )
        if event.days_supply is None or event.quantity is None:
            raise Reject(
                f"there is no fill of {event.rx_number} on {when} yet: send the dispensed "
                "event first, or give days_supply and quantity"
            )
        fill = {"id": None, "state": EventKind.DISPENSED.value, "picked_up_on": None}
    changed = dict(fill)
    if event.days_supply is not None:
        changed["days_supply"] = event.days_supply
    if event.quantity is not None:
        changed["quantity"] = event.quantity
    if event.kind is EventKind.DISPENSED:
        if changed["state"] != EventKind.PICKED_UP.value:
            changed["state"] = EventKind.DISPENSED.value
    elif event.kind is EventKind.PICKED_UP:
        changed["state"] = EventKind.PICKED_UP.value
        changed["picked_up_on"] = event.occurred_on
    else:
        changed["state"] = event.kind.value
        changed["picked_up_on"] = None
    return changed
