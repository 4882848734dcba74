"""The pickup reminder to a patient who has their medicines delivered (the delivery preference
on): "we will deliver your medicines for your pickup date", as the check-in's thanks says it,
or, while a renewal of that pickup is pending, that the delivery is planned for the day and one
prescription waits on the doctor. Never "ready for pickup". The scheduler's path is in
tests/jobs/test_scheduler.py, the call's in tests/voice/test_reminder_calls.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from bot.languages import catalogs
from bot.program import households, preferences, renewals
from dialogs import prompts
from dialogs.turn import Say
from store.db import transaction
from store.models import Patient
from tests.jobs.conftest import World

PICKUP = dt.date(2026, 12, 15)
PHARMACY = "Main Street Pharmacy"


@pytest.mark.parametrize(
    ("delivery", "renewing", "shared", "msgid"),
    [
        (False, False, False, prompts.PICKUP_REMINDER),
        (False, False, True, prompts.PICKUP_REMINDER_FOR),
        (False, True, False, prompts.PICKUP_REMINDER_RENEWAL),
        (False, True, True, prompts.PICKUP_REMINDER_FOR_RENEWAL),
        (True, False, False, prompts.PICKUP_REMINDER_DELIVERY),
        (True, False, True, prompts.PICKUP_REMINDER_FOR_DELIVERY),
        (True, True, False, prompts.PICKUP_REMINDER_DELIVERY_RENEWAL),
        (True, True, True, prompts.PICKUP_REMINDER_FOR_DELIVERY_RENEWAL),
    ],
)
def test_the_reminder_is_chosen_by_delivery_renewal_and_shared_phone(
    world: World, delivery: bool, renewing: bool, shared: bool, msgid: str
) -> None:
    with transaction(world.sessions) as session:
        margaret, lan = (
            session.scalars(select(Patient).where(Patient.external_id == e)).one()
            for e in ("P1001", "P1003")
        )
        if shared:
            lan.phone = margaret.phone
            session.flush()
        say = renewals.pickup_reminder(PHARMACY, PICKUP, renewing, delivery)
        named = households.reminder_naming(session, lan, say)
    assert named.msgid == msgid
    params: dict[str, object] = {"pharmacy": PHARMACY, "date": PICKUP}
    assert named.params == ({**params, "first_name": "Lan"} if shared else params)


def test_the_delivery_reminders_read_in_english() -> None:
    delivered = renewals.pickup_reminder(PHARMACY, PICKUP, renewing=False, delivery=True)
    waiting = renewals.pickup_reminder(PHARMACY, PICKUP, renewing=True, delivery=True)
    assert catalogs.render(delivered, "en") == (
        "Reminder from Main Street Pharmacy: we will deliver your medicines for your pickup "
        "date, Tuesday, December 15, 2026."
    )
    assert catalogs.render(waiting, "en") == (
        "Reminder from Main Street Pharmacy: your delivery is planned for Tuesday, December 15, "
        "2026. One of your prescriptions needs a new order from your doctor; we are asking for "
        "it and will let you know."
    )
    for say in (delivered, waiting):
        assert "ready" not in catalogs.render(say, "en")


@pytest.mark.parametrize("language", catalogs.available_languages())
def test_every_language_has_the_delivery_reminders_with_the_day(language: str) -> None:
    pickup_words = {
        renewing: catalogs.render(renewals.pickup_reminder(PHARMACY, PICKUP, renewing), language)
        for renewing in (False, True)
    }
    for msgid, renewing, params in (
        (prompts.PICKUP_REMINDER_DELIVERY, False, {}),
        (prompts.PICKUP_REMINDER_FOR_DELIVERY, False, {"first_name": "Lan"}),
        (prompts.PICKUP_REMINDER_DELIVERY_RENEWAL, True, {}),
        (prompts.PICKUP_REMINDER_FOR_DELIVERY_RENEWAL, True, {"first_name": "Lan"}),
    ):
        text = catalogs.render(
            Say(msgid, {"pharmacy": PHARMACY, "date": PICKUP, **params}), language
        )
        assert PHARMACY in text and catalogs.format_date(PICKUP, language) in text
        assert ("Lan" in text) == bool(params)
        if language != "en":
            assert "Reminder" not in text  # translated, not the English fallback
        assert text != pickup_words[renewing]


def test_delivery_preferences_are_read_for_many_patients_in_one_statement(world: World) -> None:
    ids = {e: world.patient(e).id for e in ("P1001", "P1002", "P1003", "P1005")}
    with transaction(world.sessions) as session:
        for external_id, value in (("P1001", "yes"), ("P1002", "no")):
            patient = session.get(Patient, ids[external_id])
            assert patient is not None
            preferences.change(
                session, patient, "delivery", value, "staff", world.clock.now(), "test"
            )
        preferences.change(  # P1003: a row, but delivery never asked
            session,
            session.get(Patient, ids["P1003"]),
            "time",
            "morning",
            "staff",
            world.clock.now(),
            "test",
        )
    statements: list[str] = []
    with transaction(world.sessions) as session:
        engine = session.get_bind()
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            found = preferences.delivering(session, list(ids.values()))
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert found == {ids["P1001"]}
        assert len(statements) == 1
        assert preferences.delivering(session, []) == set()
