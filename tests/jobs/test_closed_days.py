"""The anchor cycle around a closed day (issue 16 item 6, docs/SYNC_PLAN.md example 19): an
anchor on Friday Dec 25, 2026 is handed out Thursday Dec 24, and every text counts back from
that day and names it: check-in Dec 17 (T-7), call list Dec 21 (T-3), reminder Dec 23 (T-1).
Then the consented patient choosing a day is told the real first synced pickup and the trips."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from store.db import transaction
from store.models import (
    Enrollment,
    EnrollmentStatus,
    Message,
    Pharmacy,
    ReviewItem,
    ReviewKind,
)
from tests.jobs.conftest import World
from tests.jobs.test_scheduler import answer, at_ten_in_new_york, bodies, enroll, tick

CHRISTMAS = dt.date(2026, 12, 25)


def test_example_41_every_text_counts_back_from_the_day_before_christmas(world: World) -> None:
    enroll(world, anchor=CHRISTMAS)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 16))
    assert tick(world).check_ins == 0  # T-7 of the calendar's anchor would be Dec 18
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 17))  # T-7 of Dec 24
    assert tick(world, times=2).check_ins == 1
    assert "before your pickup on Thursday, December 24, 2026" in bodies(world)[0]

    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 20))
    assert tick(world).call_list == 0
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 21))  # T-3 of Dec 24
    assert tick(world, times=2).call_list == 1
    with transaction(world.sessions) as session:
        item = session.scalar(select(ReviewItem).where(ReviewItem.kind == ReviewKind.NO_ANSWER))
        assert item is not None
        assert "before the pickup on Thursday, December 24, 2026" in item.summary
        assert item.details["anchor_date"] == "2026-12-25"  # the cycle's own date


def test_example_41_the_reminder_goes_the_day_before_the_real_pickup(world: World) -> None:
    enroll(world, anchor=CHRISTMAS)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 17))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes")
    assert "Thursday, December 24, 2026" in bodies(world)[-1]  # "all set" names the real day
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 22))
    assert tick(world).reminders == 0
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 23))
    assert tick(world, times=2).reminders == 1
    # The renewal the check-in raised is for the cycle's own date (Dec 25): the reminder of
    # the real pickup day (Dec 24) still knows it is pending, and does not say "ready".
    assert bodies(world)[-1].startswith(
        "Reminder from Main Street Pharmacy: your pickup is on Thursday, December 24, 2026. One "
        "of your prescriptions needs a new order from your doctor"
    )
    # After the pickup the cycle moves on from the calendar's anchor.
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 26))
    assert tick(world).anchors_moved == 1
    with transaction(world.sessions) as session:
        enrollment = session.scalar(select(Enrollment))
        assert enrollment is not None and enrollment.next_anchor_date == dt.date(2027, 1, 25)


def test_example_42_the_pickup_day_answer_names_the_sync_visit_and_the_real_day(
    world: World,
) -> None:
    """Example 23 of docs/SYNC_PLAN.md by text: P1001 on Dec 7 choosing the 15th comes once on
    Dec 7 (every short fill on one sync visit), then on the 15th; and with the pharmacy closed
    on Dec 15 the first synced pickup is Dec 14."""
    patient = world.patient("P1001")
    with transaction(world.sessions) as session:
        session.add(
            Enrollment(
                patient_id=patient.id,
                status=EnrollmentStatus.CONSENTED,
                cycle="monthly",
                updated_at=world.clock.now(),
            )
        )
        pharmacy = session.scalar(select(Pharmacy))
        assert pharmacy is not None
        pharmacy.open_days = {"closed_dates": ["2026-12-15"]}
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 7))
    answer(world, "hello", "the 15th")
    with transaction(world.sessions) as session:
        reply = session.scalars(
            select(Message.body).where(Message.direction == "outbound").order_by(Message.id)
        ).all()[-1]
        enrollment = session.scalar(select(Enrollment))
        item = session.scalar(
            select(ReviewItem).where(ReviewItem.kind == ReviewKind.NEW_ENROLLMENT)
        )
    assert "Your first synced pickup is Monday, December 14, 2026." in reply
    assert "please also come in once before then, on Monday, December 7, 2026" in reply
    assert enrollment is not None and enrollment.next_anchor_date == dt.date(2026, 12, 15)
    assert enrollment.status == EnrollmentStatus.PENDING_REVIEW
    assert item is not None and "first synced pickup Dec 14, 2026. Visits before it: Dec 7." in (
        item.summary
    )
    assert item.details["visits"] == ["2026-12-07"]
