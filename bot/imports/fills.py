"""Import the pharmacy system's fills file: one row per dispensed fill, for adherence, and
dispensing events (issue 16).

Columns (docs/IMPORT.md): patient_id, rx_number, fill_date, days_supply, quantity, and the
optional event (dispensed, picked_up, returned_to_stock, reversed), event_id and event_date
(the day of the event: the pickup day; blank is the fill date). Every row is a dispensing
event and goes through bot/imports/dispensing.py, the code path the API and FHIR bundles
share: importing the same file again changes nothing, a fill whose days' supply or quantity
changed is updated, an event id seen before with other content is refused. Every bad row is
reported with its line number and reason and the good rows are kept; a patient_id the
pharmacy does not know is a bad row (and, in a file with event columns, an rx_number the
patient does not have). Set-based writes; flushes, never commits.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy.orm import Session

from bot.imports.dispensing import record_events
from bot.imports.dispensing_events import KINDS, Event
from bot.imports.export_rows import column_name, csv_records, header_positions
from bot.imports.export_values import (
    Invalid,
    parse_date,
    parse_days_supply,
    parse_key,
    parse_quantity,
)
from bot.imports.import_report import ImportFileError, RowError, count, rejection_lines
from store.dispensing import EventKind
from store.models import Pharmacy

FILL_COLUMNS: tuple[str, ...] = ("patient_id", "rx_number", "fill_date", "days_supply", "quantity")
EVENT_COLUMNS: tuple[str, ...] = ("event", "event_id", "event_date")


@dataclass
class FillsReport:
    rows_ok: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events_recorded: int = 0  # rows with an event id or another kind than dispensed
    events_unchanged: int = 0
    cycles_changed: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Imported {count(self.rows_ok, 'fill row')}: {count(self.created, 'fill')} "
            f"created, {self.updated} updated, {self.unchanged} unchanged."
        ]
        if self.events_recorded or self.events_unchanged:
            lines.append(
                f"{count(self.events_recorded, 'dispensing event')} recorded, "
                f"{self.events_unchanged} seen before (unchanged)."
            )
        if self.cycles_changed:
            lines.append(f"{count(self.cycles_changed, 'pickup cycle')} changed by these events.")
        if not self.errors:
            lines.append("No rows rejected.")
            return "\n".join(lines)
        lines.extend(rejection_lines(self.errors))
        return "\n".join(lines)


@dataclass(slots=True)
class _Row:
    line: int
    event: Event


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
    """Validate the fills file and record its good rows as dispensing events."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    report = FillsReport()
    parsed, with_events = _read(rows, report)
    result = record_events(
        session,
        pharmacy,
        (row.event for row in parsed),
        now,
        "file",
        require_prescription=with_events,
    )
    by_ref = {row.event.ref: row for row in parsed}
    for outcome in result.outcomes:
        if outcome.status == "rejected":
            report.errors.append(
                RowError(
                    by_ref[outcome.ref].line,
                    outcome.patient_id[:64],
                    outcome.rx_number[:64],
                    outcome.reason or "",
                )
            )
            continue
        report.rows_ok += 1
        named = outcome.event_id is not None
        if outcome.status == "unchanged":
            report.events_unchanged += 1
        elif named or by_ref[outcome.ref].event.kind is not EventKind.DISPENSED:
            report.events_recorded += 1
    report.created, report.updated = result.fills_created, result.fills_updated
    report.unchanged = result.fills_unchanged + report.events_unchanged
    report.cycles_changed = result.cycles_changed
    report.errors.sort(key=lambda e: e.line)
    return report


# --- reading -------------------------------------------------------------------------------


def _read(rows: Iterable[str] | TextIO, report: FillsReport) -> tuple[list[_Row], bool]:
    records = csv_records(rows, (*FILL_COLUMNS, *EVENT_COLUMNS))
    _, header = next(records)
    positions = header_positions(header, (*FILL_COLUMNS, *EVENT_COLUMNS))
    missing = [name for name in FILL_COLUMNS if name not in positions]
    if missing:
        plural = "column" if len(missing) == 1 else "columns"
        raise ImportFileError(
            f"The fills file is missing the {plural} {', '.join(missing)}. "
            f"The first line must name the columns: {', '.join(FILL_COLUMNS)} "
            f"(and may add {', '.join(EVENT_COLUMNS)})."
        )
    parsed = (_parse(line, record, positions, report) for line, record in records)
    with_events = "event" in positions or "event_id" in positions
    return [row for row in parsed if row is not None], with_events


def _parse(
    line: int, record: list[str], positions: dict[str, int], report: FillsReport
) -> _Row | None:
    width = len(record)
    raw = {
        name: (record[index].strip() if index < width else "") for name, index in positions.items()
    }
    get = raw.get
    patient_id, rx_number = get("patient_id", ""), get("rx_number", "")
    reasons: list[str] = []
    parsed: dict[str, Any] = {}
    kind = _DISPENSED
    event_text = get("event", "")
    if event_text:
        found = _KINDS.get(event_text.lower())
        if found is None:
            reasons.append(f"event '{event_text[:40]}' is not one of {', '.join(KINDS)}")
        else:
            kind = found
    # Only a dispensed row must say how much: the other events are about a fill on file.
    optional = kind is not _DISPENSED
    for name, parse in _PARSERS:
        text = get(name, "")
        if not text and (name == "event_date" or (optional and name in _AMOUNTS)):
            parsed[name] = None
            continue
        try:
            parsed[name] = parse(name, text)
        except Invalid as problem:
            reasons.append(str(problem))
    event_id = get("event_id") or None
    if event_id is not None and len(event_id) > 128:
        reasons.append("event_id is longer than 128 characters")
    if reasons:
        report.errors.append(RowError(line, patient_id[:64], rx_number[:64], "; ".join(reasons)))
        return None
    event = Event(
        ref=f"line {line}",
        patient_id=parsed["patient_id"],
        rx_number=parsed["rx_number"],
        kind=kind,
        fill_date=parsed["fill_date"],
        occurred_on=parsed["event_date"] or parsed["fill_date"],
        event_id=event_id,
        days_supply=parsed["days_supply"],
        quantity=parsed["quantity"],
    )
    return _Row(line, event)


def _fast_date(name: str, text: str) -> dt.date:
    """YYYY-MM-DD read directly; anything else gets parse_date's sentence."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    day: dt.date = parse_date(name, text)
    return day


_AMOUNTS = ("days_supply", "quantity")
_DISPENSED = EventKind.DISPENSED
_KINDS = {kind.value: kind for kind in EventKind}
_PARSERS = (
    ("patient_id", parse_key),
    ("rx_number", parse_key),
    ("fill_date", _fast_date),
    ("days_supply", parse_days_supply),
    ("quantity", parse_quantity),
    ("event_date", _fast_date),
)
