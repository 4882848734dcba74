"""Quiet hours in the recipient's time (zones, states, DST), frequency caps, throughput."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.outreach.sending_rules import (
    LocalThrottle,
    RedisThrottle,
    cap_free_at,
    next_allowed,
    number_facts,
    sms_segments,
    windows_for,
)
from bot.settings.outreach import OutreachSettings
from store.db import transaction
from store.models import Message, MessageStatus
from tests.jobs.conftest import NOW, World

DEFAULTS = OutreachSettings()
NY, MIAMI, OKC, HONOLULU, ANCHORAGE = (
    "+12125550123",
    "+13055550147",
    "+14055550188",
    "+18085550190",
    "+19075550133",
)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def allowed(phone: str, at: dt.datetime, patient_zone: str | None = None, state: str | None = None):  # type: ignore[no-untyped-def]
    windows = windows_for(phone, patient_zone, "America/New_York", state, DEFAULTS)
    return next_allowed(at, windows)


def test_numbers_give_their_zone_and_state() -> None:
    assert number_facts(MIAMI) == (("America/New_York",), "FL")
    assert number_facts(OKC) == (("America/Chicago",), "OK")
    assert number_facts(NY)[1] == "NY"
    assert number_facts("555-0100") == ((), None)  # not a real number: the pharmacy's zone


@pytest.mark.parametrize(
    ("phone", "at", "expected"),
    [
        # 10:00 in New York: fine.
        (NY, utc(2026, 11, 29, 15, 0), utc(2026, 11, 29, 15, 0)),
        # 07:59 in New York: wait for 08:00.
        (NY, utc(2026, 11, 29, 12, 59), utc(2026, 11, 29, 13, 0)),
        # 20:30 in New York: federal window is open until 21:00.
        (NY, utc(2026, 11, 30, 1, 30), utc(2026, 11, 30, 1, 30)),
        # 20:30 in Miami: Florida stops at 20:00, so tomorrow 08:00.
        (MIAMI, utc(2026, 11, 30, 1, 30), utc(2026, 11, 30, 13, 0)),
        # 20:15 in Oklahoma City: Oklahoma stops at 20:00 (Central time).
        (OKC, utc(2026, 11, 30, 2, 15), utc(2026, 11, 30, 14, 0)),
        # 05:00 in Honolulu at 10:00 New York time: Hawaii's 08:00 is 18:00 UTC.
        (HONOLULU, utc(2026, 11, 29, 15, 0), utc(2026, 11, 29, 18, 0)),
    ],
)
def test_quiet_hours_in_the_recipients_own_time(
    phone: str, at: dt.datetime, expected: dt.datetime
) -> None:
    assert allowed(phone, at) == expected


def test_the_stricter_window_wins_when_zones_or_states_disagree() -> None:
    # A New York number whose patient lives in Los Angeles: 08:00 in LA is 11:00 in NY.
    assert allowed(NY, utc(2026, 11, 29, 14, 0), patient_zone="America/Los_Angeles") == utc(
        2026, 11, 29, 16, 0
    )
    # ...and 20:45 in NY is 17:45 in LA: New York's 21:00 comes first.
    at = utc(2026, 11, 30, 2, 30)  # 21:30 NY
    assert allowed(NY, at, patient_zone="America/Los_Angeles") == utc(2026, 11, 30, 16, 0)
    # A Florida pharmacy texting a New York number: Florida's 20:00 applies too.
    assert allowed(NY, utc(2026, 11, 30, 1, 30), state="FL") == utc(2026, 11, 30, 13, 0)
    # Alaska's area code spans two zones: both must be in their window.
    adak_first = allowed(ANCHORAGE, utc(2026, 11, 29, 17, 0))  # 08:00 Anchorage, 07:00 Adak
    assert adak_first == utc(2026, 11, 29, 18, 0)


def test_a_number_without_a_zone_uses_the_pharmacys() -> None:
    windows = windows_for("555-0100", None, "America/Chicago", None, DEFAULTS)
    assert [w.zone for w in windows] == ["America/Chicago"]
    assert next_allowed(utc(2026, 11, 29, 13, 30), windows) == utc(2026, 11, 29, 14, 0)


def test_deferral_across_the_autumn_dst_change() -> None:
    # Saturday Oct 31 2026, 22:30 EDT (UTC-4). Clocks go back that night: 08:00 on Sunday
    # Nov 1 is EST (UTC-5), 13:00 UTC, not 12:00.
    assert allowed(NY, utc(2026, 11, 1, 2, 30)) == utc(2026, 11, 1, 13, 0)


def test_deferral_across_the_spring_dst_change() -> None:
    # Saturday Mar 7 2026, 23:00 EST (UTC-5); Sunday 08:00 is EDT (UTC-4): 12:00 UTC.
    assert allowed(NY, utc(2026, 3, 8, 4, 0)) == utc(2026, 3, 8, 12, 0)
    # Honolulu keeps no DST: 08:00 HST is 18:00 UTC on both sides of the change.
    assert allowed(HONOLULU, utc(2026, 3, 8, 9, 0)) == utc(2026, 3, 8, 18, 0)
    assert allowed(HONOLULU, utc(2026, 3, 7, 9, 0)) == utc(2026, 3, 7, 18, 0)


def test_quiet_hours_are_settings() -> None:
    late = OutreachSettings(sending_hours_start=dt.time(9, 0), sending_hours_end_by_state={})
    windows = windows_for(MIAMI, None, "America/New_York", None, late)
    assert next_allowed(utc(2026, 11, 29, 13, 30), windows) == utc(2026, 11, 29, 14, 0)
    assert next_allowed(utc(2026, 11, 30, 1, 30), windows) == utc(2026, 11, 30, 1, 30)


# ---------------------------------------------------------------------- caps


def _sent(sessions: sessionmaker[Session], world: World, at: dt.datetime, **extra: object) -> None:
    message_id = world.queue_text("P1001", body=f"sent {at.isoformat()} {extra}")
    with transaction(sessions) as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.status = MessageStatus(str(extra.get("status", "delivered")))
        message.sent_at = at
        message.purpose = extra.get("purpose")  # type: ignore[assignment]


def _free(
    world: World, now: dt.datetime, settings: OutreachSettings = DEFAULTS
) -> dt.datetime | None:
    with transaction(world.sessions) as session:
        return cap_free_at(session, world.patient("P1001").id, now, settings)


def test_one_automated_message_a_day(world: World) -> None:
    assert _free(world, NOW) is None
    _sent(world.sessions, world, NOW - dt.timedelta(hours=20))
    assert _free(world, NOW) == NOW + dt.timedelta(hours=4)
    assert _free(world, NOW + dt.timedelta(hours=4)) is None


def test_three_a_week(world: World) -> None:
    for days in (6, 4, 2):
        _sent(world.sessions, world, NOW - dt.timedelta(days=days))
    # The oldest of the three leaves the week in one day.
    assert _free(world, NOW) == NOW + dt.timedelta(days=1)
    assert _free(world, NOW, OutreachSettings(cap_per_week=4)) is None


def test_failed_suppressed_and_pharmacist_messages_are_not_counted(world: World) -> None:
    _sent(world.sessions, world, NOW - dt.timedelta(hours=1), status="failed")
    _sent(world.sessions, world, NOW - dt.timedelta(hours=2), status="suppressed")
    _sent(world.sessions, world, NOW - dt.timedelta(hours=3), purpose="pharmacist")
    assert _free(world, NOW) is None
    _sent(world.sessions, world, NOW - dt.timedelta(hours=3), status="sending")
    assert _free(world, NOW) is not None


# ---------------------------------------------------------------------- throughput


def test_local_throttle_spaces_segments_per_sender() -> None:
    throttle = LocalThrottle(per_second=3)
    waits = [throttle.reserve("+12125550100", 1, now=100.0) for _ in range(4)]
    assert waits == pytest.approx([0, 1 / 3, 2 / 3, 1])
    # A three-segment text takes a whole second of the number's throughput.
    assert throttle.reserve("+12125550100", 3, now=100.0) == pytest.approx(4 / 3)
    assert throttle.reserve("+12125550100", 1, now=102.0) == pytest.approx(1 / 3)
    # Another sending number has its own.
    assert throttle.reserve("+13055550100", 1, now=100.0) == 0


def test_redis_throttle_is_shared_by_every_worker(redis_url: str) -> None:
    from redis import Redis

    connection = Redis.from_url(redis_url)
    one, two = RedisThrottle(connection, 2), RedisThrottle(connection, 2)
    waits = [t.reserve("+12125550100", 1, now=500.0) for t in (one, two, one, two)]
    assert waits == pytest.approx([0, 0.5, 1.0, 1.5])
    assert one.reserve("+12125550100", 2, now=510.0) == 0  # idle long enough: no wait


def test_sms_segments() -> None:
    assert sms_segments("") == 1
    assert sms_segments("x" * 160) == 1 and sms_segments("x" * 161) == 2
    assert sms_segments("x" * 306) == 2 and sms_segments("x" * 307) == 3
    assert sms_segments("{" * 80) == 1 and sms_segments("{" * 81) == 2  # extension: 2 units
    assert sms_segments("¿Quiere unirse?") == 1
    assert sms_segments("Hola José, ¿le gustaría?" + "a" * 60) == 2  # í is not GSM-7
    assert sms_segments("你好" * 35) == 1 and sms_segments("你好" * 36) == 2
