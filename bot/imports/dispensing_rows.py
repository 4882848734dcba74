"""Dispensing's rows: the batch's stored patients, prescriptions, events and fills read as
plain rows, and the new and changed ones written.

Set-based: values go a chunk at a time (`CHUNK`), new and changed rows are written with
executemany (SQLite) or COPY (PostgreSQL), so 100,000 events are a few hundred statements.
Used by the one code path, bot/imports/dispensing.py. Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

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

from bot.imports.dispensing_report import DispensingReport
from bot.imports.export_writing import chunks
from store.dispensing import DispensingEvent
from store.fills import Fill
from store.models import Patient, Prescription

CHUNK = 1000  # rows per executemany and values per IN (...)
FillKey = tuple[int, str, dt.date]  # (patient.id, rx_number, fill_date)


def read_patients(session: Session, pharmacy_id: int, external: set[str]) -> dict[str, int]:
    """The pharmacy's patients among `external` ids: external id -> patient.id."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted(external), CHUNK):
        query = select(Patient.external_id, Patient.id).where(
            Patient.pharmacy_id == pharmacy_id, _among(session, Patient.external_id, chunk)
        )
        found.update({ext: pid for ext, pid in session.execute(query)})
    return found


def read_prescriptions(session: Session, patient_ids: set[int]) -> set[tuple[int, str]]:
    """The (patient.id, rx_number) of these patients' prescriptions."""
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


def _three_places(value: Decimal | float | int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.001"))


def read_stored_events(
    session: Session, pharmacy_id: int, event_ids: list[str]
) -> dict[str, tuple[Any, ...]]:
    """The stored events of these ids: event id -> content (as `_content` in dispensing.py)."""
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


def read_stored_fills(session: Session, keys: set[FillKey]) -> dict[FillKey, dict[str, Any]]:
    """The stored fills of these keys, as plain dicts."""
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


def write_batch(
    session: Session,
    fills: dict[FillKey, dict[str, Any]],
    original: dict[FillKey, dict[str, Any]],
    new_events: list[dict[str, Any]],
    now: dt.datetime,
    report: DispensingReport,
) -> None:
    """Write the new and changed fills and the new events; count them in `report`."""
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
