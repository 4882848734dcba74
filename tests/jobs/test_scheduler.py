"""The anchor cycle with a frozen clock (DOMAIN.md example 10): anchor Dec 15 -> check-in
Dec 8 (T-7), follow-up 48 h later, call list Dec 12 (T-3), reminder Dec 14 (T-1); each once
per cycle however often the periodic job runs, and on several workers at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from bot.channels.sms import InboundText
from bot.outreach.due_report import DueReport
from bot.outreach.scheduler import Scheduler
from bot.outreach.worker import WorkerContext, enqueue_scheduler_tick
from bot.program import preferences
from store.db import transaction
from store.models import (
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    Message,
    MessageStatus,
    Patient,
    ReviewItem,
    ReviewKind,
)
from store.outreach import CycleEvent
from tests.jobs.conftest import World, burst

ANCHOR = dt.date(2026, 12, 15)


def at_ten_in_new_york(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=dt.UTC)


def enroll(
    world: World, external_id: str = "P1001", cycle: str = "monthly", anchor: dt.date = ANCHOR
) -> None:
    patient = world.patient(external_id)
    with transaction(world.sessions) as session:
        session.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=anchor.day,
                cycle=cycle,
                next_anchor_date=anchor,
                updated_at=world.clock.now(),
            )
        )


def tick(world: World, times: int = 1) -> DueReport:
    scheduler = Scheduler(world.sessions, world.runtime(), world.clock, world.settings)
    jobs = world.jobs()
    report = scheduler.run(jobs)
    for _ in range(times - 1):
        again = scheduler.run(jobs)
        assert again.to_send == [] and again.summary() == DueReport().summary()
    return report


def bodies(world: World) -> list[str]:
    return [r.form["Body"] for r in world.fake.accepted_messages]


def count(world: World, model: type) -> int:
    with transaction(world.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def answer(world: World, *texts: str) -> None:
    runtime = world.runtime()
    for n, text in enumerate(texts):
        runtime.handle_text(
            InboundText(
                f"SM{world.clock.now():%j%H%M}{n:027d}", "+12125550123", "+12125550100", text
            )
        )


def test_the_whole_cycle_without_an_answer(world: World) -> None:
    enroll(world)
    assert tick(world, times=3).to_send == []  # Nov 29: too early

    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))  # T-7
    report = tick(world, times=3)
    assert report.check_ins == 1
    assert len(bodies(world)) == 1
    assert bodies(world)[0].startswith("Hi Margaret, it's Main Street Pharmacy with your check-in")
    assert "Reply STOP to opt out." in bodies(world)[0]

    world.clock.advance(hours=47)
    assert tick(world).follow_ups == 0
    world.clock.advance(hours=1)  # 48 h without an answer
    assert tick(world, times=3).follow_ups == 1
    assert bodies(world)[1].startswith(
        "Hi Margaret, Main Street Pharmacy still needs a few answers"
    )

    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 12))  # T-3
    assert tick(world, times=3).call_list == 1
    with transaction(world.sessions) as session:
        # The check-in also raised Metformin's renewal task; the call list is one item.
        kinds = sorted(k.value for k in session.scalars(select(ReviewItem.kind)))
        assert kinds == ["no_answer", "renewal"]
        [item] = session.scalars(
            select(ReviewItem).where(ReviewItem.kind == ReviewKind.NO_ANSWER)
        ).all()
        assert item.summary == (
            "No answer to the check-in before the pickup on Tuesday, December 15, 2026. "
            "Please call the patient."
        )
        check_in = session.scalar(select(CheckIn))
        assert check_in is not None and check_in.status == CheckInStatus.NO_ANSWER

    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))  # T-1: nothing is ready
    assert tick(world).reminders == 0
    assert len(bodies(world)) == 2
    assert count(world, CycleEvent) == 3


def test_a_clear_check_in_gets_one_pickup_reminder_the_day_before(world: World) -> None:
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes")
    with transaction(world.sessions) as session:
        check_in = session.scalar(select(CheckIn))
        assert check_in is not None and check_in.status == CheckInStatus.READY
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 10))
    assert tick(world).follow_ups == 0  # answered: no follow-up
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 12))
    assert tick(world).call_list == 0
    assert world.close_renewals() == 1  # Metformin's renewal (the demo's): the doctor answered
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))
    assert tick(world, times=3).reminders == 1
    assert bodies(world)[-1] == (
        "Reminder from Main Street Pharmacy: your medicines will be ready for pickup on "
        "Tuesday, December 15, 2026. Reply STOP to opt out."
    )
    assert len(bodies(world)) == 2


def test_the_reminder_does_not_say_ready_while_a_renewal_of_the_pickup_is_pending(
    world: World,
) -> None:
    """The check-in raised Metformin's renewal for Dec 15 and staff have not closed it by T-1:
    the reminder gives the day and says one prescription waits on the doctor, naming none."""
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes")
    with transaction(world.sessions) as session:
        [item] = session.scalars(select(ReviewItem)).all()
        assert item.kind == ReviewKind.RENEWAL and item.details["anchor_date"] == "2026-12-15"
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))
    assert tick(world, times=3).reminders == 1
    assert bodies(world)[-1] == (
        "Reminder from Main Street Pharmacy: your pickup is on Tuesday, December 15, 2026. One "
        "of your prescriptions needs a new order from your doctor; we are asking for it and "
        "will let you know. Reply STOP to opt out."
    )
    assert "ready" not in bodies(world)[-1] and "metformin" not in bodies(world)[-1].lower()
    assert len(bodies(world)) == 2


def test_a_renewal_pending_for_another_pickup_leaves_the_reminder_ready(world: World) -> None:
    """Only a renewal for this pickup changes the reminder: one asked for next month's does
    not (the item's anchor date is what counts)."""
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes")
    with transaction(world.sessions) as session:
        [item] = session.scalars(select(ReviewItem)).all()
        item.details = {**item.details, "anchor_date": "2027-01-15"}
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))
    assert tick(world).reminders == 1
    assert bodies(world)[-1].startswith(
        "Reminder from Main Street Pharmacy: your medicines will be ready for pickup on "
        "Tuesday, December 15, 2026."
    )


