"""Pickup cycles over the store: each anchor of an active enrollment, and whether its fills
were collected (dialogs/plan/pickups.py does the judging).

- `open_cycles`: an anchor that has passed becomes an open cycle (before the scheduler moves
  the enrollment on to its next anchor);
- `due_for_judging`: open cycles whose grace days (`not_picked_up_days`) have run out;
- `judge`: the state a cycle is in now, written on its row;
- `recheck`: after dispensing events, cycles already judged are looked at again: a late pickup
  closes one, a reversed or returned fill reopens a picked-up one (judged again on the next
  tick);
- `missed_in_a_row`: how many of the patient's last judged cycles were not picked up.

A pharmacy is judged only from the first pickup it reported (its system may not send pickups:
then no cycle is ever "not picked up" for want of data).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.program.plans import program_from
from dialogs.plan.model import ProgramSettings
from dialogs.plan.pickups import NOT_PICKED_UP, FillSeen, cycle_state, window
from store.dispensing import CycleState, DispensingEvent, EventKind, PickupCycle
from store.fills import Fill
from store.models import Enrollment, EnrollmentStatus, Patient, Pharmacy

LONGEST_GRACE = 14  # ProgramSettings caps not_picked_up_days here


def settings_of(pharmacy: Pharmacy) -> ProgramSettings:
    return program_from(pharmacy.state, dict(pharmacy.program or {}))


def tracked_since(session: Session, pharmacy_id: int) -> dt.date | None:
    """The first day the pharmacy reported a pickup; None: it never has."""
    return session.scalar(
        select(func.min(DispensingEvent.occurred_on)).where(
            DispensingEvent.pharmacy_id == pharmacy_id,
            DispensingEvent.kind == EventKind.PICKED_UP.value,
        )
    )


def open_cycles(session: Session, pharmacy_id: int, today: dt.date, now: dt.datetime) -> int:
    """Every active enrollment whose anchor has passed gets its open cycle (once)."""
    chosen = (
        select(
            Enrollment.patient_id,
            Enrollment.next_anchor_date,
            literal(CycleState.OPEN.value, PickupCycle.state.type),
            literal(now, PickupCycle.updated_at.type),
        )
        .join(Patient, Patient.id == Enrollment.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy_id,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            Enrollment.next_anchor_date < today,
        )
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(PickupCycle)
        .from_select(["patient_id", "anchor_date", "state", "updated_at"], chosen)
        .on_conflict_do_nothing()
    )
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def due_for_judging(
    session: Session, pharmacy: Pharmacy, today: dt.date
) -> list[tuple[int, int, dt.date]]:
    """(cycle id, patient id, anchor) of open cycles past their grace days."""
    since = tracked_since(session, pharmacy.id)
    if since is None:
        return []
    grace = settings_of(pharmacy).not_picked_up_days
    rows = session.execute(
        select(PickupCycle.id, PickupCycle.patient_id, PickupCycle.anchor_date)
        .join(Patient, Patient.id == PickupCycle.patient_id)
        .where(
            Patient.pharmacy_id == pharmacy.id,
            PickupCycle.state == CycleState.OPEN.value,
            PickupCycle.anchor_date < today - dt.timedelta(days=grace),
            PickupCycle.anchor_date >= since - dt.timedelta(days=grace),
        )
        .order_by(PickupCycle.anchor_date, PickupCycle.id)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def fills_of(
    session: Session, patient_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, list[FillSeen]]:
    """Each patient's fills prepared or picked up from `start` to `end`."""
    found: dict[int, list[FillSeen]] = defaultdict(list)
    ids = sorted(set(patient_ids))
    if not ids:
        return found
    query = select(
        Fill.patient_id, Fill.rx_number, Fill.fill_date, Fill.state, Fill.picked_up_on
    ).where(
        Fill.patient_id.in_(ids),
        (Fill.fill_date.between(start, end)) | (Fill.picked_up_on.between(start, end)),
    )
    for pid, rx, date, state, picked in session.execute(query):
        found[pid].append(FillSeen(rx, date, state, picked))
    return found


def state_now(session: Session, pharmacy: Pharmacy, patient_id: int, anchor: dt.date) -> str:
    grace = settings_of(pharmacy).not_picked_up_days
    start, end = window(anchor, grace)
    return cycle_state(anchor, fills_of(session, [patient_id], start, end)[patient_id], grace)


def judge(
    session: Session,
    pharmacy: Pharmacy,
    cycle_id: int,
    patient_id: int,
    anchor: dt.date,
    now: dt.datetime,
) -> str | None:
    """Write the cycle's state; None when another worker judged it first."""
    state = state_now(session, pharmacy, patient_id, anchor)
    done = session.execute(
        update(PickupCycle)
        .where(PickupCycle.id == cycle_id, PickupCycle.state == CycleState.OPEN.value)
        .values(state=state, judged_at=now, updated_at=now)
    )
    return state if getattr(done, "rowcount", 0) else None


def missed_in_a_row(session: Session, patient_id: int) -> int:
    """How many of the patient's latest judged cycles in a row were not picked up."""
    states = session.scalars(
        select(PickupCycle.state)
        .where(PickupCycle.patient_id == patient_id, PickupCycle.judged_at.is_not(None))
        .order_by(PickupCycle.anchor_date.desc())
        .limit(60)
    )
    missed = 0
    for state in states:
        if state != NOT_PICKED_UP:
            break
        missed += 1
    return missed


def recheck(
    session: Session, pharmacy: Pharmacy, patient_ids: Iterable[int], now: dt.datetime
) -> int:
    """Look again at the judged cycles of `patient_ids` after new dispensing events; how many
    changed. A cycle that was picked up (or partly) and no longer is goes back to open."""
    grace = settings_of(pharmacy).not_picked_up_days
    ids = sorted(set(patient_ids))
    cycles: list[Any] = []
    for start in range(0, len(ids), 1000):
        cycles.extend(
            session.execute(
                select(
                    PickupCycle.id,
                    PickupCycle.patient_id,
                    PickupCycle.anchor_date,
                    PickupCycle.state,
                ).where(
                    PickupCycle.patient_id.in_(ids[start : start + 1000]),
                    PickupCycle.judged_at.is_not(None),
                )
            ).all()
        )
    if not cycles:
        return 0
    first = min(c[2] for c in cycles) - dt.timedelta(days=7)
    last = max(c[2] for c in cycles) + dt.timedelta(days=LONGEST_GRACE)
    fills = fills_of(session, {c[1] for c in cycles}, first, last)
    changed = 0
    for cycle_id, patient_id, anchor, old in cycles:
        new = cycle_state(anchor, fills.get(patient_id, []), grace)
        if new == old:
            continue
        values: dict[str, object] = {"state": new, "updated_at": now}
        if new == NOT_PICKED_UP:  # reopened: judged again on the next tick
            values = {"state": CycleState.OPEN.value, "judged_at": None, "updated_at": now}
        session.execute(update(PickupCycle).where(PickupCycle.id == cycle_id).values(**values))
        changed += 1
    return changed


def cycles_of(session: Session, patient_id: int, limit: int = 12) -> list[PickupCycle]:
    """The patient's latest cycles, newest first (the patient page)."""
    return list(
        session.scalars(
            select(PickupCycle)
            .where(PickupCycle.patient_id == patient_id)
            .order_by(PickupCycle.anchor_date.desc())
            .limit(limit)
        )
    )
