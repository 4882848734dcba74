"""What the scheduler's steps share: can a patient be texted, claiming a cycle's step once (a
cycle_event row with a unique (patient, anchor date, kind)) and asking whether it was claimed,
and the day a patient really comes for an anchor (moved off the pharmacy's closed days)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.program.open_days import pickup_on
from dialogs.plan.open_days import LONGEST_CLOSURE_DAYS, OpenDays
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


def claimed(kind: CycleEventKind, anchor: object) -> object:
    """SQL: the patient's step `kind` of the cycle at `anchor` was claimed already."""
    return exists().where(
        CycleEvent.patient_id == Patient.id,
        CycleEvent.anchor_date == anchor,
        CycleEvent.kind == kind.value,
    )


def closure_slack(days: OpenDays) -> int:
    """How much earlier than its anchor a pickup may be (a run of closed days)."""
    return 0 if days.never_closed else LONGEST_CLOSURE_DAYS


def pickup_day(days: OpenDays, anchor: dt.date, today: dt.date) -> dt.date:
    """The day the patient really comes for `anchor` (bot/program/open_days.py)."""
    return pickup_on(days, anchor, today).actual
