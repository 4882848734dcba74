"""Import a pharmacy's export into the store: one CSV row per active prescription.

The format is described in the sample data's README: the patient's columns are repeated on each
of that patient's rows. `import_export` validates every row, keeps the good ones and reports the
bad ones by physical line number; it writes through the caller's session and never commits.

Rules worth knowing:

* A row is all or nothing: if any of its values is bad, neither its patient columns nor its
  prescription columns are used, and every problem of that row is reported in one reason.
* When one patient_id appears on several good rows with different patient columns (a new phone on
  a later row, say), the later row wins. Likewise for a repeated (patient_id, rx_number).
* Columns named in `OPTIONAL_COLUMNS` may be left out of the header: a new patient then gets the
  default (no birth date, phone type unknown, language "en") and an existing patient keeps the
  stored value. A blank language means the same; such a new patient's first message offers a
  choice of languages (Patient.language_confirmed is False). Every other column of `COLUMNS`
  is required; columns the importer does not know are ignored.
* Prescriptions missing from a later export are left as they are, unless the import is
  `full` (`medsync import --full`): then they become inactive (bot/imports/prescription_status.py).
  The optional `status` column says active, inactive, discontinued or transferred.
* The whole file is read and checked before anything is written, so an `ImportFileError` (raised
  for a problem with the file as a whole) leaves the session untouched.
* A language the patient chose by text or on a call is kept: the export's language is then
  only recorded (Patient.export_language), and the report counts the patients whose language
  it would have changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, TextIO

import phonenumbers
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.imports import prescription_status
from bot.languages.patient_language import EXPORT, chosen_by_patient
from store.models import Patient, Pharmacy, Prescription

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

SCHEDULES: tuple[str, ...] = ("CII", "CIII", "CIV", "CV")
PACKAGES: tuple[str, ...] = ("inhaler", "insulin", "eye_drops", "patch", "liquid")
PHONE_TYPES: tuple[str, ...] = ("mobile", "landline")

BATCH_SIZE = 1000  # objects added between flushes
_IN_CHUNK = 500  # values per IN (...) when loading existing records
# A file naming more patients than this loads the pharmacy's records whole, in one query each:
# long IN lists against a big table are at the mercy of the planner (a cached generic plan on
# PostgreSQL compares every row with every value).
BULK_LOAD_ABOVE = 2000
_STREAM = 5000  # rows fetched at a time when streaming existing records


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing columns, not CSV text ...).

    The message is a plain sentence for staff. Nothing has been written when it is raised.
    """


@dataclass(frozen=True)
class RowError:
    """A rejected row: `line` is its physical line in the file (the header is line 1)."""

    line: int
    patient_id: str
    rx_number: str
    reason: str


@dataclass
class ImportReport:
    rows_ok: int = 0
    patients_created: int = 0
    patients_updated: int = 0
    prescriptions_created: int = 0
    prescriptions_updated: int = 0
    languages_kept: int = 0  # patients whose own choice of language the export did not change
    errors: list[RowError] = field(default_factory=list)
    # Issue 16: status changes from the status column, and prescriptions --full made inactive.
    status_changes: list[tuple[tuple[str, str], str, str]] = field(default_factory=list)
    made_inactive: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        """Plain sentences for the command line, one line per rejected row."""
        lines = [
            f"Imported {_count(self.rows_ok, 'row')}: "
            f"{_count(self.patients_created, 'patient')} created, "
            f"{_count(self.patients_updated, 'patient')} updated, "
            f"{_count(self.prescriptions_created, 'prescription')} created, "
            f"{_count(self.prescriptions_updated, 'prescription')} updated."
        ]
        if self.languages_kept:
            lines.append(
                f"{_count(self.languages_kept, 'patient')} kept the language they chose by text "
                "or on a call, not the export's (both are on the patient's page)."
            )
        lines.extend(self._status_lines())
        if not self.errors:
            lines.append("No rows rejected.")
            return "\n".join(lines)
        lines.extend(rejection_lines(self.errors))
        return "\n".join(lines)

    def _status_lines(self) -> list[str]:
        lines = []
        if self.status_changes:
            lines.append(f"{_count(len(self.status_changes), 'prescription')} changed status:")
            for (patient, rx), old, new in self.status_changes[:20]:
                lines.append(f"  {patient}, {rx}: {old} -> {new}")
            if len(self.status_changes) > 20:
                lines.append(f"  and {len(self.status_changes) - 20} more (see the audit trail)")
        if self.made_inactive:
            lines.append(
                f"{_count(len(self.made_inactive), 'prescription')} not in this full export "
                "marked inactive (kept, never deleted; out of the sync plan):"
            )
            for patient, rx in self.made_inactive[:20]:
                lines.append(f"  {patient}, {rx}")
            if len(self.made_inactive) > 20:
                lines.append(f"  and {len(self.made_inactive) - 20} more (see the audit trail)")
        return lines


