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

This module is the import's entry point; its parts are the export's rows (columns, reading and
checking each row: bot/imports/export_rows.py, with the values' parsers in export_values.py),
writing patients and prescriptions (export_writing.py) and the report (import_report.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.imports import prescription_status
from bot.imports.export_rows import read_rows
from bot.imports.export_writing import write_patients, write_prescriptions
from bot.imports.import_report import ImportReport
from store.models import Patient, Pharmacy, Prescription


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
    # A last fill or a birth date after the pharmacy's today is a bad row (a typo in the year).
    today = now.astimezone(ZoneInfo(pharmacy.timezone)).date()
    # Later rows win: a patient's (or prescription's) values come from its last good row.
    # The rows are read as they come (only these values are kept), all before any write.
    patient_values: dict[str, dict[str, Any]] = {}
    prescription_values: dict[tuple[str, str], dict[str, Any]] = {}
    for row in read_rows(rows, report, today):
        report.rows_ok += 1
        patient_values[row.patient_id] = row.patient
        prescription_values[row.patient_id, row.rx_number] = row.prescription
    if not report.rows_ok:
        return report

    if pharmacy.id is None or session.new or session.dirty:
        session.flush()  # the caller's own changes first: what follows writes past the ORM
    pharmacy_id = pharmacy.id

    before = prescription_status.snapshot(session, pharmacy_id, only_ended=not full)
    patient_ids = write_patients(session, pharmacy_id, patient_values, now, report)
    write_prescriptions(session, pharmacy_id, patient_ids, prescription_values, now, report)
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