def test_texts_due_at_night_wait_for_the_morning(world: World) -> None:
    enroll(world)
    world.clock.at = dt.datetime(2026, 12, 8, 5, 5, tzinfo=dt.UTC)  # 00:05 in New York
    report = tick(world)
    assert report.check_ins == 1 and world.fake.messages == []
    with transaction(world.sessions) as session:
        message = session.scalar(select(Message).where(Message.status == MessageStatus.QUEUED))
        assert message is not None
        assert message.deferred_until == dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.UTC)
    # On the embedded default the periodic job's sweep sends it once its time has come.
    world.clock.at = dt.datetime(2026, 12, 8, 13, 5, tzinfo=dt.UTC)
    assert tick(world).resent == 1
    assert len(world.fake.accepted_messages) == 1
    assert tick(world).resent == 0


def test_landlines_and_opted_out_patients_go_to_the_call_list(world: World) -> None:
    enroll(world, "P1005")  # Dorothy: landline
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    assert world.fake.messages == []
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 12))
    assert tick(world, times=2).call_list == 1
    with transaction(world.sessions) as session:
        [item] = session.scalars(select(ReviewItem)).all()
        assert item.summary.startswith("No check-in could be sent by text")


@pytest.mark.parametrize(
    ("cycle", "anchor", "following"),
    [
        ("monthly", dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
        ("28_day", dt.date(2026, 12, 15), dt.date(2027, 1, 12)),
        ("90_day", dt.date(2026, 12, 15), dt.date(2027, 3, 15)),
    ],
)
def test_after_the_pickup_the_next_cycle_begins(
    world: World, cycle: str, anchor: dt.date, following: dt.date
) -> None:
    enroll(world, cycle=cycle, anchor=anchor)
    world.clock.at = at_ten_in_new_york(anchor + dt.timedelta(days=1))
    assert tick(world, times=2).anchors_moved == 1
    with transaction(world.sessions) as session:
        enrollment = session.scalar(select(Enrollment))
        assert enrollment is not None and enrollment.next_anchor_date == following
    # The new cycle gets its own check-in seven days before.
    world.clock.at = at_ten_in_new_york(following - dt.timedelta(days=7))
    assert tick(world).check_ins == 1


def test_concurrent_runs_do_each_thing_once(world: World) -> None:
    for external_id in ("P1001", "P1002", "P1003", "P1004"):
        enroll(world, external_id)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    world.settings.cap_per_day = 5
    start = threading.Barrier(4)
    reports: list[DueReport] = []

    def run() -> None:
        scheduler = Scheduler(world.sessions, world.runtime(), world.clock, world.settings)
        start.wait()
        reports.append(scheduler.run(world.jobs()))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.check_ins for r in reports) == 4
    assert count(world, CheckIn) == 4
    sent_to = sorted(r.form["To"] for r in world.fake.accepted_messages)
    assert len(sent_to) == len(set(sent_to)) == 4 - 1  # Wei's 07:00 in San Francisco waits


