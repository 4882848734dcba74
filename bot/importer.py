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
* Prescriptions missing from a later export are left as they are: the export lists active
  prescriptions, and the store has no way yet to mark one inactive.
* The whole file is read and checked before anything is written, so an `ImportFileError` (raised
  for a problem with the file as a whole) leaves the session untouched.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, TextIO

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

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
)

# The export's columns, in its order: each patient's, then each prescription's.
COLUMNS: tuple[str, ...] = ("patient_id", *PATIENT_FIELDS, "rx_number", *PRESCRIPTION_FIELDS)
OPTIONAL_COLUMNS: frozenset[str] = frozenset({"birth_date", "phone_type", "language"})
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
    errors: list[RowError] = field(default_factory=list)

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
        if not self.errors:
            lines.append("No rows rejected.")
            return "\n".join(lines)
        lines.append(f"{_count(len(self.errors), 'row')} rejected:")
        for error in self.errors:
            who = ", ".join(part for part in (error.patient_id, error.rx_number) if part)
            where = f"line {error.line} ({who})" if who else f"line {error.line}"
            lines.append(f"  {where}: {error.reason}")
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass
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
    good = _read(rows, report)
    report.rows_ok = len(good)
    if not good:
        return report

    # Later rows win: a patient's (or prescription's) values come from its last good row.
    patient_values: dict[str, dict[str, Any]] = {}
    prescription_values: dict[tuple[str, str], dict[str, Any]] = {}
    for row in good:
        patient_values[row.patient_id] = row.patient
        prescription_values[row.patient_id, row.rx_number] = row.prescription

    if pharmacy.id is None:
        session.flush()
    pharmacy_id = pharmacy.id

    patients = _load_patients(session, pharmacy_id, list(patient_values))
    existing_patient_ids = [p.id for p in patients.values()]
    pending = 0
    for external_id, values in patient_values.items():
        patient = patients.get(external_id)
        if patient is None:
            patient = Patient(
                pharmacy_id=pharmacy_id,
                external_id=external_id,
                birth_date=None,
                phone_type=None,
                language="en",
                language_confirmed=False,  # until the export or the patient says which
                created_at=now,
                updated_at=now,
            )
            _assign(patient, values)
            session.add(patient)
            patients[external_id] = patient
            report.patients_created += 1
            pending += 1
        elif _assign(patient, values):
            patient.updated_at = now
            report.patients_updated += 1
            pending += 1
        if pending >= BATCH_SIZE:
            session.flush()
            pending = 0
    session.flush()  # new patients get their ids
    pending = 0

    prescriptions = _load_prescriptions(session, pharmacy_id, existing_patient_ids)
    for (external_id, rx_number), values in prescription_values.items():
        patient_id = patients[external_id].id
        prescription = prescriptions.get((patient_id, rx_number))
        if prescription is None:
            prescription = Prescription(patient_id=patient_id, rx_number=rx_number, updated_at=now)
            _assign(prescription, values)
            session.add(prescription)
            report.prescriptions_created += 1
            pending += 1
        elif _assign(prescription, values):
            prescription.updated_at = now
            report.prescriptions_updated += 1
            pending += 1
        if pending >= BATCH_SIZE:
            session.flush()
            pending = 0
    session.flush()
    return report


def _assign(record: Patient | Prescription, values: dict[str, Any]) -> bool:
    """Set the values that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_patients(
    session: Session, pharmacy_id: int, external_ids: list[str]
) -> dict[str, Patient]:
    query = select(Patient).where(Patient.pharmacy_id == pharmacy_id)
    if len(external_ids) > BULK_LOAD_ABOVE:
        wanted = set(external_ids)
        return {p.external_id: p for p in session.scalars(query) if p.external_id in wanted}
    found: dict[str, Patient] = {}
    for chunk in _chunks(external_ids, _IN_CHUNK):
        for patient in session.scalars(query.where(Patient.external_id.in_(chunk))):
            found[patient.external_id] = patient
    return found


def _load_prescriptions(
    session: Session, pharmacy_id: int, patient_ids: list[int]
) -> dict[tuple[int, str], Prescription]:
    found: dict[tuple[int, str], Prescription] = {}
    if len(patient_ids) > BULK_LOAD_ABOVE:
        wanted = set(patient_ids)
        query = select(Prescription).join(Patient).where(Patient.pharmacy_id == pharmacy_id)
        for prescription in session.scalars(query):
            if prescription.patient_id in wanted:
                found[prescription.patient_id, prescription.rx_number] = prescription
        return found
    for chunk in _chunks(patient_ids, _IN_CHUNK):
        query = select(Prescription).where(Prescription.patient_id.in_(chunk))
        for prescription in session.scalars(query):
            found[prescription.patient_id, prescription.rx_number] = prescription
    return found


# --- reading -------------------------------------------------------------------------------


def _read(rows: Iterable[str] | TextIO, report: ImportReport) -> list[_Row]:
    """Every good row, in file order; bad rows go to `report.errors`."""
    lines: Iterable[str] = rows.splitlines(keepends=True) if isinstance(rows, str) else rows
    reader = csv.reader(lines)
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(
                f"The file is empty: the first line must name the columns ({', '.join(COLUMNS)})."
            ) from None
        positions = _positions(header)
        width = len(header)
        while width and not header[width - 1].strip():
            width -= 1  # a trailing comma on the header line names no column
        good: list[_Row] = []
        end = reader.line_num
        for record in reader:
            start, end = end + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue  # blank line, or a line of empty cells
            row = _parse(start, record, positions, width, report)
            if row is not None:
                good.append(row)
    except csv.Error as error:
        raise ImportFileError(
            f"Line {reader.line_num} of the file cannot be read as CSV: {error}."
        ) from error
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is not UTF-8 text; export it as CSV (UTF-8) and try again."
        ) from error
    return good


def _column_name(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.replace("\ufeff", "").strip().lower())


def _positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _column_name(raw)
        if not name:
            continue
        if name in positions:
            raise ImportFileError(
                f"The header names the column {name} twice (columns {positions[name] + 1} "
                f"and {index + 1}); each column must appear once."
            )
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        plural = "column" if len(missing) == 1 else "columns"
        raise ImportFileError(
            f"The file is missing the required {plural} {', '.join(missing)}. "
            f"The first line must name the columns: {', '.join(COLUMNS)}."
        )
    return {name: index for name, index in positions.items() if name in COLUMNS}


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
    if raw("language"):  # blank: a new patient is asked, an existing one keeps theirs
        take("language", _language, patient)
        patient["language_confirmed"] = True
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


def _yes_no(name: str, text: str) -> bool:
    value = text.lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    if not value:
        raise _Invalid(f"{name} is blank (expected Y or N)")
    raise _Invalid(f"{name} '{text}' is not Y or N")


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
