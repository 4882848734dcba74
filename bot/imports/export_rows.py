"""The export's rows: its columns, and reading the file into checked rows.

`read_rows` reads the CSV text, checks the header (`COLUMNS`, of which `OPTIONAL_COLUMNS` may be
left out) and each row's values (bot/imports/export_values.py), and yields every good row as a
`Row`; a bad row goes to the report with every reason it is bad, a problem with the file as a
whole is an `ImportFileError`. The fills import (bot/imports/fills.py) reads its file with
`csv_records`, `column_name` and `header_positions` too.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from bot.imports.export_values import (
    Invalid,
    language_unknown,
    parse_address,
    parse_birth_date,
    parse_copay,
    parse_daily_quantity,
    parse_date,
    parse_days_supply,
    parse_drug_name,
    parse_flag,
    parse_key,
    parse_language,
    parse_max_days_supply,
    parse_name,
    parse_package,
    parse_payer,
    parse_phone,
    parse_phone_type,
    parse_quantity,
    parse_refills,
    parse_schedule,
    parse_status,
    parse_yes_no,
)
from bot.imports.import_report import ImportFileError, ImportReport, RowError
from bot.languages.patient_language import EXPORT

PATIENT_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "birth_date",
    "phone",
    "phone_type",
    "language",
)
PRESCRIPTION_FIELDS: tuple[str, ...] = (
    "drug_name",
    "daily_quantity",
    "days_supply",
    "quantity",
    "last_fill_date",
    "refills_remaining",
    "written_date",
    "dea_schedule",
    "prn",
    "maintenance",
    "package",
    "copay",
    "mail_order",
    "program_340b",
    "status",
    "payer",
    "max_days_supply",
)

# The export's columns, in its order: each patient's, then each prescription's.
COLUMNS: tuple[str, ...] = ("patient_id", *PATIENT_FIELDS, "rx_number", *PRESCRIPTION_FIELDS)
OPTIONAL_COLUMNS: frozenset[str] = frozenset(
    {"birth_date", "phone_type", "language", "mail_order", "program_340b", "status"}
    | {"payer", "max_days_supply"}  # issue 16: payer rules in the sync plan
)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)


@dataclass(slots=True)
class Row:
    line: int
    patient_id: str
    rx_number: str
    patient: dict[str, Any]  # only the columns present in the file
    prescription: dict[str, Any]


def read_rows(
    rows: Iterable[str] | TextIO, report: ImportReport, today: dt.date | None = None
) -> Iterator[Row]:
    """Every good row, in file order; bad rows go to `report.errors`. With `today` (the
    pharmacy's date), a last fill or a birth date after it makes the row bad."""
    records = csv_records(rows, COLUMNS)
    _, header = next(records)
    positions = _positions(header)
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1  # a trailing comma on the header line names no column
    for line, record in records:
        row = _parse(line, record, positions, width, report, today)
        if row is not None:
            yield row


def csv_records(
    rows: Iterable[str] | TextIO, columns: Sequence[str]
) -> Iterator[tuple[int, list[str]]]:
    """The header line first, then every record that is not blank, each with the line it
    starts on. An empty file, broken CSV or text that is not UTF-8 is an ImportFileError in
    plain words (`columns` are named in the empty file's). The fills import reads this way too."""
    lines: Iterable[str] = rows.splitlines(keepends=True) if isinstance(rows, str) else rows
    reader = csv.reader(lines)
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(
                f"The file is empty: the first line must name the columns ({', '.join(columns)})."
            ) from None
        yield 1, header
        end = reader.line_num
        for record in reader:
            start, end = end + 1, reader.line_num
            if any(value.strip() for value in record):  # else a blank line, or empty cells
                yield start, record
    except csv.Error as error:
        raise ImportFileError(
            f"Line {reader.line_num} of the file cannot be read as CSV: {error}."
        ) from error
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is not UTF-8 text; export it as CSV (UTF-8) and try again."
        ) from error


def column_name(raw: str) -> str:
    """A header cell as a column name: `\ufeffFill Date` is `fill_date`."""
    return re.sub(r"[\s-]+", "_", raw.replace("\ufeff", "").strip().lower())


