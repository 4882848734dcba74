"""Prescriptions that end leave the plan (issue 16): the export's `status` column and
`medsync import --full`.

A prescription is `active`, `inactive`, `discontinued` or `transferred` (out to another
pharmacy). Anything but active is out of the sync plan, the worklist and the cost estimate.
With `--full` the file is the pharmacy's whole active list: a prescription of the pharmacy's
that is absent (and not on a rejected row) becomes `inactive`. Nothing is ever deleted; each
change is written to the audit trail (actor "medsync import") with the status before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.audit import record
from store.models import Patient, Prescription

STATUSES: tuple[str, ...] = ("active", "inactive", "discontinued", "transferred")
ACTOR = "medsync import"
Key = tuple[str, str]  # (patient external id, rx_number)


def snapshot(session: Session, pharmacy_id: int) -> dict[Key, tuple[int, str]]:
    """Every prescription of the pharmacy: (id, status) by (patient_id, rx_number)."""
    query = (
        select(Patient.external_id, Prescription.rx_number, Prescription.id, Prescription.status)
        .join(Patient, Patient.id == Prescription.patient_id)
        .where(Patient.pharmacy_id == pharmacy_id)
        .execution_options(yield_per=5000)
    )
    return {(ext, rx): (pid, status) for ext, rx, pid, status in session.execute(query)}


def settle(
    session: Session,
    pharmacy_id: int,
    before: dict[Key, tuple[int, str]],
    in_file: Iterable[Key],
    rejected: Iterable[Key],
    full: bool,
    now: dt.datetime,
) -> tuple[list[tuple[Key, str, str]], list[Key]]:
    """Date and audit the status changes the import made; with `full`, make the absent ones
    inactive. Returns (changes made by the file's status column, keys made inactive)."""
    listed = set(in_file)
    after = snapshot(session, pharmacy_id)
    changes: list[tuple[Key, str, str]] = []
    for key in sorted(listed):
        rx_id, status = after.get(key, (0, "active"))
        old = before.get(key, (0, "active"))[1]
        if key in after and status != old:
            changes.append((key, old, status))
            _audit(session, rx_id, key, old, status, now, "the export's status column")
    dated = [after[key][0] for key, _, _ in changes]
    absent: list[Key] = []
    if full:
        skip = listed | set(rejected)
        absent = sorted(k for k, (_, s) in after.items() if s == "active" and k not in skip)
        for key in absent:
            _audit(session, after[key][0], key, "active", "inactive", now, "absent from --full")
        ids = [after[key][0] for key in absent]
        for start in range(0, len(ids), 1000):
            session.execute(
                update(Prescription)
                .where(Prescription.id.in_(ids[start : start + 1000]))
                .values(status="inactive", status_changed_at=now, updated_at=now)
            )
    for start in range(0, len(dated), 1000):
        session.execute(
            update(Prescription)
            .where(Prescription.id.in_(dated[start : start + 1000]))
            .values(status_changed_at=now)
        )
    return changes, absent


def _audit(
    session: Session, rx_id: int, key: Key, old: str, new: str, now: dt.datetime, why: str
) -> None:
    record(
        session,
        ACTOR,
        "prescription_status",
        f"prescription:{rx_id}",
        now,
        before={"status": old},
        after={"status": new, "patient_id": key[0], "rx_number": key[1], "because": why},
    )
