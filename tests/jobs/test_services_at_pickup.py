"""Services at pickup (issue 16 item 8) through the SMS runtime and the CLI: the pharmacy's
rules (age, season, therapy class, not again within N days) pick the offer; it rides in the
check-in's all-clear text (no text of its own), never names a condition; an accepted offer is a
review item and shows on the prep-day worklist."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli.main import main
from bot.program import worklist as work
from store.db import transaction
from store.models import Message, Pharmacy, ReviewItem, ReviewKind
from store.worklist import ServiceOffer
from tests.jobs.conftest import World
from tests.jobs.test_scheduler import answer, at_ten_in_new_york, enroll, tick

SERVICES = """
[[service]]
id = "shingles"
kind = "shingles_shot"
min_age = 50
therapy_classes = ["statins"]   # Margaret (P1001, born 1948) takes atorvastatin
every_days = 365

[[service]]
id = "flu_2026"
kind = "flu_shot"
months = [9, 10, 11, 12, 1]
every_days = 300
"""


def set_services(world: World, text: str) -> None:
    with transaction(world.sessions) as session:
        pharmacy = session.scalar(select(Pharmacy))
        assert pharmacy is not None
        pharmacy.services = text


def outbound_count(world: World) -> int:
    with transaction(world.sessions) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "outbound")
            )
            or 0
        )


def test_an_offer_rides_in_the_all_clear_text_and_is_kept_for_the_worklist(
    world: World,
) -> None:
    set_services(world, SERVICES)
    enroll(world)  # anchor Dec 15
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    before = outbound_count(world)
    answer(world, "no", "no", "no", "no", "yes")
    assert outbound_count(world) == before + 5  # one reply a text: the offer adds none
    with transaction(world.sessions) as session:
        reply = session.scalars(
            select(Message.body).where(Message.direction == "outbound").order_by(Message.id)
        ).all()[-1]
    # Margaret's RX700103 waits on a renewal for this pickup (the demo's): "ready" is not said.
    assert "Thank you! Your pickup is on Tuesday, December 15, 2026." in reply
    assert "would you like a shingles vaccine? Reply YES or NO." in reply
    assert "atorvastatin" not in reply.lower() and "cholesterol" not in reply.lower()

    world.clock.advance(hours=1)  # a later text (the fake message ids follow the clock)
    answer(world, "yes")
    with transaction(world.sessions) as session:
        offer = session.scalar(select(ServiceOffer))
        assert offer is not None
        assert (offer.service, offer.kind, offer.status) == (
            "shingles",
            "shingles_shot",
            "accepted",
        )
        item = session.scalar(select(ReviewItem).where(ReviewItem.kind == ReviewKind.SERVICE))
        assert item is not None
        assert item.summary == (
            "Accepted a shingles vaccine at the Dec 15, 2026 pickup: please have it ready."
        )
        pharmacy = session.scalar(select(Pharmacy))
        assert pharmacy is not None
        listed = work.worklist(session, pharmacy, dt.date(2026, 12, 12))
    [patient] = [p for d in listed.days for p in d.patients]
    assert patient.services == ("a shingles vaccine",)


def test_the_rules_choose_and_nothing_is_offered_twice(world: World) -> None:
    set_services(world, SERVICES)
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes", "no thanks")
    with transaction(world.sessions) as session:
        assert session.scalar(select(ServiceOffer.status)) == "declined"
    # The next cycle: shingles was offered within 365 days, so the flu shot is next in line
    # (January is in its season).
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 16))
    tick(world)  # the cycle moves on to Jan 15
    world.clock.at = at_ten_in_new_york(dt.date(2027, 1, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes")
    with transaction(world.sessions) as session:
        reply = session.scalars(
            select(Message.body).where(Message.direction == "outbound").order_by(Message.id)
        ).all()[-1]
        offers = session.execute(
            select(ServiceOffer.service, ServiceOffer.anchor_date).order_by(ServiceOffer.id)
        ).all()
    assert "would you like a flu shot?" in reply
    assert [tuple(o) for o in offers] == [
        ("shingles", dt.date(2026, 12, 15)),
        ("flu_2026", dt.date(2027, 1, 15)),
    ]


def test_the_services_file_is_checked_by_the_cli(world: World, tmp_path: Path, db_url: str) -> None:
    import os

    os.environ["MEDSYNC_DATABASE_URL"] = db_url
    try:
        good = tmp_path / "services.toml"
        good.write_text(SERVICES, encoding="utf-8")
        result = CliRunner().invoke(main, ["pharmacy", "services", str(good)])
        assert result.exit_code == 0, result.output
        assert "shingles (shingles_shot): with the check-in; ages 50-any; takes statins" in (
            result.output
        )
        bad = tmp_path / "bad.toml"
        bad.write_text('[[service]]\nkind = "massage"\nmonths = [13]\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["pharmacy", "services", str(bad)])
        assert result.exit_code == 1
        assert "Service 1: kind must be one of flu_shot" in result.output
        assert "months are numbers 1-12" in result.output and "Nothing was changed." in (
            result.output
        )
        result = CliRunner().invoke(main, ["pharmacy", "services", "--clear"])
        assert "offers no services at pickup" in result.output
    finally:
        del os.environ["MEDSYNC_DATABASE_URL"]


def test_an_offer_with_the_reminder_rides_in_the_reminder(world: World) -> None:
    set_services(world, '[[service]]\nkind = "blood_pressure_check"\nwith = "reminder"\n')
    enroll(world)
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 8))
    tick(world)
    answer(world, "no", "no", "no", "no", "yes")
    with transaction(world.sessions) as session:
        assert session.scalar(select(ServiceOffer.id)) is None  # not with the check-in
    world.clock.at = at_ten_in_new_york(dt.date(2026, 12, 14))
    before = outbound_count(world)
    assert tick(world, times=2).reminders == 1
    assert outbound_count(world) == before + 1  # the reminder is still one text
    with transaction(world.sessions) as session:
        reminder = session.scalars(
            select(Message.body).where(Message.direction == "outbound").order_by(Message.id)
        ).all()[-1]
    # Margaret's RX700103 waits on a renewal for this pickup (the demo's): "ready" is not said,
    # and the offer still rides in the same text.
    assert reminder.startswith(
        "Reminder from Main Street Pharmacy: your pickup is on Tuesday, December 15, 2026. One "
        "of your prescriptions needs a new order from your doctor"
    )
    assert "would you like a blood pressure check? Reply YES or NO." in reminder
    answer(world, "yes")
    with transaction(world.sessions) as session:
        assert session.scalar(select(ServiceOffer.status)) == "accepted"
        item = session.scalar(select(ReviewItem).where(ReviewItem.kind == ReviewKind.SERVICE))
        assert item is not None and "a blood pressure check" in item.summary