def rejection_lines(errors: Sequence[RowError]) -> list[str]:
    """ "3 rows rejected:" then one plain line per row (the export's and the fills file's)."""
    lines = [f"{_count(len(errors), 'row')} rejected:"]
    for error in errors:
        who = ", ".join(part for part in (error.patient_id, error.rx_number) if part)
        where = f"line {error.line} ({who})" if who else f"line {error.line}"
        lines.append(f"  {where}: {error.reason}")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


count = _count


@dataclass(slots=True)
class _Row:
    line: int
    patient_id: str
    rx_number: str
    patient: dict[str, Any]  # only the columns present in the file
    prescription: dict[str, Any]


class _Invalid(Exception):
    """A value that cannot be used: the message is the reason shown to staff."""


def import_export(
    session: Session,
    pharmacy: Pharmacy,
    rows: Iterable[str] | TextIO,
    now: dt.datetime,
    full: bool = False,
) -> ImportReport:
    """Validate the export and upsert its good rows into `pharmacy`'s records.

    `rows` is an open text file or any iterable of lines (a UTF-8 byte order mark on the first
    line is ignored). Patients are matched by (pharmacy, patient_id), prescriptions by (patient,
    rx_number); a record whose values are all unchanged is left alone and not counted as updated.
    Flushes but never commits: the caller owns the transaction.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    report = ImportReport()
    # Later rows win: a patient's (or prescription's) values come from its last good row.
    # The rows are read as they come (only these values are kept), all before any write.
    patient_values: dict[str, dict[str, Any]] = {}
    prescription_values: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _read(rows, report):
        report.rows_ok += 1
        patient_values[row.patient_id] = row.patient
        prescription_values[row.patient_id, row.rx_number] = row.prescription
    if not report.rows_ok:
        return report

    if pharmacy.id is None or session.new or session.dirty:
        session.flush()  # the caller's own changes first: what follows writes past the ORM
    pharmacy_id = pharmacy.id

    before = prescription_status.snapshot(session, pharmacy_id, only_ended=not full)
    patient_ids = _write_patients(session, pharmacy_id, patient_values, now, report)
    _write_prescriptions(session, pharmacy_id, patient_ids, prescription_values, now, report)
    rejected = [(e.patient_id, e.rx_number) for e in report.errors]
    statuses = {key: values["status"] for key, values in prescription_values.items()}
    report.status_changes, report.made_inactive = prescription_status.settle(
        session, pharmacy_id, before, statuses, rejected, full, now
    )
    # Records the session loaded before the import would show the old values: reload them.
    for record in list(session.identity_map.values()):
        if isinstance(record, (Patient, Prescription)):
            session.expire(record)
    return report


# --- writing -------------------------------------------------------------------------------
# Set-based: existing records are read as plain rows (streamed, never as ORM objects), and
# new and changed ones are written with executemany inserts and updates by primary key, a
# chunk at a time. A 100,000-row export is a few hundred statements, not 100,000 objects.

# The patient columns the import may set: the export's, plus whether its language is known
# and where it came from.
_LANGUAGE_COLUMNS: tuple[str, ...] = ("language", "language_confirmed", "language_source")
_PATIENT_COLUMNS: tuple[str, ...] = (
    *PATIENT_FIELDS,
    "language_confirmed",
    "language_source",
    "export_language",
    "address",
)
_NEW_PATIENT: dict[str, Any] = {
    "birth_date": None,
    "phone_type": None,
    "language": "en",
    "language_confirmed": False,  # until the export or the patient says which
    "language_source": None,
    "export_language": None,
}


def _changes(stored: Sequence[Any], names: Sequence[str], values: dict[str, Any]) -> bool:
    return any(
        name in values and values[name] != old for name, old in zip(names, stored, strict=True)
    )


def _keep_chosen_language(
    stored_language: str, source: str | None, values: dict[str, Any], report: ImportReport
) -> dict[str, Any]:
    """The row's values without its language when the patient chose theirs (the export's is
    still recorded, as export_language)."""
    if "language" not in values or not chosen_by_patient(source):
        return values
    report.languages_kept += int(values["language"] != stored_language)
    return {name: value for name, value in values.items() if name not in _LANGUAGE_COLUMNS}


def _existing(
    session: Session, query: Any, bulk: bool, column: Any, keys: Sequence[Any]
) -> Iterator[Any]:
    """Rows of `query`: the pharmacy's whole table streamed when the file is large (long IN
    lists are at the mercy of the planner), else chunks of `column IN keys`."""
    if bulk:
        yield from session.execute(query.execution_options(yield_per=_STREAM))
        return
    for chunk in chunks(keys, _IN_CHUNK):
        yield from session.execute(query.where(column.in_(chunk)))


def _write_patients(
    session: Session,
    pharmacy_id: int,
    patient_values: dict[str, dict[str, Any]],
    now: dt.datetime,
    report: ImportReport,
) -> dict[str, int]:
    """Insert or update the file's patients; their ids by external id."""
    names = [name for name in _PATIENT_COLUMNS if hasattr(Patient, name)]
    query = select(Patient.id, Patient.external_id, *(getattr(Patient, n) for n in names)).where(
        Patient.pharmacy_id == pharmacy_id
    )
    ids: dict[str, int] = {}
    updates: list[dict[str, Any]] = []
    bulk = len(patient_values) > BULK_LOAD_ABOVE
    language_at, source_at = (2 + names.index(n) for n in ("language", "language_source"))
    for row in _existing(session, query, bulk, Patient.external_id, list(patient_values)):
        values = patient_values.get(row[1])
        if values is None:
            continue
        ids[row[1]] = row[0]
        values = _keep_chosen_language(row[language_at], row[source_at], values, report)
        if _changes(row[2:], names, values):
            updates.append({"id": row[0], **values, "updated_at": now})
            report.patients_updated += 1
            if len(updates) >= BATCH_SIZE:
                session.execute(update(Patient), updates)
                updates = []
    if updates:
        session.execute(update(Patient), updates)
    new = [
        {
            **_NEW_PATIENT,
            **values,
            "pharmacy_id": pharmacy_id,
            "external_id": external_id,
            "created_at": now,
            "updated_at": now,
        }
        for external_id, values in patient_values.items()
        if external_id not in ids
    ]
    report.patients_created += len(new)
    for chunk in chunks(new, BATCH_SIZE):
        inserted = session.execute(
            insert(Patient).returning(Patient.id, Patient.external_id), chunk
        )
        ids.update((external_id, patient_id) for patient_id, external_id in inserted)
    return ids


