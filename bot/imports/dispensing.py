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

Writing is set-based (the stored events and fills of the batch are read as plain rows, new and
changed ones written with executemany a chunk at a time), so 100,000 events are a few hundred
statements. Afterwards the pickup cycles of the patients touched are looked at again
(bot/program/pickups.py): a late pickup closes a cycle, a reversed fill reopens it.
Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import (
    String,
    Table,
    any_,
    bindparam,
    column,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.imports.export_writing import chunks
from bot.imports.import_report import count
from bot.program import pickups
from store.dispensing import DispensingEvent, EventKind
from store.fills import Fill
from store.models import Patient, Pharmacy, Prescription

CHUNK = 1000  # rows per executemany and values per IN (...)
KINDS: tuple[str, ...] = tuple(k.value for k in EventKind)
# Applied in this order when several events of one fill fall on the same day.
_RANK = {
    EventKind.DISPENSED: 0,
    EventKind.PICKED_UP: 1,
    EventKind.RETURNED_TO_STOCK: 2,
    EventKind.REVERSED: 3,
}
_DISPENSED, _PICKED_UP = EventKind.DISPENSED, EventKind.PICKED_UP
Source = Literal["file", "api", "fhir"]
Status = Literal["recorded", "unchanged", "rejected"]
FillKey = tuple[int, str, dt.date]  # (patient.id, rx_number, fill_date)


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


@dataclass
class DispensingReport:
    outcomes: list[Outcome] = field(default_factory=list)
    fills_created: int = 0
    fills_updated: int = 0
    fills_unchanged: int = 0
    cycles_changed: int = 0

    def counted(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def summary(self) -> str:
        lines = [
            f"Recorded {count(self.counted('recorded'), 'dispensing event')}, "
            f"{self.counted('unchanged')} unchanged: {count(self.fills_created, 'fill')} created, "
            f"{self.fills_updated} updated."
        ]
        if self.cycles_changed:
            lines.append(f"{count(self.cycles_changed, 'pickup cycle')} changed by these events.")
        lines.extend(rejection_lines(self.rejected))
        return "\n".join(lines)


def rejection_lines(rejected: Sequence[Outcome]) -> list[str]:
    if not rejected:
        return ["No events rejected."]
    lines = [f"{count(len(rejected), 'event')} rejected:"]
    for o in rejected:
        who = ", ".join(part for part in (o.patient_id, o.rx_number, o.event_id) if part)
        lines.append(f"  {o.ref} ({who}): {o.reason}" if who else f"  {o.ref}: {o.reason}")
    return lines


class Reject(Exception):
    """A reason an event cannot be used, for the per-event answer."""


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
    patients = _patient_ids(session, pharmacy.id, wanted)
    known_rx = _prescriptions(session, set(patients.values())) if require_prescription else None

    def reject(index: int, event: Event, reason: str) -> None:
        answers[index] = Outcome(
            event.ref, event.event_id, event.patient_id, event.rx_number, "rejected", reason
        )

    # 1. Who and what: the patient and the prescription must be the pharmacy's.
    checked: list[tuple[int, Event, int, str]] = []  # (index, event, patient.id, event id)
    for index, event in enumerate(batch):
        if index in unreadable:
            reject(index, event, "an id contains a NUL character")
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
    stored_events = _stored_events(session, pharmacy.id, [c[3] for c in checked if c[1].event_id])
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
    fills = _stored_fills(session, {(p, e.rx_number, e.fill_date) for _, e, p, _ in fresh})
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
    _write(session, fills, original, new_events, now, report)

    # 4. The answers in the order given, the door's own rejections first in their place.
    outcomes = list(rejected) + [answers[i] for i in range(len(batch))]
    report.outcomes = outcomes
    if touched:
        report.cycles_changed = pickups.recheck(session, pharmacy, touched, now)
    return report


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


def _three_places(value: Decimal | float | int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.001"))


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


# ------------------------------------------------------------------ reading and writing


def _patient_ids(session: Session, pharmacy_id: int, external: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(external), CHUNK):
        query = select(Patient.external_id, Patient.id).where(
            Patient.pharmacy_id == pharmacy_id, _among(session, Patient.external_id, chunk)
        )
        found.update({ext: pid for ext, pid in session.execute(query)})
    return found


def _prescriptions(session: Session, patient_ids: set[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for chunk in chunks(sorted(patient_ids), CHUNK):
        query = select(Prescription.patient_id, Prescription.rx_number).where(
            _among(session, Prescription.patient_id, chunk)
        )
        found.update((pid, rx) for pid, rx in session.execute(query))
    return found


def _among(session: Session, column_: Any, chunk: Sequence[Any]) -> Any:
    """`column IN chunk`; on PostgreSQL `column = ANY(array)`: one parameter, so a prepared
    statement's generic plan still uses the index (a long IN list may not)."""
    if session.get_bind().dialect.name == "postgresql":
        return column_ == any_(bindparam(None, list(chunk), type_=ARRAY(column_.type)))
    return column_.in_(chunk)


def _stored_events(
    session: Session, pharmacy_id: int, event_ids: list[str]
) -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    e = DispensingEvent
    columns = (
        e.event_id,
        e.patient_id,
        e.rx_number,
        e.kind,
        e.fill_date,
        e.occurred_on,
        e.days_supply,
        e.quantity,
    )
    wanted = sorted(set(event_ids))
    if not wanted:
        return found
    if session.get_bind().dialect.name == "postgresql":
        # The ids go to a temporary table and are joined: a hash join whatever the planner
        # knows of a table that just grew (IN or ANY lists may be compared row by row).
        raw: Any = session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS wanted_event (event_id varchar(128)) "
                "ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE wanted_event")
            with cursor.copy("COPY wanted_event (event_id) FROM STDIN") as copy:
                for event_id in wanted:
                    copy.write_row([event_id])
            cursor.execute("ANALYZE wanted_event")
        chosen = table("wanted_event", column("event_id", String(128)))
        queries = [
            select(*columns)
            .join(chosen, chosen.c.event_id == e.event_id)
            .where(e.pharmacy_id == pharmacy_id)
        ]
    else:
        queries = [
            select(*columns).where(e.pharmacy_id == pharmacy_id, e.event_id.in_(chunk))
            for chunk in chunks(wanted, CHUNK)
        ]
    for query in queries:
        for event_id, *content in session.execute(query):
            quantity: Any = content[-1]
            if quantity is not None:
                content[-1] = _three_places(quantity)
            found[event_id] = tuple(content)
    return found


def _stored_fills(session: Session, keys: set[FillKey]) -> dict[FillKey, dict[str, Any]]:
    if not keys:
        return {}
    patient_ids = sorted({k[0] for k in keys})
    first = min(k[2] for k in keys)
    last = max(k[2] for k in keys)
    found: dict[FillKey, dict[str, Any]] = {}
    for chunk in chunks(patient_ids, CHUNK):
        query = (
            select(
                Fill.id,
                Fill.patient_id,
                Fill.rx_number,
                Fill.fill_date,
                Fill.days_supply,
                Fill.quantity,
                Fill.state,
                Fill.picked_up_on,
            )
            .where(_among(session, Fill.patient_id, chunk), Fill.fill_date.between(first, last))
            .execution_options(yield_per=5000)
        )
        for fid, pid, rx, date, days, qty, state, picked in session.execute(query):
            if (pid, rx, date) in keys:
                found[pid, rx, date] = {
                    "id": fid,
                    "days_supply": days,
                    "quantity": Decimal(qty).quantize(Decimal("0.001")),
                    "state": state,
                    "picked_up_on": picked,
                }
    return found


_FILL_FIELDS = ("days_supply", "quantity", "state", "picked_up_on")


def _write(
    session: Session,
    fills: dict[FillKey, dict[str, Any]],
    original: dict[FillKey, dict[str, Any]],
    new_events: list[dict[str, Any]],
    now: dt.datetime,
    report: DispensingReport,
) -> None:
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for (pid, rx, date), fill in fills.items():
        values = {name: fill[name] for name in _FILL_FIELDS}
        if fill["id"] is None:
            new.append(
                {"patient_id": pid, "rx_number": rx, "fill_date": date, "imported_at": now} | values
            )
            continue
        before = original[pid, rx, date]
        if any(_differs(before[name], values[name]) for name in _FILL_FIELDS):
            changed.append({"id": fill["id"], "imported_at": now} | values)
        else:
            report.fills_unchanged += 1
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy_postgres(connection, new, changed, new_events)
    else:
        _executemany(connection, new, changed, new_events)
    report.fills_created, report.fills_updated = len(new), len(changed)
    for record in list(session.identity_map.values()):
        if isinstance(record, Fill):
            session.expire(record)


_EVENT_COLUMNS = (
    "pharmacy_id", "event_id", "patient_id", "rx_number", "kind", "fill_date", "occurred_on",
    "days_supply", "quantity", "source", "recorded_at",
)  # fmt: skip
_NEW_FILL_COLUMNS = ("patient_id", "rx_number", "fill_date", "imported_at", *_FILL_FIELDS)


def _executemany(
    connection: Connection,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    new_events: list[dict[str, Any]],
) -> None:
    """Core executemany a chunk at a time (SQLite: in process, no round trips)."""
    fill_table = cast(Table, Fill.__table__)
    by_id = (
        update(fill_table)
        .where(fill_table.c.id == bindparam("fill_id"))
        .values({name: bindparam(name) for name in (*_FILL_FIELDS, "imported_at")})
    )
    for part in chunks(new, CHUNK):
        connection.execute(insert(fill_table), list(part))
    for part in chunks(changed, CHUNK):
        rows = [{"fill_id": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in part]
        connection.execute(by_id, rows)
    for part in chunks(new_events, CHUNK):
        connection.execute(insert(cast(Table, DispensingEvent.__table__)), list(part))


def _copy_postgres(
    connection: Connection,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    new_events: list[dict[str, Any]],
) -> None:
    """PostgreSQL's COPY: new rows straight in, changed fills through a temporary table and one
    UPDATE ... FROM. Same transaction as the rest of the import."""
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor:
        _copy(cursor, "fill", _NEW_FILL_COLUMNS, new)
        _copy(cursor, "dispensing_event", _EVENT_COLUMNS, new_events)
        if not changed:
            return
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS fill_change (fill_id integer, "
            "days_supply integer, quantity numeric(12, 3), state varchar(20), picked_up_on date, "
            "imported_at timestamptz) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE fill_change")
        _copy(cursor, "fill_change", ("fill_id", *_FILL_FIELDS, "imported_at"), changed, "id")
        cursor.execute(
            "UPDATE fill SET days_supply = c.days_supply, quantity = c.quantity, "
            "state = c.state, picked_up_on = c.picked_up_on, imported_at = c.imported_at "
            "FROM fill_change AS c WHERE fill.id = c.fill_id"
        )


def _copy(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    rows: list[dict[str, Any]],
    first: str | None = None,
) -> None:
    if not rows:
        return
    names = [first, *columns[1:]] if first else list(columns)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return Decimal(old).quantize(Decimal("0.001")) != Decimal(new).quantize(Decimal("0.001"))
    return bool(old != new)
