"""Import the pharmacy system's fills file: one row per dispensed fill, for adherence.

Columns (docs/IMPORT.md): patient_id, rx_number, fill_date, days_supply, quantity. A fill is
keyed by (patient, rx_number, fill_date): importing the same file again changes nothing, and
a fill whose days' supply or quantity changed is updated. Every bad row is reported with its
line number and reason and the good rows are kept; a patient_id the pharmacy does not know
is a bad row. Writing is set-based (the existing fills of the file's patients are read as
plain rows, new and changed ones are written with executemany, a chunk at a time), so a
100,000-row file is a few hundred statements. Flushes, never commits.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.imports.pharmacy_export import (
    ImportFileError,
    Invalid,
    RowError,
    chunks,
    column_name,
    count,
    csv_records,
    header_positions,
    parse_date,
    parse_days_supply,
    parse_key,
    parse_quantity,
    rejection_lines,
)
from store.fills import Fill
from store.models import Patient, Pharmacy

FILL_COLUMNS: tuple[str, ...] = ("patient_id", "rx_number", "fill_date", "days_supply", "quantity")
CHUNK = 1000  # rows per executemany statement and values per IN (...)

Key = tuple[int, str, dt.date]  # (patient.id, rx_number, fill_date)


@dataclass
class FillsReport:
    rows_ok: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Imported {count(self.rows_ok, 'fill row')}: {count(self.created, 'fill')} "
            f"created, {self.updated} updated, {self.unchanged} unchanged."
        ]
        if not self.errors:
            lines.append("No rows rejected.")
            return "\n".join(lines)
        lines.extend(rejection_lines(self.errors))
        return "\n".join(lines)


@dataclass(frozen=True)
class _Row:
    line: int
    patient_id: str
    rx_number: str
    fill_date: dt.date
    days_supply: int
    quantity: Decimal


def is_fills_header(first_line: str) -> bool:
    """Whether a CSV header line is a fills file's (it has fill_date and no drug_name)."""
    try:
        names = {column_name(c) for c in next(csv.reader([first_line]))}
    except (StopIteration, csv.Error):
        return False
    return "fill_date" in names and "drug_name" not in names


def import_fills(
    session: Session, pharmacy: Pharmacy, rows: Iterable[str] | TextIO, now: dt.datetime
) -> FillsReport:
    """Validate the fills file and upsert its good rows into `pharmacy`'s patients' fills."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    report = FillsReport()
    parsed = _read(rows, report)
    if pharmacy.id is None or session.new or session.dirty:
        session.flush()
    patients = _patient_ids(session, pharmacy.id, {row.patient_id for row in parsed})
    # Later rows win for a fill repeated in the file.
    values: dict[Key, tuple[int, Decimal]] = {}
    for row in parsed:
        patient = patients.get(row.patient_id)
        if patient is None:
            report.errors.append(
                RowError(
                    row.line,
                    row.patient_id,
                    row.rx_number,
                    f"patient_id '{row.patient_id}' is not a patient of {pharmacy.name} "
                    "(import the patients' export first)",
                )
            )
            continue
        report.rows_ok += 1
        values[patient, row.rx_number, row.fill_date] = (row.days_supply, row.quantity)
    report.errors.sort(key=lambda e: e.line)
    if values:
        _write(session, values, now, report)
    return report


def _patient_ids(session: Session, pharmacy_id: int, external: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ids = sorted(external)
    for chunk in chunks(ids, CHUNK):
        query = select(Patient.external_id, Patient.id).where(
            Patient.pharmacy_id == pharmacy_id, Patient.external_id.in_(chunk)
        )
        found.update({ext: pid for ext, pid in session.execute(query)})
    return found


def _write(
    session: Session,
    values: dict[Key, tuple[int, Decimal]],
    now: dt.datetime,
    report: FillsReport,
) -> None:
    patient_ids = sorted({key[0] for key in values})
    first = min(key[2] for key in values)
    last = max(key[2] for key in values)
    stored: dict[Key, tuple[int, int, Decimal]] = {}
    for chunk in chunks(patient_ids, CHUNK):
        query = (
            select(
                Fill.id,
                Fill.patient_id,
                Fill.rx_number,
                Fill.fill_date,
                Fill.days_supply,
                Fill.quantity,
            )
            .where(Fill.patient_id.in_(chunk), Fill.fill_date.between(first, last))
            .execution_options(yield_per=5000)
        )
        for fid, pid, rx, date, days, qty in session.execute(query):
            stored[pid, rx, date] = (fid, days, qty)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for (pid, rx, date), (days, qty) in values.items():
        old = stored.get((pid, rx, date))
        if old is None:
            new.append(
                {
                    "patient_id": pid,
                    "rx_number": rx,
                    "fill_date": date,
                    "days_supply": days,
                    "quantity": qty,
                    "imported_at": now,
                }
            )
        elif (old[1], old[2]) != (days, qty):
            changed.append({"id": old[0], "days_supply": days, "quantity": qty, "imported_at": now})
        else:
            report.unchanged += 1
    for part in chunks(new, CHUNK):
        session.execute(insert(Fill), list(part))
    for part in chunks(changed, CHUNK):
        session.execute(update(Fill), list(part))
    report.created, report.updated = len(new), len(changed)
    for record in list(session.identity_map.values()):
        if isinstance(record, Fill):
            session.expire(record)


# --- reading -------------------------------------------------------------------------------


def _read(rows: Iterable[str] | TextIO, report: FillsReport) -> list[_Row]:
    records = csv_records(rows, FILL_COLUMNS)
    _, header = next(records)
    positions = header_positions(header, FILL_COLUMNS)
    missing = [name for name in FILL_COLUMNS if name not in positions]
    if missing:
        plural = "column" if len(missing) == 1 else "columns"
        raise ImportFileError(
            f"The fills file is missing the {plural} {', '.join(missing)}. "
            f"The first line must name the columns: {', '.join(FILL_COLUMNS)}."
        )
    parsed = (_parse(line, record, positions, report) for line, record in records)
    return [row for row in parsed if row is not None]


def _parse(
    line: int, record: list[str], positions: dict[str, int], report: FillsReport
) -> _Row | None:
    def raw(name: str) -> str:
        index = positions[name]
        return record[index].strip() if index < len(record) else ""

    patient_id, rx_number = raw("patient_id"), raw("rx_number")
    reasons: list[str] = []
    parsed: dict[str, Any] = {}
    for name, parse in (
        ("patient_id", parse_key),
        ("rx_number", parse_key),
        ("fill_date", parse_date),
        ("days_supply", parse_days_supply),
        ("quantity", parse_quantity),
    ):
        try:
            parsed[name] = parse(name, raw(name))
        except Invalid as problem:
            reasons.append(str(problem))
    if reasons:
        report.errors.append(RowError(line, patient_id[:64], rx_number[:64], "; ".join(reasons)))
        return None
    return _Row(line=line, **parsed)
