"""Ticking off the prep-day worklist: each prescription of one pickup ticked (or un-ticked) by
a staff member, recorded append-only with an audit row (store/worklist.py); the latest row for
a prescription says whether it is ticked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record
from store.models import Patient, Pharmacy
from store.worklist import WorklistTick


class WorklistError(ValueError):
    """A tick that cannot be recorded: the sentence says why."""


@dataclass(frozen=True)
class Tick:
    actor: str
    at: dt.datetime


def ticked(
    session: Session, pharmacy_id: int, anchors: Iterable[dt.date]
) -> dict[tuple[int, str, dt.date], Tick]:
    wanted = sorted(set(anchors))
    if not wanted:
        return {}
    rows = session.scalars(
        select(WorklistTick)
        .where(WorklistTick.pharmacy_id == pharmacy_id, WorklistTick.anchor_date.in_(wanted))
        .order_by(WorklistTick.id)
    )
    ticks: dict[tuple[int, str, dt.date], Tick] = {}
    for row in rows:  # the latest row for each prescription says whether it is ticked
        key = (row.patient_id, row.rx_number, row.anchor_date)
        if row.undone:
            ticks.pop(key, None)
        else:
            ticks[key] = Tick(row.actor, row.created_at)
    return ticks


def tick(
    session: Session,
    pharmacy: Pharmacy,
    patient: Patient,
    rx_number: str,
    anchor_date: dt.date,
    pickup_date: dt.date,
    actor: str,
    now: dt.datetime,
    undo: bool = False,
    listed: Collection[str] | None = None,
) -> bool:
    """Record that `actor` ticked (or un-ticked) one prescription of one pickup, with an audit
    row; False when it was so already (nothing written). `listed`: the prescriptions on the
    list for that pickup; a tick of another one (a PRN inhaler, a Schedule II, a medicine with
    supply left) is refused, while taking a tick back stays possible."""
    if patient.pharmacy_id != pharmacy.id:
        raise WorklistError("That patient is not at this pharmacy.")
    if rx_number not in {rx.rx_number for rx in patient.prescriptions}:
        raise WorklistError(f"{patient.external_id} has no prescription {rx_number}.")
    if listed is not None and not undo and rx_number not in listed:
        raise WorklistError(
            f"{rx_number} is not one of {patient.external_id}'s fills for the pickup on "
            f"{pickup_date:%b %d, %Y}."
        )
    current = ticked(session, pharmacy.id, [anchor_date]).get((patient.id, rx_number, anchor_date))
    if (current is None) == undo:
        return False
    session.add(
        WorklistTick(
            pharmacy_id=pharmacy.id,
            patient_id=patient.id,
            rx_number=rx_number,
            anchor_date=anchor_date,
            pickup_date=pickup_date,
            undone=undo,
            actor=actor,
            created_at=now,
        )
    )
    detail = {"rx_number": rx_number, "anchor_date": anchor_date.isoformat()}
    record(
        session,
        actor,
        "worklist.untick" if undo else "worklist.tick",
        f"patient:{patient.id}",
        now,
        before={**detail, "ticked": undo},
        after={**detail, "ticked": not undo},
    )
    return True
