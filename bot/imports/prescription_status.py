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


def snapshot(
    session: Session, pharmacy_id: int, only_ended: bool = False
) -> dict[Key, tuple[int, str]]:
    """The pharmacy's prescriptions (only those not active, if asked): (id, status) by
    (patient_id, rx_number)."""
    query = (
        select(Patient.external_id, Prescription.rx_number, Prescription.id, Prescription.status)
        .join(Patient, Patient.id == Prescription.patient_id)
        .where(Patient.pharmacy_id == pharmacy_id)
        .execution_options(yield_per=5000)
    )
    if only_ended:
        query = query.where(Prescription.status != "active")
    return {(ext, rx): (pid, status) for ext, rx, pid, status in session.execute(query)}


def settle(
    session: Session,
    pharmacy_id: int,
    before: dict[Key, tuple[int, str]],
    statuses: dict[Key, str],
    rejected: Iterable[Key],
    full: bool,
    now: dt.datetime,
) -> tuple[list[tuple[Key, str, str]], list[Key]]:
    """Date and audit the status changes the import made; with `full`, make the absent ones
    inactive. `before` is the snapshot taken before the import (all prescriptions for a full
    import, else only those not active); `statuses` the file's, by key. Returns (changes made
    by the file, keys made inactive)."""
    ids = {key: rx_id for key, (rx_id, _) in before.items()}
    if any(status != "active" for status in statuses.values()):
        ids.update(
            (key, rx_id)
            for key, (rx_id, _) in snapshot(session, pharmacy_id, only_ended=True).items()
            if key not in ids
        )
    changes: list[tuple[Key, str, str]] = []
    for key in sorted(statuses):
        new, old = statuses[key], before.get(key, (0, "active"))[1]
        if new != old and key in ids:
            changes.append((key, old, new))
            _audit(session, ids[key], key, old, new, now, "the export's status column")
    dated = [ids[key] for key, _, _ in changes]
    absent: list[Key] = []
    if full:
        skip = set(statuses) | set(rejected)
        absent = sorted(k for k, (_, s) in before.items() if s == "active" and k not in skip)
        for key in absent:
            _audit(session, ids[key], key, "active", "inactive", now, "absent from --full")
        made = [ids[key] for key in absent]
        for start in range(0, len(made), 1000):
            session.execute(
                update(Prescription)
                .where(Prescription.id.in_(made[start : start + 1000]))
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
