"""Two months of a sync program with a frozen clock (issue 16), on SQLite and PostgreSQL:
enroll, check-in, dispensing events on prep day, pickups, the next cycle. Margaret (P1001)
picks up; Robert (P1004) never does and drops out after the program's two missed cycles; a
reversed fill reopens a cycle that was picked up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.imports.fills import import_fills
from dialogs import prompts
from store.db import transaction
from store.dispensing import PickupCycle
from store.models import (
    AuditEvent,
    Enrollment,
    EnrollmentStatus,
    Message,
    Pharmacy,
    ReviewItem,
    ReviewKind,
)
from store.outreach import CycleEvent
from tests.jobs.conftest import World
from tests.jobs.test_scheduler import answer, at_ten_in_new_york, enroll, tick

HEADER = "patient_id,rx_number,fill_date,days_supply,quantity,event,event_id,event_date\n"
MARGARET = ("RX700101", "RX700102", "RX700103")
ROBERT = ("RX700401", "RX700402")


def events(world: World, *rows: str) -> str:
    with transaction(world.sessions) as session:
        pharmacy = session.scalars(select(Pharmacy)).one()
        report = import_fills(session, pharmacy, [HEADER, *rows], world.clock.now())
        assert not report.errors, report.summary()
        return report.summary()


def prepared(patient: str, rxs: tuple[str, ...], day: dt.date) -> list[str]:
    return [f"{patient},{rx},{day},30,30,dispensed,{patient}-{rx}-{day}-d,\n" for rx in rxs]


def picked_up(patient: str, rxs: tuple[str, ...], filled: dt.date, on: dt.date) -> list[str]:
    return [f"{patient},{rx},{filled},,,picked_up,{patient}-{rx}-{filled}-p,{on}\n" for rx in rxs]


def run_days(world: World, first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        world.clock.at = at_ten_in_new_york(day)
        tick(world)
        day += dt.timedelta(days=1)


def cycles(world: World, patient: str) -> list[tuple[str, str]]:
    pid = world.patient(patient).id
    with transaction(world.sessions) as session:
        rows = session.scalars(
            select(PickupCycle)
            .where(PickupCycle.patient_id == pid)
            .order_by(PickupCycle.anchor_date)
        )
        return [(c.anchor_date.isoformat(), c.state) for c in rows]


def items(world: World, patient: str) -> list[ReviewKind]:
    pid = world.patient(patient).id
    with transaction(world.sessions) as session:
        found = session.scalars(
            select(ReviewItem.kind)
            .where(
                ReviewItem.patient_id == pid,
                ReviewItem.kind.in_((ReviewKind.NOT_PICKED_UP, ReviewKind.DROPPED_OUT)),
            )
            .order_by(ReviewItem.id)
        )
        return list(found)


def texts(world: World, patient: str, kind: str) -> list[Message]:
    pid = world.patient(patient).id
    with transaction(world.sessions) as session:
        return list(
            session.scalars(
                select(Message).where(
                    Message.patient_id == pid, Message.idempotency_key.like(f"pickup:%:{kind}")
                )
            )
        )


def test_two_months_picked_up_dropped_out_and_reopened(world: World) -> None:
    with transaction(world.sessions) as session:
        session.scalars(select(Pharmacy)).one().program = {
            "dropout_cycles": 2,
            "not_picked_up_days": 5,
        }
    enroll(world, "P1001")
    enroll(world, "P1004")
    dec15, jan15 = dt.date(2026, 12, 15), dt.date(2027, 1, 15)

    # December: check-in at T-7, answered all clear; fills on prep day; Margaret picks up.
    run_days(world, dt.date(2026, 11, 29), dt.date(2026, 12, 8))
    answer(world, "no", "no", "no", "no", "yes")
    run_days(world, dt.date(2026, 12, 9), dt.date(2026, 12, 12))  # a fill is not dated ahead
    events(world, *prepared("P1001", MARGARET, dt.date(2026, 12, 12)))
    events(world, *prepared("P1004", ROBERT, dt.date(2026, 12, 12)))
    run_days(world, dt.date(2026, 12, 13), dt.date(2026, 12, 15))
    events(world, *picked_up("P1001", MARGARET, dt.date(2026, 12, 12), dec15))
    run_days(world, dt.date(2026, 12, 16), dt.date(2026, 12, 20))
    assert cycles(world, "P1001") == [("2026-12-15", "open")]  # grace days not over
    run_days(world, dt.date(2026, 12, 21), dt.date(2026, 12, 21))
    assert cycles(world, "P1001") == [("2026-12-15", "picked_up")]
    assert cycles(world, "P1004") == [("2026-12-15", "not_picked_up")]
    assert items(world, "P1001") == []
    assert items(world, "P1004") == [ReviewKind.NOT_PICKED_UP]
    (reminder,) = texts(world, "P1004", "not_picked_up")
    assert "Simvastatin" not in reminder.body and "Hydrochlorothiazide" not in reminder.body
    tick(world)  # once per cycle however often the scheduler runs
    assert items(world, "P1004") == [ReviewKind.NOT_PICKED_UP]

    # January: the next cycle. Margaret picks up again; Robert misses a second time.
    run_days(world, dt.date(2026, 12, 22), dt.date(2027, 1, 12))
    events(world, *prepared("P1001", MARGARET, dt.date(2027, 1, 12)))
    events(world, *prepared("P1004", ROBERT, dt.date(2027, 1, 12)))
    run_days(world, dt.date(2027, 1, 13), dt.date(2027, 1, 14))  # a pickup is not dated ahead
    events(world, *picked_up("P1001", MARGARET, dt.date(2027, 1, 12), dt.date(2027, 1, 14)))
    run_days(world, dt.date(2027, 1, 15), dt.date(2027, 1, 21))
    assert cycles(world, "P1001") == [("2026-12-15", "picked_up"), ("2027-01-15", "picked_up")]
    assert cycles(world, "P1004") == [
        ("2026-12-15", "not_picked_up"),
        ("2027-01-15", "not_picked_up"),
    ]
    robert = world.patient("P1004").id
    with transaction(world.sessions) as session:
        enrollment = session.scalars(
            select(Enrollment).where(Enrollment.patient_id == robert)
        ).one()
        assert enrollment.status == EnrollmentStatus.DISENROLLED
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "disenroll_missed_cycles")
        ).one()
        assert audit.subject == f"patient:{robert}" and audit.after is not None
        assert audit.after["missed_in_a_row"] == 2
        dropped = session.scalars(
            select(CycleEvent).where(
                CycleEvent.patient_id == robert, CycleEvent.kind == "dropped_out"
            )
        ).one()
        assert dropped.anchor_date == jan15
    assert items(world, "P1004") == [ReviewKind.NOT_PICKED_UP, ReviewKind.DROPPED_OUT]
    (note,) = texts(world, "P1004", "pickups_stopped")
    assert texts(world, "P1004", "not_picked_up")[0].id != note.id
    assert len(texts(world, "P1004", "not_picked_up")) == 1  # the note, not a second reminder
    # Margaret's enrollment goes on; Robert, disenrolled, gets no February cycle.
    run_days(world, dt.date(2027, 2, 16), dt.date(2027, 2, 16))
    assert [c[0] for c in cycles(world, "P1004")] == ["2026-12-15", "2027-01-15"]
    assert cycles(world, "P1001")[-1] == ("2027-02-15", "open")

    # The January claims are reversed: the cycle reopens and is judged again, not picked up.
    reversal = [
        f"P1001,{rx},2027-01-12,,,reversed,P1001-{rx}-jan-r,2027-02-16\n" for rx in MARGARET
    ]
    summary = events(world, *reversal)
    assert "1 pickup cycle changed by these events." in summary
    assert cycles(world, "P1001")[1] == ("2027-01-15", "open")
    tick(world)
    assert cycles(world, "P1001")[1] == ("2027-01-15", "not_picked_up")
    assert items(world, "P1001") == [ReviewKind.NOT_PICKED_UP]
    (reminder,) = texts(world, "P1001", "not_picked_up")
    assert reminder.body.startswith(
        prompts.NOT_PICKED_UP.split(":")[0] % {"pharmacy": "Main Street Pharmacy"}
    )
    assert "Jan 15" in reminder.body or "January 15" in reminder.body
    assert "Lisinopril" not in reminder.body