def header_positions(header: list[str], checked: Collection[str] | None = None) -> dict[str, int]:
    """Each named column's index; a column named twice is refused (among `checked` only,
    when given: the fills file ignores what it does not read)."""
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = column_name(raw)
        if not name or (checked is not None and name not in checked):
            continue
        if name in positions:
            raise ImportFileError(
                f"The header names the column {name} twice (columns {positions[name] + 1} "
                f"and {index + 1}); each column must appear once."
            )
        positions[name] = index
    return positions


def _positions(header: list[str]) -> dict[str, int]:
    positions = header_positions(header)
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        plural = "column" if len(missing) == 1 else "columns"
        raise ImportFileError(
            f"The file is missing the required {plural} {', '.join(missing)}. "
            f"The first line must name the columns: {', '.join(COLUMNS)}."
        )
    return {name: index for name, index in positions.items() if name in (*COLUMNS, "address")}


def _parse(
    line: int,
    record: list[str],
    positions: dict[str, int],
    width: int,
    report: ImportReport,
    today: dt.date | None = None,
) -> Row | None:
    def raw(name: str) -> str:
        index = positions.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""

    patient_id, rx_number = raw("patient_id"), raw("rx_number")

    def reject(reasons: list[str]) -> None:
        report.errors.append(RowError(line, patient_id, rx_number, "; ".join(reasons)))

    extra = record[width:]
    if len(record) < width or any(value.strip() for value in extra):
        reject(
            [
                f"the row has {len(record)} fields but the header has {width} columns "
                "(a missing or extra comma, or an unquoted comma inside a value?)"
            ]
        )
        return None

    reasons: list[str] = []

    def take(name: str, parse: Callable[[str, str], Any], target: dict[str, Any]) -> None:
        if name not in positions:
            return
        try:
            target[name] = parse(name, raw(name))
        except Invalid as error:
            reasons.append(str(error))

    patient: dict[str, Any] = {}
    prescription: dict[str, Any] = {}
    take("patient_id", parse_key, {})
    take("rx_number", parse_key, {})
    take("first_name", parse_name, patient)
    take("last_name", parse_name, patient)
    take("birth_date", parse_birth_date, patient)
    take("phone", parse_phone, patient)
    take("phone_type", parse_phone_type, patient)
    take("address", parse_address, patient)  # an extra column: households use it
    # Blank or not known: a new patient is asked, an existing one keeps theirs.
    if raw("language") and not language_unknown(raw("language")):
        take("language", parse_language, patient)
        patient["language_confirmed"] = True
        patient["language_source"] = EXPORT
        patient["export_language"] = patient.get("language")
    take("drug_name", parse_drug_name, prescription)
    take("daily_quantity", parse_daily_quantity, prescription)
    take("days_supply", parse_days_supply, prescription)
    take("quantity", parse_quantity, prescription)
    take("last_fill_date", parse_date, prescription)
    take("refills_remaining", parse_refills, prescription)
    take("written_date", parse_date, prescription)
    take("dea_schedule", parse_schedule, prescription)
    take("prn", parse_yes_no, prescription)
    take("maintenance", parse_yes_no, prescription)
    take("package", parse_package, prescription)
    take("copay", parse_copay, prescription)
    take("mail_order", parse_flag, prescription)  # outreach priority (bot/outreach/priority.py)
    take("program_340b", parse_flag, prescription)
    # Issue 16: blank is active, and so is a row of an export without the column (the
    # export lists active prescriptions): a prescription made inactive comes back.
    prescription["status"] = "active"
    take("status", parse_status, prescription)
    take("payer", parse_payer, prescription)  # the plan's cost by payer (dialogs/plan/copay.py)
    take("max_days_supply", parse_max_days_supply, prescription)
    if today is not None:
        _not_after(today, "last_fill_date", prescription, raw, reasons)
        _not_after(today, "birth_date", patient, raw, reasons)
    if reasons:
        reject(reasons)
        return None
    return Row(line, patient_id, rx_number, patient, prescription)


# A date after today is a typo (2027 for 2026): the plan would schedule from a fill not made.
_FUTURE = {
    "last_fill_date": ": a fill cannot be in the future (a typo in the year?)",
    "birth_date": "",
}


def _not_after(
    today: dt.date,
    name: str,
    values: dict[str, Any],
    raw: Callable[[str], str],
    reasons: list[str],
) -> None:
    value = values.get(name)
    if value is not None and value > today:
        reasons.append(f"{name} '{raw(name)}' is after today ({today.isoformat()}){_FUTURE[name]}")
