"""Patients who get no texts (a landline, or calls asked for) are reminded of a ready pickup
by phone the day before, once; the call names no medicine, and a machine hears nothing about
health."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FrozenClock
from bot.outreach.call_desk import CallDesk
from bot.outreach.caller import TwilioCaller
from bot.program import preferences
from store.calls import Call, CallPurpose
from store.db import transaction
from store.models import (
    CheckIn,
    CheckInStatus,
    Enrollment,
    EnrollmentStatus,
    Patient,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from tests.fake_twilio import FakeTwilio
from tests.helpers import NOW, PUBLIC_URL
from tests.inbox.factories import renewal_item
from tests.voice.calling import PhoneCall
from tests.voice.test_outbound_calls import (  # noqa: F401  (fixtures)
    DOROTHY,
    assert_no_health_information,
    caller,
    client,
    clock,
    desk,
    drug_words,
    fake,
    sessions,
)

JOSE = "+13055550147"  # P1002, Spanish, a mobile
MARGARET = "+12125550123"  # P1001, English, a mobile
PICKUP = dt.date(2026, 12, 15)


def ready_for_pickup(
    factory: sessionmaker[Session], external_id: str, status: CheckInStatus
) -> Patient:
    with transaction(factory) as s:
        patient = s.scalars(select(Patient).where(Patient.external_id == external_id)).one()
        s.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.ACTIVE,
                anchor_day=15,
                cycle="monthly",
                next_anchor_date=PICKUP,
                updated_at=NOW,
            )
        )
        s.add(
            CheckIn(
                patient_id=patient.id,
                anchor_date=PICKUP,
                status=status,
                definition="check_in@1",
                answers={},
                flags=[],
                opened_at=NOW,
            )
        )
        s.expunge(patient)
        return patient


def test_a_ready_pickup_is_called_once_to_those_who_get_no_texts(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    ready_for_pickup(sessions, "P1005", CheckInStatus.READY)  # Dorothy: a landline
    jose = ready_for_pickup(sessions, "P1002", CheckInStatus.APPROVED)  # asked for calls
    ready_for_pickup(sessions, "P1001", CheckInStatus.READY)  # Margaret: texts, no call
    with transaction(sessions) as s:
        patient = s.get(Patient, jose.id)
        assert patient is not None
        preferences.change(s, patient, "channel", "call", "staff", NOW, changed_by="test")

    clock.at = dt.datetime(2026, 12, 13, 15, 0, tzinfo=dt.UTC)  # two days before: too early
    assert desk.run_due(caller, PUBLIC_URL) == []
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)  # the day before, 10:00 in NY
    placed = desk.run_due(caller, PUBLIC_URL)
    assert sorted(placed) == ["call 1: placed", "call 2: placed"]
    assert desk.run_due(caller, PUBLIC_URL) == []  # once per pickup
    assert sorted(r.form["To"] for r in fake.calls) == sorted([DOROTHY, JOSE])
    with transaction(sessions) as s:
        calls = s.scalars(select(Call).order_by(Call.id)).all()
        assert {(c.purpose, c.anchor_date) for c in calls} == {(CallPurpose.REMINDER, PICKUP)}
        by_phone = {c.phone: c.id for c in calls}

    dorothy = PhoneCall(
        client, DOROTHY, sid=fake.calls[[r.form["To"] for r in fake.calls].index(DOROTHY)].sid
    )
    heard = dorothy.pick_up(by_phone[DOROTHY])
    assert heard.says[0] == (
        "Reminder from Main Street Pharmacy: your medicines will be ready for pickup on "
        "Tuesday, December 15, 2026."
    )
    assert heard.verbs[-1] == "Gather"  # then the menu: the pharmacist is one key away
    assert not {w for w in drug_words() if w in heard.text.lower()}

    jose_call = PhoneCall(
        client, JOSE, sid=fake.calls[[r.form["To"] for r in fake.calls].index(JOSE)].sid
    )
    oido = jose_call.pick_up(by_phone[JOSE])
    assert "Main Street Pharmacy" in oido.says[0] and "15 de diciembre" in oido.says[0]
    assert not {w for w in drug_words() if w in oido.text.lower()}


def test_a_reminder_call_to_a_machine_says_nothing_health_related(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    machine = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    assert_no_health_information(machine.pick_up(1, "machine_end_beep"), "Dorothy")


def test_no_reminder_call_before_the_fills_are_ready(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    ready_for_pickup(sessions, "P1005", CheckInStatus.FLAGGED)  # a pharmacist holds the fill
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert [r for r in desk.run_due(caller, PUBLIC_URL) if "reminder" in r] == []
    with transaction(sessions) as s:
        assert not s.scalars(select(Call).where(Call.purpose == CallPurpose.REMINDER)).all()


def test_a_reminder_call_comes_the_day_before_the_real_pickup_and_names_it(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    """Issue 16: the pharmacy is closed on Dec 15 (its own date), so Dorothy's pickup is Monday
    Dec 14; the reminder call goes on Dec 13 and names Dec 14."""
    from store.models import Pharmacy

    ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    with transaction(sessions) as s:
        for pharmacy in s.scalars(select(Pharmacy)):
            pharmacy.open_days = {"closed_dates": ["2026-12-15"]}
    clock.at = dt.datetime(2026, 12, 12, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == []
    clock.at = dt.datetime(2026, 12, 13, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    heard = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(1)
    assert heard.says[0] == (
        "Reminder from Main Street Pharmacy: your medicines will be ready for pickup on "
        "Monday, December 14, 2026."
    )


REMINDER_SERVICE = '[[service]]\nkind = "blood_pressure_check"\nwith = "reminder"\n'


def offer_services(factory: sessionmaker[Session], text: str) -> None:
    from store.models import Pharmacy

    with transaction(factory) as s:
        for pharmacy in s.scalars(select(Pharmacy)):
            pharmacy.services = text


def test_a_reminder_call_asks_the_service_the_reminder_text_would(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    """Issue 16: Dorothy (a landline) gets her reminder by phone; the pharmacy offers a blood
    pressure check with the reminder, so the call asks it as the text would (the service named,
    no condition, no medicine), and her key 1 is an accepted offer for the pickup."""
    from store.worklist import ServiceOffer

    offer_services(sessions, REMINDER_SERVICE)
    ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    call = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid)
    heard = call.pick_up(1)
    assert heard.says[0] == (
        "Reminder from Main Street Pharmacy: your medicines will be ready for pickup on "
        "Tuesday, December 15, 2026."
    )
    assert (
        "While you are here for your pickup on Tuesday, December 15, 2026, would you like a "
        "blood pressure check?"
    ) in heard.text
    assert heard.verbs[-1] == "Gather" and "blood pressure" not in heard.says[0]
    assert not {w for w in drug_words() if w in heard.text.lower()}
    with transaction(sessions) as s:
        assert s.scalars(select(ServiceOffer.status)).all() == ["offered"]

    thanks = call.press("1")
    assert "Thank you: we will have it ready for you at your pickup." in thanks.text
    with transaction(sessions) as s:
        offer = s.scalars(select(ServiceOffer)).one()
        assert (offer.status, offer.anchor_date) == ("accepted", PICKUP)
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.SERVICE)).one()
        assert "a blood pressure check" in item.summary


def test_a_reminder_call_offers_nothing_to_a_machine(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    from store.worklist import ServiceOffer

    offer_services(sessions, REMINDER_SERVICE)
    ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    machine = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(1, "machine_end_beep")
    assert "blood pressure" not in machine.text
    with transaction(sessions) as s:
        assert s.scalars(select(ServiceOffer)).all() == []


def test_a_reminder_call_does_not_offer_again_within_the_services_days(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
) -> None:
    """The text's rule: an offer declined 30 days ago (within the default 365) is not made
    again; the call says the reminder and goes to the menu."""
    from bot.program import services
    from store.models import Pharmacy
    from store.worklist import ServiceOffer

    offer_services(sessions, REMINDER_SERVICE)
    dorothy = ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    with transaction(sessions) as s:
        pharmacy = s.scalars(select(Pharmacy).where(Pharmacy.id == dorothy.pharmacy_id)).one()
        services.record_offer(
            s, dorothy.id, "blood_pressure_check", dt.date(2026, 11, 15), "declined", NOW, pharmacy
        )
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    heard = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(1)
    assert "Reminder from Main Street Pharmacy" in heard.says[0]
    assert "blood pressure" not in heard.text and heard.verbs[-1] == "Gather"
    with transaction(sessions) as s:
        assert s.scalars(select(ServiceOffer.status)).all() == ["declined"]


@pytest.mark.parametrize(
    ("status", "first_said"),
    [
        (
            ReviewStatus.PENDING,
            "Reminder from Main Street Pharmacy: your pickup is on Tuesday, December 15, 2026. "
            "One of your prescriptions needs a new order from your doctor; we are asking for it "
            "and will let you know.",
        ),
        (
            ReviewStatus.DONE,
            "Reminder from Main Street Pharmacy: your medicines will be ready for pickup on "
            "Tuesday, December 15, 2026.",
        ),
    ],
)
def test_a_reminder_call_does_not_say_ready_while_a_renewal_of_the_pickup_is_pending(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
    status: ReviewStatus,
    first_said: str,
) -> None:
    """As the reminder text: while the prescriber is still asked to renew a prescription of
    this pickup, Dorothy hears the day and that one prescription waits, no medicine named;
    once staff closed the renewal item she hears "ready" again."""
    dorothy = ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    with transaction(sessions) as s:
        s.add(renewal_item(dorothy, "RX700501", PICKUP, status))
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]  # called either way
    heard = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(1)
    assert heard.says[0] == first_said
    assert heard.verbs[-1] == "Gather"  # then the menu: the pharmacist is one key away
    assert not {w for w in drug_words() if w in heard.text.lower()}


@pytest.mark.parametrize(
    ("renewal_pending", "first_said"),
    [
        (
            False,
            "Reminder from Main Street Pharmacy: we will deliver your medicines for your pickup "
            "date, Tuesday, December 15, 2026.",
        ),
        (
            True,
            "Reminder from Main Street Pharmacy: your delivery is planned for Tuesday, December "
            "15, 2026. One of your prescriptions needs a new order from your doctor; we are "
            "asking for it and will let you know.",
        ),
    ],
)
def test_a_reminder_call_to_a_delivery_patient_says_the_medicines_will_be_delivered(
    client: TestClient,  # noqa: F811
    clock: FrozenClock,  # noqa: F811
    desk: CallDesk,  # noqa: F811
    caller: TwilioCaller,  # noqa: F811
    fake: FakeTwilio,  # noqa: F811
    sessions: sessionmaker[Session],  # noqa: F811
    renewal_pending: bool,
    first_said: str,
) -> None:
    """As the reminder text: Dorothy has her medicines delivered, so she hears that they will
    be, for the pickup date (and, while a renewal of the pickup is pending, that the delivery is
    planned and one prescription waits on the doctor), never "ready for pickup"."""
    dorothy = ready_for_pickup(sessions, "P1005", CheckInStatus.READY)
    with transaction(sessions) as s:
        patient = s.get(Patient, dorothy.id)
        assert patient is not None
        preferences.change(s, patient, "delivery", "yes", "staff", NOW, changed_by="test")
        if renewal_pending:
            s.add(renewal_item(dorothy, "RX700501", PICKUP))
    clock.at = dt.datetime(2026, 12, 14, 15, 0, tzinfo=dt.UTC)
    assert desk.run_due(caller, PUBLIC_URL) == ["call 1: placed"]
    heard = PhoneCall(client, DOROTHY, sid=fake.calls[0].sid).pick_up(1)
    assert heard.says[0] == first_said
    assert "ready" not in heard.says[0]
    assert heard.verbs[-1] == "Gather"  # then the menu: the pharmacist is one key away
    assert not {w for w in drug_words() if w in heard.text.lower()}