def _write_prescriptions(
    session: Session,
    pharmacy_id: int,
    patient_ids: dict[str, int],
    prescription_values: dict[tuple[str, str], dict[str, Any]],
    now: dt.datetime,
    report: ImportReport,
) -> None:
    wanted = {
        (patient_ids[external_id], rx_number): values
        for (external_id, rx_number), values in prescription_values.items()
    }
    names = PRESCRIPTION_FIELDS
    columns = (getattr(Prescription, name) for name in names)
    bulk = len(patient_ids) > BULK_LOAD_ABOVE
    query = select(Prescription.id, Prescription.patient_id, Prescription.rx_number, *columns)
    if bulk:
        query = query.join(Patient).where(Patient.pharmacy_id == pharmacy_id)
    seen: set[tuple[int, str]] = set()
    updates: list[dict[str, Any]] = []
    keys = sorted(set(patient_ids.values()))
    for row in _existing(session, query, bulk, Prescription.patient_id, keys):
        key = (row[1], row[2])
        values = wanted.get(key)
        if values is None:
            continue
        seen.add(key)
        if _changes(row[3:], names, values):
            updates.append({"id": row[0], **values, "updated_at": now})
            report.prescriptions_updated += 1
            if len(updates) >= BATCH_SIZE:
                session.execute(update(Prescription), updates)
                updates = []
    if updates:
        session.execute(update(Prescription), updates)
    new = [
        {**values, "patient_id": patient_id, "rx_number": rx_number, "updated_at": now}
        for (patient_id, rx_number), values in wanted.items()
        if (patient_id, rx_number) not in seen
    ]
    report.prescriptions_created += len(new)
    for chunk in chunks(new, BATCH_SIZE):
        session.execute(insert(Prescription), chunk)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """`items` a slice of `size` at a time."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- reading -------------------------------------------------------------------------------


def _read(rows: Iterable[str] | TextIO, report: ImportReport) -> Iterator[_Row]:
    """Every good row, in file order; bad rows go to `report.errors`."""
    records = csv_records(rows, COLUMNS)
    _, header = next(records)
    positions = _positions(header)
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1  # a trailing comma on the header line names no column
    for line, record in records:
        row = _parse(line, record, positions, width, report)
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
) -> _Row | None:
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
        except _Invalid as error:
            reasons.append(str(error))

    patient: dict[str, Any] = {}
    prescription: dict[str, Any] = {}
    take("patient_id", _id, {})
    take("rx_number", _id, {})
    take("first_name", _name, patient)
    take("last_name", _name, patient)
    take("birth_date", _birth_date, patient)
    take("phone", _phone_column, patient)
    take("phone_type", _phone_type, patient)
    take("address", _optional(_text(300)), patient)  # an extra column: households use it
    if raw("language"):  # blank: a new patient is asked, an existing one keeps theirs
        take("language", _language, patient)
        patient["language_confirmed"] = True
        patient["language_source"] = EXPORT
        patient["export_language"] = patient.get("language")
    take("drug_name", _drug_name, prescription)
    take("daily_quantity", _daily_quantity, prescription)
    take("days_supply", _days_supply, prescription)
    take("quantity", _quantity, prescription)
    take("last_fill_date", _required_date, prescription)
    take("refills_remaining", _refills, prescription)
    take("written_date", _required_date, prescription)
    take("dea_schedule", _schedule, prescription)
    take("prn", _yes_no, prescription)
    take("maintenance", _yes_no, prescription)
    take("package", _package, prescription)
    take("copay", _copay, prescription)
    take("mail_order", _flag, prescription)  # outreach priority (bot/priority.py)
    take("program_340b", _flag, prescription)
    # Issue 16: blank is active, and so is a row of an export without the column (the
    # export lists active prescriptions): a prescription made inactive comes back.
    prescription["status"] = "active"
    take("status", _status, prescription)
    take("payer", _payer, prescription)  # the plan's cost by payer (dialogs/plan/copay.py)
    take("max_days_supply", _max_days_supply, prescription)
    if reasons:
        reject(reasons)
        return None
    return _Row(line, patient_id, rx_number, patient, prescription)


# --- values --------------------------------------------------------------------------------
# Each parser takes (column name, stripped text) and returns the stored value or raises _Invalid.


def _required(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    def parse_required(name: str, text: str) -> Any:
        if not text:
            raise _Invalid(f"{name} is blank")
        return parse(name, text)

    return parse_required


def _optional(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    def parse_optional(name: str, text: str) -> Any:
        return parse(name, text) if text else None

    return parse_optional


def _text(limit: int) -> Callable[[str, str], str]:
    def parse_text(name: str, text: str) -> str:
        if not text:
            raise _Invalid(f"{name} is blank")
        if len(text) > limit:
            raise _Invalid(f"{name} is longer than {limit} characters")
        return text

    return parse_text


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _date(name: str, text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise _Invalid(f"{name} '{text}' is not a date in YYYY-MM-DD form")
    try:
        return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        raise _Invalid(f"{name} '{text}' is not a real date (expected YYYY-MM-DD)") from None


_id = _text(64)
_name = _text(100)
_drug_name = _text(200)
_birth_date = _optional(_date)
_required_date = _required(_date)

# Field parsers the fills import shares (bot/fills_import.py): they raise Invalid.
Invalid = _Invalid
parse_key = _id
parse_date = _required_date


def _phone_column(name: str, text: str) -> str:
    if not text:
        raise _Invalid(f"{name} is blank")
    e164, problem = normalize_phone(text)
    if e164 is None:
        raise _Invalid(problem)
    return e164


@lru_cache(maxsize=8192)
def normalize_phone(text: str, region: str = "US") -> tuple[str | None, str]:
    """(E.164 number, "") for a valid number, else (None, a plain reason)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, f"phone '{text}' is not a phone number"
    if not phonenumbers.is_valid_number(number):
        if number.country_code != 1:
            return None, f"phone '{text}' is not a valid phone number"
        hint = " (is the area code missing?)" if len(str(number.national_number)) < 10 else ""
        return None, f"phone '{text}' is not a valid US number{hint}"
    if number.extension:
        return None, (
            f"phone '{text}' has an extension; give a number that reaches the patient directly"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def _phone_type(name: str, text: str) -> str | None:
    value = text.lower()
    if not value:
        return None
    if value == "cell":
        return "mobile"
    if value not in PHONE_TYPES:
        raise _Invalid(f"{name} '{text}' is not mobile, landline or blank")
    return value


_LANGUAGE = re.compile(
    r"[a-z]{2,3}"  # language
    r"(-[a-z]{4})?"  # script
    r"(-([a-z]{2}|\d{3}))?"  # region
    r"(-([a-z\d]{5,8}|\d[a-z\d]{3}))*"  # variants
    r"(-[a-wyz\d](-[a-z\d]{2,8})+)*"  # extensions
    r"(-x(-[a-z\d]{1,8})+)?"  # private use
)


def _language(name: str, text: str) -> str:
    """A BCP 47 tag with the conventional casing (es, es-MX, zh-Hans, zh-Hant-TW); blank is en."""
    if not text:
        return "en"
    tag = text.replace("_", "-").lower()
    if not _LANGUAGE.fullmatch(tag):
        raise _Invalid(f"{name} '{text}' is not a language tag such as en, es or zh-Hans")
    if len(tag) > 16:
        raise _Invalid(f"{name} '{text}' is longer than 16 characters")
    subtags = tag.split("-")
    cased = [subtags[0]]
    singleton = False
    for subtag in subtags[1:]:
        singleton = singleton or len(subtag) == 1
        if not singleton and len(subtag) == 4 and subtag.isalpha():
            subtag = subtag.title()
        elif not singleton and len(subtag) == 2 and subtag.isalpha():
            subtag = subtag.upper()
        cased.append(subtag)
    return "-".join(cased)


_SCHEDULE_NAMES = {
    "2": "CII", "II": "CII", "2N": "CII", "IIN": "CII",
    "3": "CIII", "III": "CIII", "3N": "CIII", "IIIN": "CIII",
    "4": "CIV", "IV": "CIV",
    "5": "CV", "V": "CV",
}  # fmt: skip


def _schedule(name: str, text: str) -> str | None:
    """CII, CIII, CIV, CV or None, from CII, C-II, II, 2, c2, Schedule II, 2N ..."""
    if not text:
        return None
    key = re.sub(r"[\s\-_.]+", "", text.upper())
    key = key.removeprefix("SCHEDULE").removeprefix("SCHED").removeprefix("C")
    schedule = _SCHEDULE_NAMES.get(key)
    if schedule is None:
        if key in ("1", "I"):
            raise _Invalid(f"{name} '{text}' is schedule I, which cannot be prescribed")
        raise _Invalid(
            f"{name} '{text}' is not a DEA schedule (expected CII, CIII, CIV, CV or blank)"
        )
    return schedule


_YES = frozenset({"y", "yes", "true", "t", "1"})
_NO = frozenset({"n", "no", "false", "f", "0"})


def _flag(name: str, text: str) -> bool:
    """An optional Y/N column: blank is N."""
    return _yes_no(name, text) if text else False


def _yes_no(name: str, text: str) -> bool:
    value = text.lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    if not value:
        raise _Invalid(f"{name} is blank (expected Y or N)")
    raise _Invalid(f"{name} '{text}' is not Y or N")


def _status(name: str, text: str) -> str:
    value = text.lower().replace(" ", "_") or "active"
    if value not in prescription_status.STATUSES:
        raise _Invalid(
            f"{name} '{text}' is not one of {', '.join(prescription_status.STATUSES)} (or blank)"
        )
    return value


def _package(name: str, text: str) -> str | None:
    if not text:
        return None
    value = re.sub(r"[\s\-]+", "_", text.lower())
    if value not in PACKAGES:
        raise _Invalid(f"{name} '{text}' is not one of {', '.join(PACKAGES)} (or blank)")
    return value


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


def _number(name: str, text: str, places: int, limit: int) -> Decimal:
    """A decimal rounded to the column's scale, below 10**limit in size."""
    if not _NUMBER.fullmatch(text):
        raise _Invalid(f"{name} '{text}' is not a number")
    value = Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if abs(value) >= 10**limit:
        raise _Invalid(f"{name} '{text}' is too large")
    return value


def _whole(name: str, text: str, low: int, high: int) -> int:
    if not text:
        raise _Invalid(f"{name} is blank")
    if not re.fullmatch(r"[+-]?\d+(\.0*)?", text, re.ASCII):
        raise _Invalid(f"{name} '{text}' is not a whole number")
    value = int(Decimal(text))
    if not low <= value <= high:
        raise _Invalid(f"{name} '{text}' must be between {low} and {high}")
    return value


def _days_supply(name: str, text: str) -> int:
    return _whole(name, text, 1, 366)


def _refills(name: str, text: str) -> int:
    return _whole(name, text, 0, 999)


def _daily_quantity(name: str, text: str) -> Decimal | None:
    if not text:
        return None
    value = _number(name, text, 6, 6)
    if value <= 0:
        raise _Invalid(f"{name} '{text}' must be more than 0 (leave it blank for as-needed)")
    return value


def _quantity(name: str, text: str) -> Decimal:
    if not text:
        raise _Invalid(f"{name} is blank")
    value = _number(name, text, 3, 9)
    if value < 0:
        raise _Invalid(f"{name} '{text}' must not be negative")
    return value


def _copay(name: str, text: str) -> Decimal:
    """Dollars: 10, 10.00, $10.00, $1,250.00."""
    if not text:
        raise _Invalid(f"{name} is blank")
    cleaned = text.replace("$", "", 1).strip()
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")
    value = _number(name, cleaned, 2, 8).quantize(Decimal("0.01"))
    if value < 0:
        raise _Invalid(f"{name} '{text}' must not be negative")
    return value


PAYERS: tuple[str, ...] = ("medicare_d", "medicaid", "commercial", "cash")
_PAYER_WORDS = {"part_d": "medicare_d", "medicare_part_d": "medicare_d", "self_pay": "cash"}


def _payer(name: str, text: str) -> str | None:
    """Who pays: medicare_d, medicaid, commercial or cash; blank: not known."""
    if not text:
        return None
    value = re.sub(r"[\s\-]+", "_", text.lower())
    value = _PAYER_WORDS.get(value, value)
    if value not in PAYERS:
        raise _Invalid(f"{name} '{text}' is not one of {', '.join(PAYERS)} (or blank)")
    return value


def _max_days_supply(name: str, text: str) -> int | None:
    """The plan's most days' supply for one fill of this drug; blank: the program's."""
    return _whole(name, text, 1, 366) if text else None


parse_days_supply = _days_supply
parse_quantity = _quantity