def test_the_periodic_job_runs_on_an_rq_worker(world: World, context: WorkerContext) -> None:
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    assert enqueue_scheduler_tick(context.connection, context.outreach, 7000.0)
    burst(context)  # runs the scheduler, which enqueues the check-in's send, which runs too
    assert len(world.fake.accepted_messages) == 1
    assert "check-in" in world.fake.accepted_messages[0].form["Body"]


def test_the_periodic_job_places_a_check_in_call_for_a_landline(
    world: World, context: WorkerContext
) -> None:
    """Dorothy (P1005) has only a landline: the same tick that texts others calls her."""
    enroll(world, "P1005")
    context.settings = context.settings.model_copy(
        update={
            "sender": "twilio",
            "twilio_account_sid": "AC" + "7" * 32,
            "twilio_auth_token": "fake-token",
            "twilio_api_url": world.fake.url,
        }
    )
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    assert enqueue_scheduler_tick(context.connection, context.outreach, 9000.0)
    burst(context)
    assert world.fake.accepted_messages == []
    (call,) = world.fake.calls
    assert call.form["To"] == "+16175550122"
    assert call.form["MachineDetection"]
    assert call.form["Url"].startswith(context.settings.public_url or "")
    assert enqueue_scheduler_tick(context.connection, context.outreach, 9000.0) is False


def test_the_first_cycle_checks_in_before_the_first_synced_pickup_only(world: World) -> None:
    """Margaret chose the 2nd on Nov 29: her plan visits Nov 29, Dec 2 and Dec 10 for short
    fills and a first anchor before every medicine joins, then Jan 2, 2027 with all of them,
    the anchor her enrollment keeps. The visits are prepared from the worklist; the one
    check-in of the first cycle is for Jan 2 (T-7: Dec 26), and no text names a visit day."""
    synced = dt.date(2027, 1, 2)
    enroll(world, anchor=synced)
    day = dt.date(2026, 11, 29)
    opened: list[dt.date] = []
    while day < synced:
        world.clock.at = at_ten_in_new_york(day)
        if tick(world).check_ins:
            opened.append(day)
        day += dt.timedelta(days=1)
    assert opened == [dt.date(2026, 12, 26)]
    with transaction(world.sessions) as session:
        events = session.execute(select(CycleEvent.anchor_date, CycleEvent.kind)).all()
        assert {a for a, _ in events} == {synced}
        assert session.scalars(select(Enrollment.next_anchor_date)).one() == synced
    assert len(bodies(world)) >= 1 and all("December 2," not in b for b in bodies(world))


