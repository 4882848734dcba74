"""Preferences where messages go out: the time of day inside the legal hours, calls instead
of check-in texts, and medicine names in reminders only for patients who opted in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.channels.sms import InboundText
from bot.outreach.call_placing import CallPlacer
from bot.outreach.scheduler import Scheduler
from bot.outreach.sending_rules import Window, next_preferred, with_preferred_time
from bot.program import preferences
from store.calls import Call, CallPurpose
from store.db import transaction
from store.models import Enrollment, EnrollmentStatus, Message, Patient
from store.outreach import CycleEvent
from tests.jobs.conftest import World
from tests.preferences.conftest import ANCHOR, at_ten_in_new_york

NEW_YORK = "America/New_York"
LEGAL = [Window(NEW_YORK, dt.time(8), dt.time(21))]
TEN_AM = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


def utc(hour: int, day: int = 29) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)


def test_the_preferred_part_of_the_day_narrows_the_legal_hours() -> None:
    assert next_preferred(TEN_AM, LEGAL, None) == TEN_AM
    assert next_preferred(TEN_AM, LEGAL, "morning") == TEN_AM
    assert next_preferred(TEN_AM, LEGAL, "afternoon") == utc(17)  # noon in New York
    assert next_preferred(TEN_AM, LEGAL, "evening") == utc(22)  # 17:00 in New York
    late = utc(0, day=30)  # 19:00 on the 29th in New York: tomorrow morning
    assert next_preferred(late, LEGAL, "morning") == utc(13, day=30)


def test_the_preference_never_widens_the_legal_hours() -> None:
    florida = [Window(NEW_YORK, dt.time(8), dt.time(20))]  # ends at 20:00 by law
    [_, evening] = with_preferred_time(florida, "evening")
    assert (evening.start, evening.end) == (dt.time(17), dt.time(20))
    nine_pm = utc(2, day=30)  # 21:00 in New York: past both
    assert next_preferred(nine_pm, florida, "evening") == utc(22, day=30)
    # No room left: the legal hours alone.
    narrow = [Window(NEW_YORK, dt.time(8), dt.time(11))]
    assert with_preferred_time(narrow, "evening") == narrow
    assert with_preferred_time(LEGAL, "sometime") == LEGAL


def set_pref(world: World, external_id: str, name: str, value: str) -> None:
    with transaction(world.sessions) as session:
        patient = session.scalars(select(Patient).where(Patient.external_id == external_id)).one()
        preferences.change(session, patient, name, value, "staff", world.clock.now(), "test")


def test_an_automated_text_waits_for_the_afternoon(world: World) -> None:
    set_pref(world, "P1001", "time", "afternoon")
    message_id = world.queue_text("P1001")
    delivery = world.deliver(message_id)
    assert delivery.outcome == "deferred"
    assert delivery.at == utc(17)
    assert world.fake.accepted_messages == []
    world.clock.at = utc(17)
    assert world.deliver(message_id).outcome == "sent"


def test_without_a_preference_it_goes_now(world: World) -> None:
    assert world.deliver(world.queue_text("P1001")).outcome == "sent"


def enroll(world: World, external_id: str = "P1001") -> None:
    patient = world.patient(external_id)
    with transaction(world.sessions) as session:
        session.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=ANCHOR.day,
                cycle="monthly",
                next_anchor_date=ANCHOR,
                updated_at=world.clock.now(),
            )
        )


def tick(world: World) -> None:
    Scheduler(world.sessions, world.runtime(), world.clock, world.settings).run(world.jobs())


def test_a_patient_who_prefers_calls_gets_the_check_in_by_phone(world: World) -> None:
    enroll(world)
    set_pref(world, "P1001", "channel", "call")
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))  # T-7
    tick(world)
    assert world.fake.accepted_messages == []  # no check-in text
    with transaction(world.sessions) as session:
        event = session.scalars(select(CycleEvent)).one()
        assert event.message_id is None
    scheduled = CallPlacer(world.sessions, world.clock, outreach=world.settings)
    [call] = scheduled.schedule_check_in_calls()
    with transaction(world.sessions) as session:
        row = session.get(Call, call.call_id)
        assert row is not None and row.purpose == CallPurpose.CHECK_IN
        assert row.anchor_date == ANCHOR


def test_a_call_waits_for_the_preferred_time_too(world: World) -> None:
    enroll(world)
    set_pref(world, "P1001", "channel", "call")
    set_pref(world, "P1001", "time", "evening")
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    [call] = CallPlacer(
        world.sessions, world.clock, outreach=world.settings
    ).schedule_check_in_calls()
    assert call.at == dt.datetime(2026, 12, 8, 22, 0, tzinfo=dt.UTC)  # 17:00 in New York


def reminder(world: World, renewal_done: bool = True, delivery: bool = False) -> str:
    """Margaret's reminder text; her check-in raises Metformin's renewal for the pickup, which
    staff have closed by T-1 unless `renewal_done` is False. With `delivery` she has her
    medicines delivered (the check-in then asks whether the address on file is right: yes)."""
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    runtime = world.runtime()
    answers = ("no", "no", "no", "no", "yes") + (("yes",) if delivery else ())
    for n, text in enumerate(answers):
        runtime.handle_text(InboundText(f"SMpref{n:028d}", "+12125550123", "+12125550100", text))
    if renewal_done:
        assert world.close_renewals() == 1
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))
    tick(world)
    with transaction(world.sessions) as session:
        bodies = session.scalars(
            select(Message.body).where(Message.idempotency_key.like("pickup:%"))
        ).all()
    [body] = bodies
    return body


def test_an_opted_in_patient_s_reminder_names_the_medicines(world: World) -> None:
    set_pref(world, "P1001", "detailed", "yes")
    body = reminder(world)
    assert body.startswith("Reminder from Main Street Pharmacy: your Atorvastatin 40 mg tablet, ")
    assert "Lisinopril 10 mg tablet" in body and "Metformin 500 mg tablet" in body
    assert "Albuterol" not in body  # as needed: not a synced refill


def test_an_opted_in_patient_s_reminder_names_nothing_while_a_renewal_is_pending(
    world: World,
) -> None:
    """The detailed reminder would call every regular medicine ready, Metformin's waiting
    renewal included: while it is pending the reminder is the generic renewal one."""
    set_pref(world, "P1001", "detailed", "yes")
    body = reminder(world, renewal_done=False)
    assert body.startswith(
        "Reminder from Main Street Pharmacy: your pickup is on Tuesday, December 15, 2026. One "
        "of your prescriptions needs a new order from your doctor; we are asking for it and "
        "will let you know."
    )
    for drug in ("atorvastatin", "lisinopril", "metformin"):
        assert drug not in body.lower()


def test_an_opted_in_patient_who_has_them_delivered_gets_the_delivery_reminder(
    world: World,
) -> None:
    """The detailed reminder says "ready for pickup": to a patient who has their medicines
    delivered the reminder is the generic delivery one, naming none, opted in or not."""
    set_pref(world, "P1001", "detailed", "yes")
    set_pref(world, "P1001", "delivery", "yes")
    body = reminder(world, delivery=True)
    assert body.startswith(
        "Reminder from Main Street Pharmacy: we will deliver your medicines for your pickup "
        "date, Tuesday, December 15, 2026."
    )
    for drug in ("atorvastatin", "lisinopril", "metformin"):
        assert drug not in body.lower()


def test_a_patient_who_opted_out_again_gets_no_names(world: World) -> None:
    set_pref(world, "P1001", "detailed", "yes")
    world.clock.advance(minutes=1)
    set_pref(world, "P1001", "detailed", "no")  # the latest consent wins
    body = reminder(world)
    assert body.startswith("Reminder from Main Street Pharmacy: your medicines will be ready")
    for drug in ("atorvastatin", "lisinopril", "metformin"):
        assert drug not in body.lower()
