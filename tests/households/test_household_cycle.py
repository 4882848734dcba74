"""A household on one mobile number through the scheduler's whole cycle (SQLite and
PostgreSQL): both check-ins open on T-7 and run one after the other in one conversation, and
each pickup reminder on T-1 names its patient by first name only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.channels.sms import InboundText
from bot.outreach.scheduler import Scheduler
from bot.program import households
from store.db import transaction
from store.models import CheckIn, Enrollment, EnrollmentStatus, Patient
from tests.jobs.conftest import World

ANCHOR = dt.date(2026, 12, 15)
SHARED = "+12125550123"  # Margaret's mobile, which Lan shares in this test


def at_ten_in_new_york(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=dt.UTC)


def tick(world: World) -> None:
    Scheduler(world.sessions, world.runtime(), world.clock, world.settings).run(world.jobs())


def answer(world: World, *texts: str, first: int = 0) -> None:
    runtime = world.runtime()
    for n, text in enumerate(texts, start=first):
        runtime.handle_text(
            InboundText(f"SM{world.clock.now():%j%H%M}{n:027d}", SHARED, "+12125550100", text)
        )


def bodies(world: World) -> list[str]:
    return [r.form["Body"] for r in world.fake.accepted_messages]


def test_a_household_on_one_mobile_through_the_cycle(world: World) -> None:
    with transaction(world.sessions) as s:
        margaret, lan = (
            s.scalars(select(Patient).where(Patient.external_id == e)).one()
            for e in ("P1001", "P1003")
        )
        lan.phone, lan.language = SHARED, "en"
        for patient in (margaret, lan):
            s.add(
                Enrollment(
                    patient_id=patient.id,
                    status=EnrollmentStatus.ACTIVE,
                    anchor_day=15,
                    cycle="monthly",
                    next_anchor_date=ANCHOR,
                    updated_at=world.clock.now(),
                )
            )
        households.link(s, [margaret, lan], "staff:test", world.clock.now())
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))  # T-7
    tick(world)
    (opener,) = bodies(world)
    assert opener.startswith("Hi Margaret, it's Main Street Pharmacy with your check-in")
    answer(world, "no", "no", "no", "no", "yes")  # Margaret, then Lan in the same conversation
    answer(world, "no", "no", "no", "no", "yes", first=5)
    with transaction(world.sessions) as s:
        statuses = {
            p.external_id: c.status.value
            for c, p in s.execute(select(CheckIn, Patient).join(Patient))
        }
        assert statuses == {"P1001": "ready", "P1003": "ready"}
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))  # T-1
    tick(world)
    reminders = [b for b in bodies(world) if b.startswith("Reminder")]
    # Both check-ins raised a renewal for this pickup (the demo's), still pending: the shared
    # phone's reminder names whose it is and does not say "ready".
    assert sorted(reminders) == [
        f"Reminder from Main Street Pharmacy for {name}: your pickup is on Tuesday, December "
        "15, 2026. One of your prescriptions needs a new order from your doctor; we are asking "
        "for it and will let you know. Reply STOP to opt out."
        for name in ("Lan", "Margaret")
    ]
    assert not any("Okafor" in b or "Nguyen" in b for b in bodies(world))  # no last names