def test_a_new_pickup_day_has_its_visits_until_its_synced_pickup_passes(world: World) -> None:
    """Dorothy, in sync on the 20th (the Nov 20 pickup behind her), moves to the 9th on Nov 29:
    the scheduler runs every day to mid-February. The prep-day worklist lists the new plan's
    short fills (visits Dec 6, Dec 9, Dec 18) and then only her synced pickups (Jan 9, Feb 9):
    moving her anchor on keeps the day her plan was made, so no visit comes back."""
    from bot.program import worklist as work
    from bot.program.pickup_day import set_pickup_day
    from bot.program.plans import first_synced_pickup
    from store.dispensing import CycleState, PickupCycle
    from store.models import Patient, Pharmacy

    dorothy = world.patient("P1005")
    changed_on = dt.date(2026, 11, 29)
    with transaction(world.sessions) as session:
        enrollment = Enrollment(
            patient_id=dorothy.id,
            status=EnrollmentStatus.ACTIVE,
            anchor_day=20,
            cycle="monthly",
            next_anchor_date=dt.date(2026, 12, 20),
            updated_at=world.clock.now(),
            planned_on=dt.date(2026, 9, 1),
        )
        session.add(enrollment)
        session.add(
            PickupCycle(
                patient_id=dorothy.id,
                anchor_date=dt.date(2026, 11, 20),
                state=CycleState.PICKED_UP.value,
                updated_at=world.clock.now(),
            )
        )
        patient = session.get(Patient, dorothy.id)
        assert patient is not None
        first = first_synced_pickup(patient, 9, changed_on).pickup.planned
        set_pickup_day(enrollment, 9, first, changed_on)
    assert first == dt.date(2027, 1, 9)
    listed: dict[dt.date, list[tuple[str, dt.date]]] = {}
    day = changed_on
    while day <= dt.date(2027, 2, 12):
        world.clock.at = at_ten_in_new_york(day)
        tick(world)
        with transaction(world.sessions) as session:
            pharmacy = session.scalars(select(Pharmacy)).first()
            assert pharmacy is not None
            mine = [
                (p.trip, p.pickup_date)
                for d in work.worklist(session, pharmacy, day).days
                for p in d.patients
                if p.external_id == "P1005"
            ]
        if mine:
            listed[day] = mine
        day += dt.timedelta(days=1)
    assert listed == {
        dt.date(2026, 12, 3): [("sync visit", dt.date(2026, 12, 6))],
        dt.date(2026, 12, 6): [("sync visit", dt.date(2026, 12, 9))],
        dt.date(2026, 12, 15): [("sync visit", dt.date(2026, 12, 18))],
        dt.date(2027, 1, 6): [("synced pickup", dt.date(2027, 1, 9))],
        dt.date(2027, 2, 6): [("synced pickup", dt.date(2027, 2, 9))],
    }
    with transaction(world.sessions) as session:
        moved = session.scalars(select(Enrollment)).one()
        assert moved.next_anchor_date == dt.date(2027, 3, 9)
        assert moved.planned_on == changed_on  # the scheduler moved the anchor, not the plan
        cycles = session.scalars(select(PickupCycle.anchor_date).order_by(PickupCycle.anchor_date))
        assert list(cycles) == [dt.date(2026, 11, 20), dt.date(2027, 1, 9), dt.date(2027, 2, 9)]


def deliver_to(world: World, external_id: str = "P1001") -> None:
    """The patient chose home delivery (the delivery preference on)."""
    with transaction(world.sessions) as session:
        patient = session.get(Patient, world.patient(external_id).id)
        assert patient is not None
        preferences.change(session, patient, "delivery", "yes", "staff", world.clock.now(), "test")


@pytest.mark.parametrize("renewal_done", [True, False])
def test_a_delivery_patient_s_reminder_says_the_medicines_will_be_delivered(
    world: World, renewal_done: bool
) -> None:
    """Margaret has her medicines delivered: the T-1 text says so, for the pickup date, never
    "ready for pickup"; while Metformin's renewal is pending, that the delivery is planned for
    the day and one prescription waits on the doctor (naming none)."""
    deliver_to(world)
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes", "yes")  # the last: the address on file is right
    with transaction(world.sessions) as session:
        check_in = session.scalar(select(CheckIn))
        assert check_in is not None and check_in.status == CheckInStatus.READY
    if renewal_done:
        assert world.close_renewals() == 1
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))
    assert tick(world, times=3).reminders == 1
    if renewal_done:
        assert bodies(world)[-1] == (
            "Reminder from Main Street Pharmacy: we will deliver your medicines for your pickup "
            "date, Tuesday, December 15, 2026. Reply STOP to opt out."
        )
    else:
        assert bodies(world)[-1] == (
            "Reminder from Main Street Pharmacy: your delivery is planned for Tuesday, December "
            "15, 2026. One of your prescriptions needs a new order from your doctor; we are "
            "asking for it and will let you know. Reply STOP to opt out."
        )
    assert "ready" not in bodies(world)[-1] and "metformin" not in bodies(world)[-1].lower()
