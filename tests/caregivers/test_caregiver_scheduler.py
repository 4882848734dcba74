"""Who receives a patient's automated texts, with a frozen clock and the fake Twilio API:
the check-in and the pickup reminder go to the patient's phone and to each caregiver's; a
landline patient is reached through their caregiver; a withdrawn caregiver gets nothing; a
caregiver's phone that Twilio reports unsubscribed ends that link, not the patient's texts."""

from __future__ import annotations

import datetime as dt

from bot.channels.sms import InboundText
from bot.outreach.scheduler import Scheduler
from bot.program import caregivers
from store import caregivers as store
from store.db import transaction
from store.models import Channel, CheckIn, Enrollment, EnrollmentStatus, Message, Pharmacy
from tests.jobs.conftest import World, fake, world

__all__ = ["fake", "world"]  # the jobs fixtures, shared with tests/jobs

ANCHOR = dt.date(2026, 12, 15)
ANN = "+16175550199"
CHECK_IN_DAY = dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)  # T-7, 10:00 in New York


def enroll(world: World, external_id: str) -> None:
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


def add_ann(world: World, external_id: str) -> None:
    patient = world.patient(external_id)
    with transaction(world.sessions) as session:
        pharmacy = session.get(Pharmacy, patient.pharmacy_id)
        assert pharmacy is not None
        caregivers.add(
            session, pharmacy, session.merge(patient), ANN, "Ann", "said yes", "staff:test",
            Channel.STAFF, world.clock.now(),
        )  # fmt: skip


def tick(world: World) -> None:
    Scheduler(world.sessions, world.runtime(), world.clock, world.settings).run(world.jobs())


def sent_to(world: World, phone: str) -> list[str]:
    return [r.form["Body"] for r in world.fake.accepted_messages if r.form["To"] == phone]


def test_the_check_in_and_the_reminder_reach_the_patient_and_the_caregiver(world: World) -> None:
    enroll(world, "P1001")
    add_ann(world, "P1001")
    world.clock.at = CHECK_IN_DAY
    tick(world)
    opener = "Hi Margaret, it's Main Street Pharmacy with your check-in"
    assert [b[: len(opener)] for b in sent_to(world, "+12125550123")] == [opener]
    assert [b[: len(opener)] for b in sent_to(world, ANN)] == [opener]
    runtime = world.runtime()
    for n, text in enumerate(("no", "no", "no", "no", "yes")):
        runtime.handle_text(InboundText(f"SMann{n:029d}", ANN, "+12125550100", text))
    with transaction(world.sessions) as session:
        check_in = session.query(CheckIn).one()
        assert (check_in.status, check_in.answered_by) == ("ready", "caregiver")
    world.clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)  # T-1
    tick(world)
    assert "Main Street Pharmacy" in sent_to(world, ANN)[-1]
    assert sent_to(world, ANN)[-1] == sent_to(world, "+12125550123")[-1]  # the same reminder


def test_a_landline_patient_is_texted_through_their_caregiver_only(world: World) -> None:
    enroll(world, "P1005")  # Dorothy: a landline
    add_ann(world, "P1005")
    world.clock.at = CHECK_IN_DAY
    tick(world)
    assert sent_to(world, "+16175550122") == []
    (opener,) = sent_to(world, ANN)
    assert opener.startswith("Hi Dorothy, it's Main Street Pharmacy with your check-in")


def test_a_withdrawn_caregiver_gets_nothing_and_a_queued_text_is_suppressed(world: World) -> None:
    enroll(world, "P1001")
    add_ann(world, "P1001")
    world.clock.at = CHECK_IN_DAY
    runtime = world.runtime()
    opened = runtime.open_check_in(1, "P1001", ANCHOR)
    assert opened is not None and len(opened.others) == 1
    patient = world.patient("P1001")
    with transaction(world.sessions) as session:
        pharmacy = session.get(Pharmacy, patient.pharmacy_id)
        assert pharmacy is not None
        caregivers.remove(
            session, pharmacy, session.merge(patient), ANN, "patient called", "staff:test",
            Channel.STAFF, world.clock.now(),
        )  # fmt: skip
    delivery = world.deliver(opened.others[0])
    assert delivery.outcome == "suppressed"
    assert world.message(opened.others[0]).error == (
        "The caregiver's permission was withdrawn, or their phone opted out."
    )


def test_twilio_reporting_the_caregivers_phone_unsubscribed_ends_only_that_link(
    world: World,
) -> None:
    enroll(world, "P1001")
    add_ann(world, "P1001")
    world.fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    with transaction(world.sessions) as session:
        welcome = session.query(Message).filter(Message.phone == ANN).one()
        welcome_id = welcome.id
    world.deliver(welcome_id)
    patient = world.patient("P1001")
    assert not patient.opted_out
    with transaction(world.sessions) as session:
        assert store.caregivers_of(session, patient.id) == []
        assert store.phone_opted_out(session, patient.pharmacy_id, ANN)


def test_a_caregiver_added_by_text_gets_the_first_text_from_the_next_sweep(world: World) -> None:
    enroll(world, "P1001")
    runtime = world.runtime()
    for n, text in enumerate(("CAREGIVER", "617 555 0199", "yes")):
        runtime.handle_text(
            InboundText(f"SMmargaret{n:024d}", "+12125550123", "+12125550100", text)
        )
    assert sent_to(world, ANN) == []  # written in the webhook's transaction, sent after it
    world.clock.advance(minutes=3)
    tick(world)
    (welcome,) = sent_to(world, ANN)
    assert welcome.startswith("Hi, Main Street Pharmacy here. Margaret added this number")
