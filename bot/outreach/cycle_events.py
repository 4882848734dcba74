"""What the scheduler's steps share: can a patient be texted, and claiming a cycle's step
once (a cycle_event row with a unique (patient, anchor date, kind))."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import Patient
from store.outreach import CycleEvent, CycleEventKind


def textable(patient: Patient) -> bool:
    return patient.sms_capable is not False and patient.phone_type != "landline"


def record_event(
    session: Session,
    patient_id: int,
    anchor_date: dt.date,
    kind: CycleEventKind,
    now: dt.datetime,
    message_id: int | None = None,
    note: str | None = None,
) -> bool:
    """Claim this cycle's `kind` for the patient; False if it was claimed already."""
    values = {
        "patient_id": patient_id,
        "anchor_date": anchor_date,
        "kind": kind.value,
        "message_id": message_id,
        "note": note,
        "created_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CycleEvent).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT here.
    return session.scalar(statement.returning(CycleEvent.id)) is not None
