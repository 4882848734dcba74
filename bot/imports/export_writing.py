"""Writing the export's patients and prescriptions: matching them to the stored records.

Patients are matched by (pharmacy, patient_id), prescriptions by (patient, rx_number); a record
whose values are all unchanged is left alone. A language the patient chose by text or on a call
is kept. `chunks` is shared with dispensing (bot/imports/dispensing.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.imports.export_rows import PATIENT_FIELDS, PRESCRIPTION_FIELDS
from bot.imports.import_report import ImportReport
from bot.languages.patient_language import chosen_by_patient
from store.models import Patient, Prescription

BATCH_SIZE = 1000  # objects added between flushes
_IN_CHUNK = 500  # values per IN (...) when loading existing records
# A file naming more patients than this loads the pharmacy's records whole, in one query each:
# long IN lists against a big table are at the mercy of the planner (a cached generic plan on
# PostgreSQL compares every row with every value).
BULK_LOAD_ABOVE = 2000
_STREAM = 5000  # rows fetched at a time when streaming existing records

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


def write_patients(
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


def write_prescriptions(
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
