"""The pickup reminder's wording while a renewal of that pickup is pending (a renewal review
item not yet closed): the day, and that one prescription waits on a new order from the doctor,
never "ready" and never a medicine's name. The scheduler's path is in tests/jobs/test_scheduler.py,
the call's in tests/voice/test_reminder_calls.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.languages import catalogs
from bot.program import households, renewals
from dialogs import prompts
from dialogs.turn import Say
from store.db import transaction
from store.models import Patient, ReviewItem, ReviewKind, ReviewStatus
from tests.jobs.conftest import World

PICKUP = dt.date(2026, 12, 15)
NOW = dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)


def test_the_reminder_says_ready_only_when_no_renewal_is_pending() -> None:
    ready = renewals.pickup_reminder("Main Street Pharmacy", PICKUP, renewing=False)
    waiting = renewals.pickup_reminder("Main Street Pharmacy", PICKUP, renewing=True)
    assert ready.msgid == prompts.PICKUP_REMINDER
    assert waiting.msgid == prompts.PICKUP_REMINDER_RENEWAL
    assert ready.params == waiting.params == {"pharmacy": "Main Street Pharmacy", "date": PICKUP}
    assert catalogs.render(waiting, "en") == (
        "Reminder from Main Street Pharmacy: your pickup is on Tuesday, December 15, 2026. One "
        "of your prescriptions needs a new order from your doctor; we are asking for it and "
        "will let you know."
    )


@pytest.mark.parametrize("language", catalogs.available_languages())
def test_every_language_has_the_renewal_reminders_with_the_day_and_no_promise(
    language: str,
) -> None:
    for msgid, params in (
        (prompts.PICKUP_REMINDER_RENEWAL, {"pharmacy": "Main Street Pharmacy", "date": PICKUP}),
        (
            prompts.PICKUP_REMINDER_FOR_RENEWAL,
            {"pharmacy": "Main Street Pharmacy", "date": PICKUP, "first_name": "Lan"},
        ),
    ):
        text = catalogs.render(Say(msgid, params), language)
        assert "Main Street Pharmacy" in text and catalogs.format_date(PICKUP, language) in text
        if language != "en":
            assert "Reminder" not in text  # translated, not the English fallback
        assert text != catalogs.render(
            renewals.pickup_reminder("Main Street Pharmacy", PICKUP, False), language
        )


def add_renewal(
    world: World,
    external_id: str,
    anchor: str | None,
    status: ReviewStatus = ReviewStatus.PENDING,
    kind: ReviewKind = ReviewKind.RENEWAL,
) -> int:
    patient = world.patient(external_id)
    with transaction(world.sessions) as session:
        session.add(
            ReviewItem(
                pharmacy_id=patient.pharmacy_id,
                patient_id=patient.id,
                phone=patient.phone,
                kind=kind,
                status=status,
                priority=1,
                summary="Ask the prescriber to renew it.",
                details={} if anchor is None else {"rx_number": "RX1", "anchor_date": anchor},
                created_at=NOW,
            )
        )
    return patient.id


def test_pending_renewals_are_read_for_many_patients_at_once(world: World) -> None:
    margaret = add_renewal(world, "P1001", "2026-12-15")
    add_renewal(world, "P1001", "2027-01-15")
    add_renewal(world, "P1001", "2026-11-15", status=ReviewStatus.DONE)  # closed: not pending
    jose = add_renewal(world, "P1002", "2026-12-15", status=ReviewStatus.DECLINED)
    lan = add_renewal(world, "P1003", None)  # no anchor date: for no pickup in particular
    add_renewal(world, "P1003", "not a date")
    dorothy = add_renewal(world, "P1005", "2026-12-15", kind=ReviewKind.NO_ANSWER)
    with transaction(world.sessions) as session:
        found = renewals.pending_anchors_of(session, [margaret, jose, lan, dorothy])
        assert found == {margaret: (PICKUP, dt.date(2027, 1, 15))}
        assert renewals.pending_anchors(session, margaret) == (PICKUP, dt.date(2027, 1, 15))
        assert renewals.pending_anchors(session, jose) == ()
        assert renewals.pending_anchors_of(session, []) == {}


def test_a_shared_phone_s_renewal_reminder_names_whose_it_is(world: World) -> None:
    with transaction(world.sessions) as session:
        margaret, lan = (
            session.scalars(select(Patient).where(Patient.external_id == e)).one()
            for e in ("P1001", "P1003")
        )
        lan.phone = margaret.phone
        session.flush()
        waiting = renewals.pickup_reminder("Main Street Pharmacy", PICKUP, True)
        named = households.reminder_naming(session, lan, waiting)
        assert named.msgid == prompts.PICKUP_REMINDER_FOR_RENEWAL
        assert named.params == {**waiting.params, "first_name": "Lan"}
        ready = renewals.pickup_reminder("Main Street Pharmacy", PICKUP, False)
        assert households.reminder_naming(session, lan, ready).msgid == (
            prompts.PICKUP_REMINDER_FOR
        )
